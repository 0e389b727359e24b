/**
 * A sweep's curves aggregated over seeds, in one DuckDB query over the metrics files of many runs: one line
 * per group (a condition) with the mean over its members and the spread (sample standard deviation, min and
 * max), downsampled per bucket so a long run never ships every row to a page.
 *
 * Buckets. x (sequences seen, or wall seconds) is cut into buckets of width
 *   w = max(x_max / maxPoints, max over runs of x_max,r / (n_r − 1))
 * where n_r is run r's number of distinct x: the coarsest eval spacing of any member, so with one shared
 * eval schedule every eval is its own bucket (nothing is averaged away), and with uneven schedules each
 * bucket holds every member's evals in it, and at most `maxPoints` buckets. Within a bucket each run
 * contributes one value, the mean of its points there (and its mean x); the group's point is the mean,
 * sample std (n − 1; 0 for one member), min and max of those values over the members present, at their
 * mean x, with n = how many members had a point. A member with no rows (failed before its first eval)
 * simply never counts.
 *
 * Per run, the same query gives the learning time (spec 5.9: first eval x with fsl_train loss < 0.4·ln 2,
 * else the last eval x, not learned) and the final loss per eval set and of the train window.
 */
import { statSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { MetricRowsTable, type FileStats } from './metricRows.js';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

export interface AggregateMember {
  run: string;
  /** Index of the member's group. */
  group: number;
  /** Its metrics.jsonl (absolute path; it may not exist yet). */
  metricsFile: string;
  /** Its run has finished (the file is complete): a long-lived reader keeps a columnar copy of it (store/metricsParquet.ts). */
  finished?: boolean;
}

export interface SeriesSelector {
  /** Eval rows of one set, or the train window's rows. */
  kind: 'eval' | 'train';
  /** Eval set (eval rows only). */
  set?: string;
  /** Column: loss, acc, ..., grad_norm. */
  metric: string;
  /** x: sequences seen (default) or wall seconds since training started. */
  x?: 'seqs' | 'wall_s';
  /** At most this many buckets (default 200). */
  maxPoints?: number;
}

export interface AggregatePoint {
  group: number;
  x: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Members with a point in this bucket. */
  n: number;
}

export interface RunStats extends FileStats {
  run: string;
}

export interface SweepAggregate {
  /** Bucket width in x units (see the module comment). */
  bucketWidth: number;
  points: AggregatePoint[];
  runs: RunStats[];
}

/**
 * Aggregate `sel` over `members` (one query for the curves, one for the per-run statistics), reading their
 * metrics files, or from `rows`: a table holding those files' rows by file key (a
 * {@link MetricRowsTable}, which a long-lived reader keeps current).
 */
export async function aggregateSweep(connection: DuckDBConnection, members: readonly AggregateMember[], sel: SeriesSelector, rows?: MetricRowsTable): Promise<SweepAggregate> {
  if (!(sel.metric in METRIC_COLUMNS) || ['kind', 'set'].includes(sel.metric)) throw new Error(`metric '${sel.metric}' is not a metrics column (one of ${Object.keys(METRIC_COLUMNS).filter((c) => c !== 'kind' && c !== 'set').join(', ')})`);
  const x = sel.x ?? 'seqs';
  if (x !== 'seqs' && x !== 'wall_s') throw new Error(`x must be seqs or wall_s, got '${String(x)}'`);
  const maxPoints = sel.maxPoints ?? 200;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  const present = members.filter((m) => fileExists(m.metricsFile));
  if (!present.length) return { bucketWidth: 0, points: [], runs: [] };

  // The members' rows with their group: from the resident rows (joined by small integer keys, read in
  // place: the table, and valid columnar copies), or one scan of the files into a temp table read by both
  // statements below.
  const tmp = rows ? null : `agg_${Math.random().toString(36).slice(2)}`;
  const values = rows
    ? `(VALUES ${present.map((m) => `(${rows.idOf(m.metricsFile)}, ${m.group}, ${lit(m.run)})`).join(', ')})`
    : `(VALUES ${present.map((m) => `(${lit(m.metricsFile)}, ${m.group}, ${lit(m.run)})`).join(', ')})`;
  const cols = `g.grp, g.run, r.kind, r."set", r.seqs, r.wall_s, r.loss, r."${sel.metric}" AS v`;
  const table = rows
    ? `(SELECT ${cols} FROM ${rows.relation(present.map((m) => m.metricsFile))} r JOIN ${values} AS g(fid, grp, run) ON r.fid = g.fid)`
    : tmp!;
  if (tmp) await connection.run(`CREATE TEMP TABLE ${tmp} AS SELECT ${cols} FROM (${readMetricsSql(present.map((m) => m.metricsFile))}) r JOIN ${values} AS g(file, grp, run) ON r.filename = g.file`);
  try {
    const where = sel.kind === 'eval' ? `kind = 'eval' AND "set" = ${lit(sel.set ?? 'fsl_train')}` : `kind = 'train'`;
    const curves = await connection.runAndReadAll(`
      WITH m AS (SELECT grp, run, CAST(${x} AS DOUBLE) AS x, v FROM ${table} WHERE ${where} AND ${x} IS NOT NULL AND v IS NOT NULL AND isfinite(v)),
      span AS (SELECT run, max(x) AS xmax, count(DISTINCT x) AS n FROM m GROUP BY run),
      wid AS (SELECT greatest(max(xmax) / ${maxPoints}, max(CASE WHEN n > 1 THEN xmax / (n - 1) ELSE 0 END)) AS w FROM span),
      b AS (SELECT grp, run, CASE WHEN w > 0 THEN floor(x / w) ELSE 0 END AS bucket, avg(x) AS bx, avg(v) AS bv FROM m, wid GROUP BY grp, run, bucket)
      SELECT grp, bucket, avg(bx) AS x, avg(bv) AS mean, coalesce(stddev_samp(bv), 0) AS std, min(bv) AS lo, max(bv) AS hi, count(*) AS n, any_value(w) AS w
      FROM b, wid GROUP BY grp, bucket ORDER BY grp, bucket`);
    // Read by column: DuckDB's row objects cost more than the query itself for a sweep's few thousand points.
    const c = curves.getColumnsObjectJS() as { grp: number[]; x: number[]; mean: number[]; std: number[]; lo: number[]; hi: number[]; n: (bigint | number)[]; w: number[] };
    // Per run statistics depend on nothing but its rows: with resident rows they are computed once per
    // version of its file (kept by the table), so another grouping, metric or x of the same runs skips them.
    const runs = rows
      ? await statsFromResident(connection, rows, present)
      : (await runStatsQuery(connection, `(SELECT run AS k, kind, "set", seqs, loss FROM ${table})`, present.map((m) => lit(m.run)))).map((s, i) => ({ run: present[i]!.run, ...s }));
    runs.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
    const points: AggregatePoint[] = new Array(c.grp?.length ?? 0);
    for (let i = 0; i < points.length; i++) points[i] = { group: c.grp[i]!, x: c.x[i]!, mean: c.mean[i]!, std: c.std[i]!, min: c.lo[i]!, max: c.hi[i]!, n: Number(c.n[i]) };
    return { bucketWidth: c.w?.[0] ?? 0, points, runs };
  } finally {
    if (tmp) await connection.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}

/**
 * The per-run statistics of the rows in `source` (columns k, kind, set, seqs, loss), one query for all
 * `keys` (SQL literals of k), in their order; a key without rows gets the empty statistics.
 */
async function runStatsQuery(connection: DuckDBConnection, source: string, keys: readonly string[]): Promise<FileStats[]> {
  const r = await connection.runAndReadAll(`
    WITH src AS (SELECT * FROM ${source} WHERE kind IN ('eval', 'train')),
    e AS (SELECT * FROM src WHERE kind = 'eval'),
    lt AS (SELECT k, min(seqs) FILTER (WHERE "set" = 'fsl_train' AND loss < ${0.4 * Math.LN2}) AS learned_at,
                  max(seqs) FILTER (WHERE "set" = 'fsl_train') AS last_train_eval, max(seqs) AS last_eval FROM e GROUP BY k),
    fin AS (SELECT k, "set", arg_max(loss, seqs) AS loss FROM e WHERE loss IS NOT NULL GROUP BY k, "set"),
    fj AS (SELECT k, CAST(json_group_object("set", loss) AS VARCHAR) AS final FROM fin GROUP BY k),
    tr AS (SELECT k, arg_max(loss, seqs) AS loss FROM src WHERE kind = 'train' AND loss IS NOT NULL GROUP BY k)
    SELECT g.i, lt.learned_at, lt.last_train_eval, lt.last_eval, tr.loss AS train_loss, fj.final
    FROM (VALUES ${keys.map((k, i) => `(${k}, ${i})`).join(', ')}) AS g(k, i) LEFT JOIN lt USING (k) LEFT JOIN tr USING (k) LEFT JOIN fj USING (k) ORDER BY g.i`);
  const c = r.getColumnsObjectJS() as { learned_at: (bigint | null)[]; last_train_eval: (bigint | null)[]; last_eval: (bigint | null)[]; train_loss: (number | null)[]; final: (string | null)[] };
  const num = (v: bigint | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return keys.map((_, i): FileStats => {
    const learnedAt = num(c.learned_at[i]);
    const final = c.final[i];
    return {
      learningTime: learnedAt ?? num(c.last_train_eval[i]),
      learned: learnedAt !== null,
      lastSeqs: num(c.last_eval[i]),
      finalLoss: final ? (JSON.parse(final) as Record<string, number>) : {},
      finalTrainLoss: c.train_loss[i] ?? null,
    };
  });
}

/** The members' statistics from the table's cache, computing (in one query) those of files not seen at their current version. */
async function statsFromResident(connection: DuckDBConnection, rows: MetricRowsTable, present: readonly AggregateMember[]): Promise<RunStats[]> {
  await computeFileStats(connection, rows, present.map((m) => m.metricsFile));
  return present.map((m) => ({ run: m.run, ...rows.statsOf(m.metricsFile)! }));
}

/** Compute and keep the statistics of those of `files` (refreshed in `rows`) that the table has none for. */
export async function computeFileStats(connection: DuckDBConnection, rows: MetricRowsTable, files: readonly string[]): Promise<void> {
  const need = [...new Set(files)].filter((f) => !rows.statsOf(f));
  if (!need.length) return;
  const got = await runStatsQuery(connection, `(SELECT fid AS k, kind, "set", seqs, loss FROM ${rows.relation(need)})`, need.map((f) => String(rows.idOf(f))));
  need.forEach((f, i) => rows.keepStats(f, got[i]!));
}

function fileExists(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

export interface PreloadOptions {
  /** Files per step (default 16). */
  chunk?: number;
  /** Awaited before each step (a server waits until it is not busy answering requests). */
  quiet?: () => Promise<void>;
}

/**
 * An in-memory DuckDB kept open for many aggregations (a server's): one connection per call, the members'
 * metrics rows kept resident between calls ({@link MetricRowsTable}: a file is parsed again only when it
 * changed; a finished run's file is read in place from its columnar copy where one is valid). After an answer, the
 * copies of finished runs that had none valid are written in the background from the rows just loaded, so
 * the next server to start reads them cold from Parquet; `idle()` resolves when those writes are done.
 * `warm()` opens the database ahead of the first call (a server does so when it starts); `preload(files)`
 * then loads finished runs' rows from their copies into the resident table, with their per-run statistics,
 * so that the first compare view of those runs reads a table instead of a hundred small Parquet files.
 */
export function sweepAggregator(): {
  aggregate: (members: readonly AggregateMember[], sel: SeriesSelector) => Promise<SweepAggregate>;
  warm: () => Promise<void>;
  /**
   * Make the rows of finished runs' `files` resident (from their columnar copies where valid, else their
   * JSON lines) and compute their per-run statistics, in the background: a call meanwhile waits its turn.
   */
  preload: (files: readonly string[], o?: PreloadOptions) => Promise<void>;
  idle: () => Promise<void>;
  /** How each file's rows were last read: from its columnar copy or its JSON lines. */
  readFrom: ReadonlyMap<string, 'parquet' | 'json'>;
  close: () => Promise<void>;
} {
  const instance = DuckDBInstance.create(':memory:');
  const rows = new MetricRowsTable();
  let background: Promise<unknown> = Promise.resolve();
  const withConnection = async <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const connection = await (await instance).connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  };
  return {
    aggregate: async (members, sel) => {
      const files = members.map((m) => m.metricsFile);
      const finished = new Set(members.filter((m) => m.finished).map((m) => m.metricsFile));
      const answer = await withConnection((connection) => rows.reading(connection, files, finished, () => aggregateSweep(connection, members, sel, rows)));
      // A copy is an optimisation: one that cannot be written (read-only runs) costs nothing but the next cold read.
      if (rows.copiesDue)
        background = background
          .then(() =>
            withConnection(async (c) => {
              await rows.saveCopies(c);
              await rows.loadCopiedRows(c);
            }),
          )
          .catch(() => undefined);
      return answer;
    },
    // Loads the native binding and creates the table (a refresh of no files).
    warm: () => withConnection((connection) => rows.refresh(connection, [])),
    preload: (files, o = {}) => {
      const finished = new Set(files);
      const unique = [...finished];
      const step = Math.max(1, o.chunk ?? 16);
      const done = background.then(async () => {
        // In steps, each after `quiet()`: a server loading at start leaves its first requests the machine.
        for (let i = 0; i < unique.length; i += step) {
          await o.quiet?.();
          const part = unique.slice(i, i + step);
          await withConnection(async (c) => {
            // Checked (copies hashed) and read in place first, then moved into the table in one statement,
            // and the statistics computed from there (cheaper than from the files).
            await rows.refresh(c, part, finished);
            await rows.loadCopiedRows(c);
            await rows.reading(c, part, finished, () => computeFileStats(c, rows, part));
          });
        }
      });
      background = done.catch(() => undefined);
      return done;
    },
    idle: () => background.then(() => undefined),
    readFrom: rows.readFrom,
    async close() {
      await background;
      (await instance).closeSync();
    },
  };
}
