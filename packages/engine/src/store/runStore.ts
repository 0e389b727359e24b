/**
 * Where runs live, behind one small interface, so the trainer, the sweep executors and every reader work
 * the same on a runs directory (local or a shared POSIX mount: the default) and on S3-compatible object
 * storage (s3/s3RunStore.ts). Training always happens in a local directory; a store says which, brings a
 * run there before it continues, and mirrors what the trainer writes. Readers get a local directory that
 * reflects the store (the directory itself, or a cache refreshed from the bucket).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunWriteListener } from './runDir.js';
import { makeDirs } from './atomic.js';

/** What a store is opened from; plain data, so worker threads can open their own. */
export interface RunStoreSpec {
  /** A runs directory, or s3://bucket/prefix. */
  location: string;
  /** Object storage only: the local cache directory (default under ~/.cache/optoscope/s3). */
  cache?: string;
}

export type RunMirrorHandle = RunWriteListener & {
  /** Uploads are waiting or in flight: the trainer yields to the event loop between steps so they progress. */
  readonly busy: boolean;
  flush(): Promise<void>;
};

export interface RunStore {
  readonly spec: RunStoreSpec;
  /** Where runs train on this machine (`<dir>/<id>`). */
  readonly workDir: string;
  /** Check the store can be written (creating a runs directory if needed); throws one line. */
  prepare(): Promise<void>;
  /** Before run `id` trains or resumes here: make `<workDir>/<id>` the store's copy (absent if it holds none). */
  checkout(id: string): Promise<void>;
  /** What to hand `train` so the store receives each file as it is written (null: the work directory is the store). */
  mirror(id: string): RunMirrorHandle | null;
  /** A local directory reflecting the store for readers; `records`: run.json and heartbeats are enough. */
  refresh(scope?: 'records' | 'all'): Promise<string>;
  /** Copy `<readDir>/<rel>/` (something a reader wrote, e.g. the report) into the store. */
  publish(readDir: string, rel: string): Promise<void>;
  close(): void;
}

/** Create the runs directory if needed and prove it writable with a real write; throws one line. */
export function prepareRunsDir(runsDir: string): void {
  try {
    if (fs.existsSync(runsDir) && !fs.statSync(runsDir).isDirectory()) throw new Error('exists and is not a directory');
    makeDirs(runsDir);
    const probe = path.join(runsDir, `.write-probe.${process.pid}.${Date.now()}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`runs directory ${runsDir} is not writable: ${err.code ? `${err.code} ${err.syscall ?? ''}`.trim() : err.message}`);
  }
}

/** A runs directory: runs train in place, readers read it as it is. */
export class LocalRunStore implements RunStore {
  readonly workDir: string;
  constructor(readonly spec: RunStoreSpec) {
    this.workDir = spec.location;
  }
  async prepare(): Promise<void> {
    prepareRunsDir(this.workDir);
  }
  async checkout(): Promise<void> {}
  mirror(): null {
    return null;
  }
  async refresh(): Promise<string> {
    return this.workDir;
  }
  async publish(): Promise<void> {}
  close(): void {}
}
