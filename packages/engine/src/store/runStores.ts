/** Open the run store a `--runs` value names: a directory, or (loading the S3 client only then) s3://bucket/prefix. */
import { LocalRunStore, type RunStore, type RunStoreSpec } from './runStore.js';
import { isS3Url } from './s3/bucket.js';

export async function openRunStoreAt(spec: RunStoreSpec): Promise<RunStore> {
  if (!isS3Url(spec.location)) return new LocalRunStore(spec);
  const { S3RunStore } = await import('./s3/s3RunStore.js');
  return S3RunStore.open(spec);
}
