/**
 * `opto runs export`: the metric rows of selected runs as one CSV, Parquet or JSON-lines file for pandas,
 * R or DuckDB users, written by DuckDB's COPY from the run store's `metrics` view (run_id first, then the
 * metrics.jsonl columns, ordered by run, x, kind and set). The file appears whole or not at all: COPY
 * writes a temporary file beside it, renamed over the target when complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempBeside } from './atomic.js';
import { lit } from './metricsSql.js';
import { listRuns, openRunStore } from './query.js';

export const EXPORT_FORMATS = ['csv', 'parquet', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const COPY_OPTIONS: Record<ExportFormat, string> = { csv: 'FORMAT csv, HEADER true', parquet: 'FORMAT parquet', jsonl: 'FORMAT json' };

/** Write the metrics of `runIds` (all runs when empty) under `runsDir` to `outFile`; returns the row count. */
export async function exportMetrics(runsDir: string, runIds: readonly string[], format: ExportFormat, outFile: string): Promise<{ rows: number; runs: string[] }> {
  if (!EXPORT_FORMATS.includes(format)) throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
  const known = listRuns(runsDir).map((r) => r.id);
  const missing = runIds.filter((id) => !known.includes(id));
  if (missing.length) throw new Error(`no run ${missing.map((m) => `'${m}'`).join(', ')} in ${runsDir}`);
  const runs = runIds.length ? [...runIds] : known;
  const dir = path.dirname(path.resolve(outFile));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`output directory ${dir} does not exist`);
  const tmp = tempBeside(path.resolve(outFile));
  const store = await openRunStore(runsDir);
  try {
    const where = runs.length ? `WHERE run_id IN (${runs.map(lit).join(', ')})` : 'WHERE false';
    const r = await store.connection.runAndReadAll(`COPY (SELECT * FROM metrics ${where} ORDER BY run_id, seqs, kind, "set") TO ${lit(tmp)} (${COPY_OPTIONS[format]})`);
    const rows = Number(r.getRows()[0]?.[0] ?? 0);
    fs.renameSync(tmp, outFile);
    return { rows, runs };
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`export failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    store.close();
  }
}
