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
import { MetricRowsTable } from './metricRows.js';
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

export interface RunStats {
  run: string;
  /** Learning time (spec 5.9) in sequences; null without fsl_train evals. */
  learningTime: number | null;
  learned: boolean;
  /** Last eval x. */
  lastSeqs: number | null;
  /** Last eval loss per eval set. */
  finalLoss: Record<string, number>;
  /** Last train-window loss. */
  finalTrainLoss: number | null;
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
    const stats = await connection.runAndReadAll(`
      WITH e AS (SELECT * FROM ${table} WHERE kind = 'eval'),
      lt AS (SELECT run, min(seqs) FILTER (WHERE "set" = 'fsl_train' AND loss < ${0.4 * Math.LN2}) AS learned_at,
                    max(seqs) FILTER (WHERE "set" = 'fsl_train') AS last_train_eval, max(seqs) AS last_eval FROM e GROUP BY run),
      fin AS (SELECT run, "set", arg_max(loss, seqs) AS loss FROM e WHERE loss IS NOT NULL GROUP BY run, "set"),
      fj AS (SELECT run, CAST(json_group_object("set", loss) AS VARCHAR) AS final FROM fin GROUP BY run),
      tr AS (SELECT run, arg_max(loss, seqs) AS loss FROM ${table} WHERE kind = 'train' AND loss IS NOT NULL GROUP BY run)
      SELECT g.run, lt.learned_at, lt.last_train_eval, lt.last_eval, tr.loss AS train_loss, fj.final
      FROM ${values} AS g(key, grp, run) LEFT JOIN lt USING (run) LEFT JOIN tr USING (run) LEFT JOIN fj USING (run) ORDER BY g.run`);
    const runs = (stats.getRowObjectsJS() as { run: string; learned_at: bigint | null; last_train_eval: bigint | null; last_eval: bigint | null; train_loss: number | null; final: string | null }[]).map((r): RunStats => {
      const num = (v: bigint | null) => (v === null ? null : Number(v));
      const learnedAt = num(r.learned_at);
      const lastTrain = num(r.last_train_eval);
      return {
        run: r.run,
        learningTime: learnedAt ?? lastTrain,
        learned: learnedAt !== null,
        lastSeqs: num(r.last_eval),
        finalLoss: r.final ? (JSON.parse(r.final) as Record<string, number>) : {},
        finalTrainLoss: r.train_loss,
      };
    });
    const points: AggregatePoint[] = new Array(c.grp?.length ?? 0);
    for (let i = 0; i < points.length; i++) points[i] = { group: c.grp[i]!, x: c.x[i]!, mean: c.mean[i]!, std: c.std[i]!, min: c.lo[i]!, max: c.hi[i]!, n: Number(c.n[i]) };
    return { bucketWidth: c.w?.[0] ?? 0, points, runs };
  } finally {
    if (tmp) await connection.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}

function fileExists(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

/**
 * An in-memory DuckDB kept open for many aggregations (a server's): one connection per call, the members'
 * metrics rows kept resident between calls ({@link MetricRowsTable}: a file is parsed again only when it
 * changed; a finished run's file is read in place from its columnar copy where one is valid). After an answer, the
 * copies of finished runs that had none valid are written in the background from the rows just loaded, so
 * the next server to start reads them cold from Parquet; `idle()` resolves when those writes are done.
 * `warm()` opens the database ahead of the first call (a server does so when it starts).
 */
export function sweepAggregator(): {
  aggregate: (members: readonly AggregateMember[], sel: SeriesSelector) => Promise<SweepAggregate>;
  warm: () => Promise<void>;
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
    idle: () => background.then(() => undefined),
    readFrom: rows.readFrom,
    async close() {
      await background;
      (await instance).closeSync();
    },
  };
}
