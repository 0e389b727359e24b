/**
 * A finished run's metrics as a compact columnar copy beside its metrics.jsonl (`metrics.parquet`), so a
 * reader that starts cold (the dashboard's compare view over a sweep of 128 runs) reads a few columns per
 * run instead of parsing megabytes of JSON lines. The JSON lines stay the run's record; the copy is derived
 * data, written once when the run finishes (the trainer) or by the first reader that finds none valid
 * (the dashboard), and used only while it still matches the file it was made from.
 *
 * Validity. The copy's Parquet key-value metadata names its source: the metrics.jsonl's size, mtime and
 * SHA-256 of its bytes, the row count and the columns. A reader trusts the copy when the source has the same
 * size and mtime (a stat), or the same size and SHA-256 (a run copied or synced elsewhere, whose mtime
 * changed). Anything else (a resumed run appended rows, the copy is unreadable, truncated or of other
 * columns) falls back to the JSON lines, and the copy is written again.
 *
 * Writes are atomic (a temp file beside the target, fsynced, renamed over it: store/atomic.ts), and a copy
 * whose source changed while it was written is thrown away rather than renamed into place.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tempBeside } from './atomic.js';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

export const METRICS_PARQUET = 'metrics.parquet';
/** The key-value metadata entry that names the copy's source. */
const SOURCE_KEY = 'optoscope_metrics_jsonl';
const COLUMNS = Object.keys(METRIC_COLUMNS).join(',');

/** What a copy was made from (its key-value metadata). */
export interface MetricsSource {
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Rows in the copy. */
  rows: number;
  /** Sum of DuckDB's hash of each row (decimal): a reader compares the rows it loaded, so a damaged value is caught, not only a damaged file. */
  digest: string;
  /** The metrics columns, comma-separated (a copy from another version's columns is not used). */
  columns: string;
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

export function sourceStat(file: string): SourceStat | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : null;
}

const sameStat = (a: SourceStat | null, b: SourceStat | null) => !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Whether a copy made from `source` holds the rows of `metricsFile` as it is now (`now`: its stat). */
export function copyMatches(source: MetricsSource, metricsFile: string, now: SourceStat): 'stat' | 'content' | false {
  if (source.columns !== COLUMNS || source.size !== now.size) return false;
  if (source.mtimeMs === now.mtimeMs) return 'stat';
  try {
    return sha256File(metricsFile) === source.sha256 ? 'content' : false;
  } catch {
    return false;
  }
}

/**
 * The sources named by the copies in `parquetFiles` (one read of their footers; a file that is absent or
 * not a readable copy is left out).
 */
export async function readCopySources(connection: DuckDBConnection, parquetFiles: readonly string[]): Promise<Map<string, MetricsSource>> {
  const out = new Map<string, MetricsSource>();
  const read = async (files: readonly string[]) => {
    const r = await connection.runAndReadAll(`SELECT file_name AS f, decode(value) AS v FROM parquet_kv_metadata([${files.map(lit).join(', ')}]) WHERE decode(key) = ${lit(SOURCE_KEY)}`);
    for (const { f, v } of r.getRowObjectsJS() as { f: string; v: string }[]) {
      try {
        const s = JSON.parse(v) as MetricsSource;
        if (typeof s.size === 'number' && typeof s.mtimeMs === 'number' && typeof s.sha256 === 'string' && typeof s.rows === 'number' && typeof s.digest === 'string' && typeof s.columns === 'string') out.set(f, s);
      } catch {
        /* not our metadata: not a valid copy */
      }
    }
  };
  // A plain file only: a link could point a reader (the dashboard, which checks every path it reads) outside its runs directory.
  const present = parquetFiles.filter((f) => fs.lstatSync(f, { throwIfNoEntry: false })?.isFile());
  if (!present.length) return out;
  try {
    await read(present);
  } catch {
    // One unreadable footer fails the whole read: read them one by one, leaving out the bad ones.
    for (const f of present) await read([f]).catch(() => undefined);
  }
  return out;
}

/** The metrics columns in their order, for a SELECT that feeds a copy. */
export const METRIC_COLUMN_LIST = Object.keys(METRIC_COLUMNS).map((k) => `"${k}"`).join(', ');

/** The rows' digest as SQL (an aggregate over the metrics columns). */
export const ROW_DIGEST = `CAST(coalesce(sum(hash(${METRIC_COLUMN_LIST})), 0) AS VARCHAR)`;

/**
 * Write the copy of `metricsFile` from `select` (a SELECT of {@link METRIC_COLUMN_LIST}), declaring
 * `expected` (the source's stat when `select`'s rows were read) as its source. Nothing is written, and false
 * returned, when the file no longer has that stat (it changed since: the copy would not be of it).
 */
export async function writeCopyFrom(connection: DuckDBConnection, metricsFile: string, select: string, expected: SourceStat): Promise<boolean> {
  const sha256 = sha256File(metricsFile);
  if (!sameStat(sourceStat(metricsFile), expected)) return false;
  const [rows, digest] = (await connection.runAndReadAll(`SELECT count(*), ${ROW_DIGEST} FROM (${select})`)).getRows()[0]!;
  const source: MetricsSource = { size: expected.size, mtimeMs: expected.mtimeMs, sha256, rows: Number(rows), digest: String(digest), columns: COLUMNS };
  const target = metricsParquetFile(metricsFile);
  const tmp = tempBeside(target);
  try {
    await connection.run(`COPY (${select}) TO ${lit(tmp)} (FORMAT parquet, KV_METADATA {${SOURCE_KEY}: ${lit(JSON.stringify(source))}})`);
    if (!sameStat(sourceStat(metricsFile), expected)) {
      fs.rmSync(tmp, { force: true });
      return false;
    }
    // COPY does not fsync: without it a crash could leave a renamed but empty copy (then unreadable: a fallback, but a needless one).
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
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
