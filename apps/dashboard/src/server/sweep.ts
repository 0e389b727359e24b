/**
 * The compare view's grouped answer: the selected runs grouped by any fields (or automatically by what
 * differs except the seeds), each group's curve aggregated over its members on the server in one DuckDB
 * query over their metrics files (engine: store/aggregate.ts), plus each run's learning time and final
 * losses. Answers are cached by the metrics files' sizes and mtimes, so a repeated or polled request for
 * unchanged runs costs one stat per run; the runs' rows stay in the aggregator's DuckDB between requests
 * (engine: store/metricRows.ts), so another grouping or metric of the same runs parses no JSON. A finished
 * run is read cold from its columnar copy (metrics.parquet, engine: store/metricsParquet.ts); one without a
 * valid copy gets it written after the answer (the one file this server writes; where the runs directory is
 * read-only there is none, and cold reads parse the JSON lines).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FieldValue, Grouping } from '@optoscope/engine';
import type { RunStats, SeriesSelector } from '@optoscope/engine/query';
import { engine, engineQuery, type EngineQueryModule } from './engine';
import { ApiError } from './errors';
import { checkRunId, containedPath, runsDir } from './paths';
import { processWide } from './processWide';
import { allRuns, type RunRow } from './runs';

export interface SweepQuery {
  runs: string[];
  /** Field names, or 'auto'. */
  by: string[] | 'auto';
  series: SeriesSelector;
}

export interface SweepGroup {
  key: string;
  /** The group's name (paper label or the differences in words). */
  label: string;
  /** What the legend says: the label, and "(3 of 5 seeds)" when some members are unfinished or failed. */
  legend: string;
  values: Record<string, FieldValue>;
  members: string[];
  finished: number;
  points: { x: number; mean: number; std: number; min: number; max: number; n: number }[];
}

export interface SweepRun extends RunRow {
  group: string;
  stats: RunStats | null;
}

export interface SweepAnswer {
  by: string[];
  auto: boolean;
  labelledBy: Grouping['labelledBy'];
  /** Every field the selected runs have (what a group-by menu offers). */
  fields: string[];
  series: SeriesSelector;
  bucketWidth: number;
  groups: SweepGroup[];
  runs: SweepRun[];
  /** Selected runs that could not be read, with the reason. */
  errors: { id: string; error: string }[];
}

export const MAX_SWEEP_RUNS = 500;
const METRICS = new Set(['loss', 'acc', 'prob', 'in_context_acc', 'in_context_prob', 'out_context_acc', 'out_context_prob', 'use_context_prob', 'grad_norm']);

/** Parse ?runs=a,b&by=clamp,labels|auto&kind=eval&set=fsl_train&metric=loss&x=seqs&points=200. */
export function sweepQueryFrom(sp: URLSearchParams): SweepQuery {
  const runs = (sp.get('runs') ?? '').split(',').filter(Boolean);
  if (!runs.length) throw new ApiError(400, 'runs: give the run ids to compare, e.g. ?runs=a,b,c');
  if (runs.length > MAX_SWEEP_RUNS) throw new ApiError(400, `runs: at most ${MAX_SWEEP_RUNS} runs at once (got ${runs.length})`);
  const byRaw = sp.get('by') ?? 'auto';
  const by = byRaw === 'auto' || byRaw === '' ? 'auto' : byRaw.split(',').filter(Boolean);
  if (by !== 'auto' && by.some((f) => !/^[\w.:-]{1,200}$/.test(f))) throw new ApiError(400, `by: '${byRaw}' is not a list of field names`);
  const kind = sp.get('kind') ?? 'eval';
  if (kind !== 'eval' && kind !== 'train') throw new ApiError(400, `kind must be eval or train, got '${kind}'`);
  const metric = sp.get('metric') ?? 'loss';
  if (!METRICS.has(metric)) throw new ApiError(400, `metric '${metric}' is not one of ${[...METRICS].join(', ')}`);
  const x = sp.get('x') ?? 'seqs';
  if (x !== 'seqs' && x !== 'wall_s') throw new ApiError(400, `x must be seqs or wall_s, got '${x}'`);
  const points = Number(sp.get('points') ?? 200);
  if (!Number.isInteger(points) || points < 2 || points > 5000) throw new ApiError(400, `points must be an integer from 2 to 5000, got '${sp.get('points')}'`);
  const set = sp.get('set') ?? 'fsl_train';
  if (!/^[\w-]{1,64}$/.test(set)) throw new ApiError(400, `set '${set}' is not an eval set name`);
  return { runs, by, series: { kind, set: kind === 'eval' ? set : undefined, metric, x, maxPoints: points } };
}

