/**
 * `--runs <dir | s3://bucket/prefix>` and `--cache <dir>`, shared by every command that reads or writes
 * runs: the engine's run store does the work, this only names the flags and opens what they name.
 */
import type { Command } from 'commander';
import { openRunStoreAt, type RunStore } from '@optoscope/engine';

export const RUNS_HELP = 'runs directory, or s3://bucket/prefix (endpoint and credentials from the AWS_* environment; README "Runs on S3")';

export interface CacheFlags {
  cache?: string;
}

export function addCacheOption(cmd: Command): Command {
  return cmd.option('--cache <dir>', 'with --runs s3://...: local cache directory (default ~/.cache/optoscope/s3/<endpoint>/<bucket>/<prefix>)');
}

/**
 * A local directory reflecting `runs` for reading (the directory itself, or the bucket's cache refreshed
 * now), and the store behind it (close it when done).
 */
export async function readRuns(runs: string, flags: CacheFlags, scope: 'records' | 'all' = 'all'): Promise<{ dir: string; store: RunStore }> {
  const store = await openRunStoreAt({ location: runs, cache: flags.cache });
  try {
    return { dir: await store.refresh(scope), store };
  } catch (e) {
    store.close();
    throw e;
  }
}
