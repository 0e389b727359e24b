/**
 * A finished run's metrics as a compact columnar copy beside its metrics.jsonl (`metrics.parquet`), so a
 * reader that starts cold (the dashboard's compare view over a sweep of 128 runs) reads a few columns per
 * run instead of parsing megabytes of JSON lines. The JSON lines stay the run's record; the copy is derived
 * data, written once when the run finishes (the trainer) or by the first reader that finds none valid
 * (the dashboard), and used only while it still matches the file it was made from.
 *
 * Validity. A small sidecar, `metrics.parquet.json`, names the copy's source (the metrics.jsonl's size,
 * mtime and SHA-256 of its bytes), the columns, the row count and the SHA-256 of the copy's own bytes. A
 * reader trusts the copy when its bytes hash to that (nothing truncated, replaced or flipped: Parquet pages
 * carry no checksum of their own) and the source has the same size and mtime (a stat), or the same size and
 * SHA-256 (a run copied or synced elsewhere, whose mtime changed). Anything else (a resumed run appended
 * rows, a damaged copy or sidecar, other columns) falls back to the JSON lines, and the copy is written
 * again. Checking 128 copies this way is a few milliseconds of hashing, where a check inside DuckDB (a
 * digest of every row) cost more than parsing the JSON.
 *
 * Writes are atomic (temp file beside the target, fsynced, renamed over it: store/atomic.ts); the copy is
 * renamed into place before its sidecar, and a copy and sidecar that do not belong together (a crash
 * between the two) fail the hash: a fallback, never wrong rows. A copy whose source changed while it was
 * written is thrown away.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tempBeside, writeJsonAtomic } from './atomic.js';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

export const METRICS_PARQUET = 'metrics.parquet';
export const METRICS_PARQUET_SIDECAR = 'metrics.parquet.json';
const SIDECAR_SCHEMA = 'optoscope.metrics-parquet/1';
const COLUMNS = Object.keys(METRIC_COLUMNS).join(',');

/** What a copy was made from: its metrics.jsonl's size, mtime and SHA-256 (the sidecar's `source`). */
export interface MetricsSource {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The sidecar, `metrics.parquet.json`. */
interface Sidecar {
  schema: typeof SIDECAR_SCHEMA;
  source: MetricsSource;
  /** The metrics columns, comma-separated (a copy of another version's columns is not used). */
  columns: string;
  rows: number;
  /** SHA-256 of the copy's bytes. */
  parquetSha256: string;
}

/** The stat a copy is judged by (and a reader's rows are keyed by). */
export interface SourceStat {
  ino: number;
  size: number;
  mtimeMs: number;
}

export function metricsParquetFile(metricsFile: string): string {
  return path.join(path.dirname(metricsFile), METRICS_PARQUET);
}

const sidecarFile = (metricsFile: string) => path.join(path.dirname(metricsFile), METRICS_PARQUET_SIDECAR);

export function sourceStat(file: string): SourceStat | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : null;
}

const sameStat = (a: SourceStat | null, b: SourceStat | null) => !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Whether `metricsFile` (its stat `now`) has a valid copy: 'stat' (its source by size and mtime), 'content'
 * (by size and SHA-256: copy it again to make the next check a stat), or false. A copy must be a plain file
 * (a link could lead a reader, such as the dashboard, out of its runs directory).
 */
export function validCopy(metricsFile: string, now: SourceStat): 'stat' | 'content' | false {
  let side: Sidecar;
  try {
    side = JSON.parse(fs.readFileSync(sidecarFile(metricsFile), 'utf8')) as Sidecar;
  } catch {
    return false;
  }
  if (side?.schema !== SIDECAR_SCHEMA || side.columns !== COLUMNS || typeof side.source !== 'object' || side.source === null) return false;
  const copy = metricsParquetFile(metricsFile);
  if (!fs.lstatSync(copy, { throwIfNoEntry: false })?.isFile()) return false;
  if (sha256File(copy) !== side.parquetSha256) return false;
  return sourceMatches(side.source, metricsFile, now);
}

