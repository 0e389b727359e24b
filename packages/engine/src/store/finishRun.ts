/**
 * How a run finishes, whoever trained it (`train()`, a batched device sweep): the columnar copy of its
 * complete metrics (metrics.parquet, store/metricsParquet.ts) is written first, then run.json says
 * `finished`. In that order, a reader that sees a finished run finds its copy already there (the
 * dashboard's compare view reads it cold instead of parsing the JSON lines); one place, so no trainer
 * can finish a run without it.
 *
 * A run whose writes go to a mirror (`run.listener` set: its directory is uploaded to S3 as it trains)
 * gets no copy: the copy is not part of what is mirrored, and readers of the bucket make their own.
 */
import type { RunDir, RunRecord } from './runDir.js';

export interface FinishRunOptions {
  /** Told when the copy could not be written (a copy not written is only a slower first read, never a failed run). */
  warn?: (message: string) => void;
}

/** Write `run`'s metrics copy, then `record` as finished; returns the record written. */
export async function finishRun(run: RunDir, record: RunRecord, o: FinishRunOptions = {}): Promise<RunRecord> {
  if (!run.listener) await writeFinishedMetricsCopy(run.metricsFile, o.warn ?? (() => undefined));
  const finished: RunRecord = { ...record, status: 'finished' };
  run.writeRecord(finished);
  return finished;
}

/** DuckDB is loaded only here, at the end: `opto train` starts without it. */
async function writeFinishedMetricsCopy(metricsFile: string, warn: (message: string) => void): Promise<void> {
  try {
    const { writeMetricsParquet } = await import('./metricsParquet.js');
    await writeMetricsParquet(metricsFile);
  } catch (e) {
    warn(`metrics.parquet (the columnar copy of ${metricsFile}) not written: ${(e as Error).message.split('\n')[0]}`);
  }
}
