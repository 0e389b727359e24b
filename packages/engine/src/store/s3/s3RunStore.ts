/**
 * Runs in an S3-compatible bucket (`s3://bucket/prefix`), trained and read through a local cache:
 *
 *   <cache>/work/<id>/   runs training (or resuming) on this machine, mirrored to the bucket as they are written
 *   <cache>/read/        readers' copy of the whole prefix, refreshed from the bucket by ETag
 *
 * Separate halves, so a dashboard refreshing its copy never rewrites a file under a run training here.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunMirrorHandle, RunStore, RunStoreSpec } from '../runStore.js';
import { Bucket, endpointFromEnv, parseS3Url } from './bucket.js';
import { RunMirror } from './mirror.js';
import { checkoutRun, publishTree, syncTree } from './sync.js';

/** ~/.cache/optoscope/s3/<endpoint host>/<bucket>/<prefix>: one cache per place the runs live. */
export function defaultCacheDir(url: string): string {
  const loc = parseS3Url(url);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  let host = 'aws';
  const ep = endpointFromEnv();
  if (ep) {
    try {
      host = new URL(ep).host.replace(/[^\w.-]/g, '_');
    } catch {
      host = 'custom';
    }
  }
  return path.join(base, 'optoscope', 's3', host, loc.bucket, ...(loc.prefix ? loc.prefix.split('/') : []));
}

export class S3RunStore implements RunStore {
  readonly workDir: string;
  readonly readDir: string;

  private constructor(
    readonly spec: RunStoreSpec,
    private readonly bucket: Bucket,
    cache: string,
  ) {
    this.workDir = path.join(cache, 'work');
    this.readDir = path.join(cache, 'read');
  }

  static async open(spec: RunStoreSpec): Promise<S3RunStore> {
    const loc = parseS3Url(spec.location);
    const cache = path.resolve(spec.cache ?? defaultCacheDir(spec.location));
    return new S3RunStore({ location: loc.url, cache }, await Bucket.connect(loc), cache);
  }

  async prepare(): Promise<void> {
    await this.bucket.probe();
  }

  async checkout(id: string): Promise<void> {
    await checkoutRun(this.bucket, id, path.join(this.workDir, id));
  }

  mirror(id: string): RunMirrorHandle {
    return new RunMirror(this.bucket, path.join(this.workDir, id), id);
  }

  async refresh(scope: 'records' | 'all' = 'all'): Promise<string> {
    await syncTree(this.bucket, this.readDir, scope);
    return this.readDir;
  }

  async publish(readDir: string, rel: string): Promise<void> {
    await publishTree(this.bucket, readDir, rel);
  }

  close(): void {
    this.bucket.destroy();
  }
}
