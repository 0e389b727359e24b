/**
 * Many runs at once: listing the run directories under a runs directory, and SQL over all of them with
 * DuckDB. `openRunStore` defines three views over the files as they are on disk (nothing is copied, so a
 * query sees live runs as of the moment it runs):
 *
 *   runs         one row per run.json: run_id, status, sweep, preset, classes, labels, seqs, seed_*, progress_seqs,
 *                learning_time, learned, wall_s, ms_per_step, backend, created_at, updated_at, dir,
 *                config (JSON), summary (JSON), record (the whole run.json as JSON)
 *   metrics      one row per metrics.jsonl line: run_id, kind, seqs, step, set, the eval metrics of spec 3.3,
 *                grad_norm, steps, wall_s (a trailing partial line of a live or killed run is ignored)
 *   checkpoints  one row per saved parameter checkpoint: run_id, seqs, path
 *   tags         one row per tag of `opto runs tag`: run_id, key, value
 *   notes        one row per run with a note (`opto runs note`): run_id, note
 *
 * The README ("Run store") documents every column.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';
import { readHeartbeat, resumeCommand, runStaleness, type Staleness } from './liveness.js';
import { RunDir, type RunRecord } from './runDir.js';
import { TAGS_FILE } from './tags.js';

export { MetricRowsTable } from './metricRows.js';
export { aggregateSweep, sweepAggregator, type AggregateMember, type PreloadOptions, type AggregatePoint, type RunStats, type SeriesSelector, type SweepAggregate } from './aggregate.js';
export { METRICS_PARQUET, metricsCopyRows, metricsParquetFile, writeMetricsParquet } from './metricsParquet.js';

export interface RunInfo {
  /** The directory's name (a sweep member's ID, or a `opto train --out` name). */
  id: string;
  dir: string;
  record: RunRecord | null;
  /** Why run.json could not be read. */
  error?: string;
  /** Set when the record says `running` but its writer is gone (liveness.ts). */
  stale: Staleness | null;
}

/**
 * The run directories directly under `runsDir` (those with a run.json), sorted by ID. `location` is what
 * the user named the runs by (an s3:// URL when `runsDir` is its local cache), for resume commands.
 */
export function listRuns(runsDir: string, location = runsDir): RunInfo[] {
  if (!fs.existsSync(runsDir)) throw new Error(`runs directory ${runsDir} does not exist`);
  if (!fs.statSync(runsDir).isDirectory()) throw new Error(`runs directory ${runsDir} is not a directory`);
  return fs
    .readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(runsDir, d.name, 'run.json')))
    .map((d) => d.name)
    .sort()
    .map((id) => {
      const dir = path.join(runsDir, id);
      try {
        const record = RunDir.open(dir).readRecord();
        return { id, dir, record, stale: runStaleness(record, readHeartbeat(dir), resumeCommand(location, id)) };
      } catch (e) {
        return { id, dir, record: null, error: (e as Error).message, stale: null };
      }
    });
}

/** A run by path, by ID under `runsDir`, or by a unique ID prefix. */
export function findRun(runsDir: string, idOrPath: string): RunDir {
  if (fs.existsSync(path.join(idOrPath, 'run.json'))) return RunDir.open(idOrPath);
  const direct = path.join(runsDir, idOrPath);
  if (fs.existsSync(path.join(direct, 'run.json'))) return RunDir.open(direct);
  const hits = fs.existsSync(runsDir) ? listRuns(runsDir).filter((r) => r.id.startsWith(idOrPath)) : [];
  if (hits.length === 1) return RunDir.open(hits[0].dir);
  if (hits.length > 1) throw new Error(`'${idOrPath}' matches ${hits.length} runs in ${runsDir}: ${hits.slice(0, 5).map((h) => h.id).join(', ')}${hits.length > 5 ? ', ...' : ''}`);
  throw new Error(`no run '${idOrPath}' in ${runsDir} (and no run directory at that path)`);
}

export interface QueryResult {
  columns: string[];
  /** JSON-safe values (DuckDB's JSON conversion; integers beyond 2^53 and decimals stay strings). */
  rows: unknown[][];
}

/** Statements a query may be: the run store is read-only, so COPY ... TO, ATTACH, SET, INSTALL etc. are refused. */
const READ_ONLY = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/** Run one read-only SQL statement over the runs under `runsDir` (views: runs, metrics, checkpoints). */
export async function queryRuns(runsDir: string, sql: string): Promise<QueryResult> {
  const store = await openRunStore(runsDir);
  try {
    let stmt;
    if (!sql.trim()) throw new QueryRefused('query: give exactly one SQL statement (got 0)');
    try {
      const statements = await store.connection.extractStatements(sql);
      if (statements.count !== 1) throw new QueryRefused(`query: give exactly one SQL statement (got ${statements.count})`);
      stmt = await statements.prepare(0);
    } catch (e) {
      if (e instanceof QueryRefused) throw e;
      throw new QueryRefused(`query failed: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!READ_ONLY.has(stmt.statementType))
      throw new QueryRefused(`query: only read-only statements (SELECT, EXPLAIN) may run over the run store; this is a ${StatementType[stmt.statementType]} statement`);
    const reader = await stmt.runAndReadAll();
    // DuckDB's JSON form writes 64-bit integers as strings; give back numbers where they are exact.
    const wide = reader.columnTypes().map((t) => /^U?(BIG|HUGE)INT$/.test(t.toString()));
    const rows = reader.getRowsJson().map((row) =>
      row.map((v, i) => (wide[i] && typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v)),
    );
    return { columns: reader.deduplicatedColumnNames(), rows };
  } catch (e) {
    if (e instanceof QueryRefused) throw e;
    throw new Error(`query failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    store.close();
  }
}

class QueryRefused extends Error {
  override name = 'QueryRefused';
}

/** An in-memory DuckDB with the run-store views defined over `runsDir`. */
export async function openRunStore(runsDir: string): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const runs = listRuns(runsDir);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    for (const stmt of viewSql(runs)) await connection.run(stmt);
  } catch (e) {
    close();
    throw e;
  }
  return { connection, close };
}