/**
 * One per server process (processWide.ts): the aggregator, whose DuckDB holds the resident rows, and the
 * answers as sent (serialised once: a repeated or polled request for unchanged runs is a lookup).
 */
const state = processWide('sweep', () => ({
  aggregator: undefined as Promise<ReturnType<EngineQueryModule['sweepAggregator']>> | undefined,
  answers: new Map<string, string>(),
}));
/** The server's aggregator (DuckDB opened, its table made): at start (instrumentation.ts), else on first use. */
export function sweepAggregatorReady(): Promise<ReturnType<EngineQueryModule['sweepAggregator']>> {
  return (state.aggregator ??= engineQuery().then(async ({ sweepAggregator }) => {
    const a = sweepAggregator();
    await a.warm();
    return a;
  })).catch((e: unknown) => {
    state.aggregator = undefined; // the next request tries again, and reports what fails
    throw e;
  });
}
const answers = state.answers;

/**
 * At most this many metrics rows are made resident when the server starts: DuckDB holds about 220 bytes a
 * row of the 16 columns (measured: 28 MB for the bench's 128 runs x 1,004 rows), so about 110 MB, four
 * sweeps of that size.
 */
export const PRELOAD_MAX_ROWS = 500_000;

/**
 * When the server starts (instrumentation.ts), after the run index: the finished runs that have a columnar
 * copy, most recently updated first and up to `maxRows` rows, are loaded into the aggregator's resident
 * table with their per-run statistics, in the background. Cold, a compare view over 128 runs read their
 * 128 small Parquet files in place (two queries, each opening every file: 0.4-0.6 s of CPU); from the
 * table it is one query over rows already in memory (about 50 ms). A request meanwhile waits for the load
 * (one at a time: the table's queue). Runs without a copy (older, or still writing) are read on first use,
 * as before. Returns the metrics files loaded. Each is contained in the runs directory (a link out is not read).
 * The load goes in steps of 16 runs, each when the server is not busy answering ({@link quietServer}): loaded
 * at once, right at start, it slowed the first requests (a run page's first answers took 370-600 ms instead
 * of about 150 in the bench at load 5).
 */
export async function preloadFinishedRuns(maxRows = PRELOAD_MAX_ROWS): Promise<string[]> {
  const [{ metricsCopyRows }, agg] = await Promise.all([engineQuery(), sweepAggregatorReady()]);
  const root = runsDir();
  const finished = (await allRuns()).filter((c) => c.row.status === 'finished' && !c.row.error).sort((a, b) => (b.row.updatedAt ?? '').localeCompare(a.row.updatedAt ?? ''));
  const files: string[] = [];
  let total = 0;
  for (const c of finished) {
    let file: string;
    try {
      file = containedPath(root, checkRunId(c.row.id), 'metrics.jsonl');
    } catch {
      continue;
    }
    const n = metricsCopyRows(file);
    if (n === null || total + n > maxRows) continue;
    total += n;
    files.push(path.join(root, c.row.id, 'metrics.jsonl'));
  }
  await agg.preload(files, { quiet: quietServer });
  return files;
}

/**
 * Resolves once the event loop (where every request is handled) was busy less than a fifth of a 100 ms
 * window, or after 5 s of waiting (a server that is never quiet still gets its runs loaded).
 */
