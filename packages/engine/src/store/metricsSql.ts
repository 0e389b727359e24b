/** SQL pieces shared by the run store's views and the sweep aggregation: literals and the typed read of metrics.jsonl files. */
import { METRIC_NAMES } from '../metrics.js';

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The columns of a metrics.jsonl row (spec 3.3's eval metrics, the train window's loss and gradient norm, wall time). */
export const METRIC_COLUMNS: Readonly<Record<string, string>> = {
  kind: 'VARCHAR',
  seqs: 'BIGINT',
  step: 'BIGINT',
  set: 'VARCHAR',
  ...Object.fromEntries(METRIC_NAMES.map((m) => [m, 'DOUBLE'])),
  grad_norm: 'DOUBLE',
  steps: 'INTEGER',
  wall_s: 'DOUBLE',
};

/** A SELECT over metrics.jsonl files with typed columns and `filename`; a trailing partial line is skipped. */
export function readMetricsSql(files: readonly string[]): string {
  const colSpec = `{${Object.entries(METRIC_COLUMNS).map(([k, t]) => `${lit(k)}: ${lit(t)}`).join(', ')}}`;
  return `SELECT * FROM read_json([${files.map(lit).join(', ')}], format = 'newline_delimited', columns = ${colSpec}, filename = true, ignore_errors = true)`;
}