const list = (files: string[]) => `[${files.map(lit).join(', ')}]`;
/** The run directory's name from a file path inside it (`<runs>/<id>/run.json` → `<id>`). */
const runIdOf = (depth: number) => `string_split(replace(filename, '\\', '/'), '/')[-${depth}]`;

function viewSql(runs: RunInfo[]): string[] {
  const records = runs.filter((r) => r.record).map((r) => path.resolve(r.dir, 'run.json'));
  const metrics = runs.map((r) => path.resolve(r.dir, 'metrics.jsonl')).filter((f) => fs.existsSync(f));
  const ckpts = runs.filter((r) => fs.existsSync(path.join(r.dir, 'checkpoints'))).map((r) => path.resolve(r.dir, 'checkpoints', 'seqs-*.safetensors'));

  const j = (p: string, type: string) => `try_cast(json_extract_string(j, '$.${p}') AS ${type})`;
  const recordSrc = records.length ? `SELECT filename, content::JSON AS j FROM read_text(${list(records)})` : `SELECT NULL::VARCHAR AS filename, NULL::JSON AS j WHERE false`;
  const runsView = `CREATE VIEW runs AS SELECT
      ${runIdOf(2)} AS run_id,
      ${j('status', 'VARCHAR')} AS status,
      ${j('config.name', 'VARCHAR')} AS sweep,
      ${j('config.preset', 'VARCHAR')} AS preset,
      ${j('config.task.classSplit[0]', 'INTEGER')} AS classes,
      ${j('config.task.numLabels', 'INTEGER')} AS labels,
      ${j('config.schedule.seqs', 'BIGINT')} AS seqs,
      ${j('seeds.init', 'INTEGER')} AS seed_init,
      ${j('seeds.train', 'INTEGER')} AS seed_train,
      ${j('seeds.eval', 'INTEGER')} AS seed_eval,
      ${j('progress.seqs', 'BIGINT')} AS progress_seqs,
      ${j('summary.learning_time', 'BIGINT')} AS learning_time,
      ${j('summary.learned', 'BOOLEAN')} AS learned,
      ${j('summary.wall_s', 'DOUBLE')} AS wall_s,
      ${j('summary.ms_per_step', 'DOUBLE')} AS ms_per_step,
      ${j('backend.used', 'VARCHAR')} AS backend,
      ${j('created_at', 'TIMESTAMPTZ')} AS created_at,
      ${j('updated_at', 'TIMESTAMPTZ')} AS updated_at,
      parse_dirpath(filename) AS dir,
      json_extract(j, '$.config') AS config,
      json_extract(j, '$.summary') AS summary,
      j AS record
    FROM (${recordSrc})`;

  const cols = METRIC_COLUMNS;
  const metricNames = Object.keys(cols).map((c) => `"${c}"`).join(', ');
  const metricSrc = metrics.length
    ? readMetricsSql(metrics)
    : `SELECT ${Object.entries(cols).map(([k, t]) => `NULL::${t} AS "${k}"`).join(', ')}, NULL::VARCHAR AS filename WHERE false`;
  const metricsView = `CREATE VIEW metrics AS SELECT ${runIdOf(2)} AS run_id, ${metricNames} FROM (${metricSrc}) WHERE kind IS NOT NULL`;

  const ckptSrc = ckpts.length ? `SELECT file AS filename FROM glob(${list(ckpts)})` : `SELECT NULL::VARCHAR AS filename WHERE false`;
  const ckptView = `CREATE VIEW checkpoints AS SELECT ${runIdOf(3)} AS run_id,
      CAST(regexp_extract(filename, 'seqs-(\\d+)\\.safetensors$', 1) AS BIGINT) AS seqs, filename AS path
    FROM (${ckptSrc}) ORDER BY run_id, seqs`;
  const tagFiles = runs.map((r) => path.resolve(r.dir, TAGS_FILE)).filter((f) => fs.existsSync(f));
  const tagSrc = tagFiles.length
    ? `SELECT ${runIdOf(2)} AS run_id, content::JSON AS j FROM read_text(${list(tagFiles)})`
    : `SELECT NULL::VARCHAR AS run_id, NULL::JSON AS j WHERE false`;
  const tagsView = `CREATE VIEW tags AS SELECT run_id, key, json_extract_string(j, '$.tags."' || key || '"') AS value
    FROM (SELECT run_id, j, unnest(json_keys(j, '$.tags')) AS key FROM (${tagSrc})) ORDER BY run_id, key`;
  const notesView = `CREATE VIEW notes AS SELECT run_id, json_extract_string(j, '$.note') AS note FROM (${tagSrc}) WHERE json_extract_string(j, '$.note') IS NOT NULL ORDER BY run_id`;
  return [runsView, metricsView, ckptView, tagsView, notesView];
}