export async function quietServer(): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 100) {
    const before = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 100));
    if (performance.eventLoopUtilization(before).utilization < 0.2) return;
  }
}
const MAX_ANSWERS = 32;

const statKey = (f: string) => {
  try {
    const st = fs.statSync(f);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'none';
  }
};

/** The answer as JSON text, cached by the selected runs' records and metrics files. */
export async function sweepJson(q: SweepQuery): Promise<string> {
  const [{ PRESETS, groupRuns, groupLegend, groupableFields }, agg0] = await Promise.all([engine(), sweepAggregatorReady()]);
  const all = new Map((await allRuns()).map((c) => [c.row.id, c]));
  const errors: { id: string; error: string }[] = [];
  const chosen: { id: string; dir: string; row: RunRow; fields: Record<string, FieldValue>; paperLabel: string | null; paperOrder: number }[] = [];
  const catalogue = Object.keys(PRESETS);
  const root = runsDir();
  for (const id of [...new Set(q.runs)]) {
    try {
      // The index holds only real run directories, contained when their run.json was read; the metrics
      // file, the one file read here, is checked now (a link out of the runs directory is refused).
      const c = all.get(checkRunId(id));
      if (!c) throw new ApiError(404, `no run '${id}' in the runs directory`);
      const dir = path.join(root, id);
      containedPath(root, id, 'metrics.jsonl');
      if (c.row.error) throw new ApiError(422, c.row.error);
      // Generic over the run's fields: its config leaves (dotted) and the listing's columns (clamp, labels, ...).
      // (Not the error, nor liveness: a stale run groups with its condition, and staleness is no config field;
      // tags join as their own fields, `tags.<key>`, from the flattened record.)
      const { error: _e, stale: _s, tags: _t, note: _n, tagsError: _te, ...rowFields } = c.row;
      chosen.push({ id, dir, row: c.row, fields: { ...c.flat, ...rowFields }, paperLabel: (c.row.preset && PRESETS[c.row.preset]?.legend) || null, paperOrder: c.row.preset ? catalogue.indexOf(c.row.preset) : -1 });
    } catch (e) {
      errors.push({ id, error: (e as Error).message.split('\n')[0]! });
    }
  }
  const key = JSON.stringify([q, errors, chosen.map((c) => [c.id, c.row.updatedAt, c.row.status, statKey(path.join(c.dir, 'metrics.jsonl'))])]);
  const hit = answers.get(key);
  if (hit) return hit;

  const grouping = groupRuns(
    chosen.map((c) => ({ id: c.id, fields: c.fields, paperLabel: c.paperLabel, paperOrder: c.paperOrder, status: c.row.status })),
    q.by,
  );
  const groupOf = new Map<string, number>();
  grouping.groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m, i)));
  const agg = await agg0.aggregate(
    chosen.map((c) => ({ run: c.id, group: groupOf.get(c.id)!, metricsFile: path.join(c.dir, 'metrics.jsonl'), finished: c.row.status === 'finished' })),
    q.series,
  );
  const stats = new Map(agg.runs.map((r) => [r.run, r]));
  const answer: SweepAnswer = {
    by: grouping.by,
    auto: grouping.auto,
    labelledBy: grouping.labelledBy,
    fields: groupableFields(chosen.map((c) => ({ id: c.id, fields: c.fields, status: c.row.status }))),
    series: q.series,
    bucketWidth: agg.bucketWidth,
    groups: grouping.groups.map((g, i) => ({
      ...g,
      legend: groupLegend(g),
      points: agg.points.filter((p) => p.group === i).map(({ group: _g, ...p }) => p),
    })),
    runs: chosen.map((c) => ({ ...c.row, group: groupLegend(grouping.groups[groupOf.get(c.id)!]!), stats: stats.get(c.id) ?? null })),
    errors,
  };
  const json = JSON.stringify(answer);
  answers.set(key, json);
  while (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value!);
  return json;
}