/**
 * How many rows the copy of `metricsFile` holds, as its sidecar says (a reader's budget for what to keep
 * resident); null without a readable sidecar. Says nothing about validity: {@link validCopy} judges that.
 */
export function metricsCopyRows(metricsFile: string): number | null {
  try {
    const rows = (JSON.parse(fs.readFileSync(sidecarFile(metricsFile), 'utf8')) as Partial<Sidecar>).rows;
    return typeof rows === 'number' && Number.isInteger(rows) && rows >= 0 ? rows : null;
  } catch {
    return null;
  }
}

function sourceMatches(source: MetricsSource, metricsFile: string, now: SourceStat): 'stat' | 'content' | false {
  if (source.size !== now.size) return false;
  if (source.mtimeMs === now.mtimeMs) return 'stat';
  try {
    return sha256File(metricsFile) === source.sha256 ? 'content' : false;
  } catch {
    return false;
  }
}

/** The metrics columns in their order, for a SELECT that feeds a copy. */
export const METRIC_COLUMN_LIST = Object.keys(METRIC_COLUMNS).map((k) => `"${k}"`).join(', ');

/**
 * Write the copy of `metricsFile` from `select` (a SELECT of {@link METRIC_COLUMN_LIST}), declaring
 * `expected` (the source's stat when `select`'s rows were read) as its source. Nothing is written, and false
 * returned, when the file no longer has that stat (it changed since: the copy would not be of it).
 */
export async function writeCopyFrom(connection: DuckDBConnection, metricsFile: string, select: string, expected: SourceStat): Promise<boolean> {
  const sha256 = sha256File(metricsFile);
  if (!sameStat(sourceStat(metricsFile), expected)) return false;
  const target = metricsParquetFile(metricsFile);
  const tmp = tempBeside(target);
  try {
    const rows = Number((await connection.runAndReadAll(`COPY (${select}) TO ${lit(tmp)} (FORMAT parquet)`)).getRows()[0]?.[0] ?? 0);
    if (!sameStat(sourceStat(metricsFile), expected)) {
      fs.rmSync(tmp, { force: true });
      return false;
    }
    // COPY does not fsync: without it a crash could leave a renamed but empty copy (then a fallback, but a needless one).
    const bytes = fs.readFileSync(tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    const side: Sidecar = { schema: SIDECAR_SCHEMA, source: { size: expected.size, mtimeMs: expected.mtimeMs, sha256 }, columns: COLUMNS, rows, parquetSha256: createHash('sha256').update(bytes).digest('hex') };
    writeJsonAtomic(sidecarFile(metricsFile), side);
    return true;
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Write the copy of a run's metrics.jsonl from the file itself (a finished run: the trainer, `opto bench`'s
 * fixture), in `connection` or a DuckDB of its own. False when there is no metrics file, or it changed
 * while it was read (then there is no copy: readers use the JSON lines).
 */
export async function writeMetricsParquet(metricsFile: string, connection?: DuckDBConnection): Promise<boolean> {
  if (!connection) {
    const instance = await DuckDBInstance.create(':memory:');
    const own = await instance.connect();
    try {
      return await writeMetricsParquet(metricsFile, own);
    } finally {
      own.closeSync();
      instance.closeSync();
    }
  }
  const before = sourceStat(metricsFile);
  if (!before) return false;
  // Read once into a temp table: counted for the metadata and copied from there.
  const tmp = `mp_${Math.random().toString(36).slice(2)}`;
  await connection.run(`CREATE TEMP TABLE ${tmp} AS SELECT ${METRIC_COLUMN_LIST} FROM (${readMetricsSql([metricsFile])})`);
  try {
    return await writeCopyFrom(connection, metricsFile, `SELECT * FROM ${tmp}`, before);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}
