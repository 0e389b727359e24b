/**
 * `opto bench --dashboard` (issue 7 budget): how long the production dashboard server takes to answer
 *
 *   - the run list over 1,000 runs (the first page the runs table asks for, and a filtered, sorted page);
 *   - a run page's data for a run with 200 eval points and 200 checkpoints (16 heads: 8 induction
 *     strengths + 8 previous-token scores at each): record, metric rows, head curves, attention;
 *   - the live poll of that run (rows after the ones the page has).
 *
 * Each request is timed over HTTP against the real server (started by the caller: `opto dashboard`'s
 * launcher), once cold (first request after start: run.json files parsed; nothing about the run computed
 * yet) and then `repeats` times warm; the budget (< 300 ms) applies to the cold and the warm answer. Head
 * curves and attention patterns are computed in the server's worker thread and answered incrementally: the
 * cold answers hold what was ready (`pending`), and the bench also reports when each was complete, polling
 * every POLL_MS as a page would (faster than the page's 0.5-1 s, to time it). The fixture is written by the
 * engine: one real run trained here (200 evals, a checkpoint at each), one copy of it, and 998 run records
 * with varied presets, labels, classes, seeds and statuses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PRESETS, RunDir, parseRunConfig, presetConfig, train, type RunRecord } from '@optoscope/engine';
import { writeMetricsParquet } from '@optoscope/engine/query';

export interface DashboardStarter {
  (o: { runsDir: string; port?: number; log?: (s: string) => void }): Promise<{ url: string; stop(): Promise<void>; child?: { pid?: number } }>;
}

/**
 * CPU time the server process has used so far (all its threads: the event loop, DuckDB's, the analysis
 * worker's), in ms, from /proc (Linux; null elsewhere). On a shared machine a request's wall time scales
 * with the load average; its CPU time does not, so the bench prints both.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

export interface DashboardBenchOptions {
  start: DashboardStarter;
  runs?: number;
  evalPoints?: number;
  repeats?: number;
  /** Keep the fixture here (default: a temp dir, removed afterwards). */
  dir?: string;
  log?: (s: string) => void;
}

export interface DashboardBenchRow {
  request: string;
  path: string;
  coldMs: number;
  medianMs: number;
  p95Ms: number;
  bytes: number;
  budgetMs: number | null;
}

/** The compare view over a sweep, and the run list under concurrent requests (issue 14's budgets). */
export interface SweepBenchResult {
  runs: number;
  conditions: number;
  seeds: number;
  evalPoints: number;
  /** The grouped, aggregated answer: first request (metrics files not read by the server yet), then repeats. */
  coldMs: number;
  /** The server's CPU time (all threads) for the cold answer and the baseline's, ms (10 ms resolution; null off Linux). */
  coldCpuMs: number | null;
  coldJsonCpuMs?: number | null;
  /**
   * The baseline, in the same run: the first request for the same sweep written as before the columnar
   * copies (no metrics.parquet: runs of an older version), whose rows come from their JSON lines.
   */
  coldJsonMs?: number;
  warmMedianMs: number;
  warmP95Ms: number;
  /** Another grouping of the same runs (no cached answer; the files in the OS cache). */
  regroupMs: number;
  bytes: number;
  groups: number;
  /** The run list's first page under `concurrency` clients at once. */
  listing: { concurrency: number; requests: number; p50Ms: number; p99Ms: number; cpuMsPerRequest: number | null };
  /** The machine's 1-minute load average when these were measured, and its cores: on a shared machine every time above scales with it. */
  load: { avg1: number; cores: number };
}

export const SWEEP_COLD_BUDGET_MS = 500;
export const SWEEP_WARM_BUDGET_MS = 100;
export const LISTING_P99_BUDGET_MS = 300;

export interface DashboardBenchResult {
  runs: number;
  evalPoints: number;
  checkpoints: number;
  repeats: number;
  rows: DashboardBenchRow[];
  /** The whole run page (its four requests in parallel, as the browser sends them). */
  runPage: { coldMs: number; medianMs: number; p95Ms: number };
  /** From the run page's first request until every checkpoint had its head scores (background scoring). */
  scoredMs: number;
  /** From the run page's first request until the attention answer was complete (not pending). */
  attentionMs: number;
  /** What the cold answers held: head curves' scored checkpoints, and whether attention was pending. */
  coldHeads: { points: number; pending: number };
  coldAttentionPending: boolean;
  /** The same for the other run's first view (`attentionMs`, `scoredMs`). */
  secondRun: { attentionMs: number; scoredMs: number };
  sweep?: SweepBenchResult;
  withinBudget: boolean;
}

export const DASHBOARD_BUDGET_MS = 300;
/** Pause between two polls of an incremental answer. */
const POLL_MS = 50;

async function timed(url: string): Promise<{ ms: number; bytes: number; body: Buffer }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.toString('utf8').slice(0, 300)}`);
  return { ms, bytes: body.byteLength, body };
}

/** Ask for `url` every POLL_MS until `done` says its JSON answer is complete. */
async function pollUntil<T>(url: string, done: (answer: T) => boolean): Promise<void> {
  while (!done((await (await fetch(url)).json()) as T)) await new Promise((r) => setTimeout(r, POLL_MS));
}
const headsDone = (a: { pending: number }) => a.pending === 0;
const attentionDone = (a: { pending: boolean }) => !a.pending;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** The fixture: one trained run with `evalPoints` evals and a checkpoint at each, plus record-only clones. */
export async function writeDashboardFixture(
  runsDir: string,
  o: { runs: number; evalPoints: number; sweep?: { conditions: number; seeds: number; baseline?: boolean }; log?: (s: string) => void },
): Promise<{ runId: string; checkpoints: number; sweepIds: string[]; oldSweepIds: string[] }> {
  const runId = 'bench-run';
  const every = 32; // one step per eval and checkpoint
  o.log?.(`training a ${o.evalPoints * every}-sequence run with ${o.evalPoints} evals and checkpoints...`);
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', schedule: { seqs: o.evalPoints * every, evalEvery: every, ckptEvery: every, evalSize: 50 } }), { out: path.join(runsDir, runId) });
  const real = RunDir.open(path.join(runsDir, runId));
  const template = real.readRecord();
  // A second run with the same data: its first page view shows the per-run cold cost once the server
  // has the feature table.
  fs.cpSync(real.dir, path.join(runsDir, `${runId}-2`), { recursive: true });
  const presets = Object.keys(PRESETS);
  const statuses = ['finished', 'finished', 'finished', 'running', 'failed', 'interrupted'] as const;
  if (o.sweep) o.log?.(`writing a sweep of ${o.sweep.conditions} x ${o.sweep.seeds} finished runs${o.sweep.baseline ? ', and the same as an older version wrote it' : ''}...`);
  const sweepIds = o.sweep ? await writeSweepRuns(runsDir, real, { ...o.sweep, copies: true }) : [];
  const oldSweepIds = o.sweep?.baseline ? await writeSweepRuns(runsDir, real, { ...o.sweep, copies: false }) : [];
  const written = 2 + sweepIds.length + oldSweepIds.length;
  o.log?.(`writing ${o.runs - written} more run records...`);
  for (let i = written; i < o.runs; i++) {
    const preset = presets[i % presets.length]!;
    const input = presetConfig(preset);
    const labels = [5, 10, 15][i % 3]!;
    const classes = [50, 100, 200][Math.floor(i / 3) % 3]!;
    const config = parseRunConfig({ ...input, task: { ...(input.task ?? {}), numLabels: labels, classSplit: [classes, 1523 - classes, 100] }, seeds: { init: 10 + (i % 10), train: 0, eval: 1 } });
    const id = `${preset}-L${labels}-C${classes}-s${String(i).padStart(4, '0')}`;
    const rd = RunDir.create(path.join(runsDir, id));
    const status = statuses[i % statuses.length]!;
    const rec: RunRecord = {
      ...template,
      id,
      status,
      config,
      seeds: config.seeds,
      progress: { seqs: status === 'finished' ? config.schedule.seqs : Math.floor(config.schedule.seqs / 2), step: 0 },
      summary: status === 'finished' && template.summary ? { ...template.summary, run_dir: rd.dir, learning_time: 1000 * ((i * 7919) % 600), learned: i % 5 !== 0 } : undefined,
    };
    rd.writeRecord(rec);
  }
  return { runId, checkpoints: real.listCheckpoints().length, sweepIds, oldSweepIds };
}

/**
 * A sweep of `conditions` (the four Fig. 5b clamps x 5, 10, 15, 20 labels, as many as asked) x `seeds`:
 * each run's record from its preset's config, its metrics the trained run's rows (same eval schedule and
 * row count) with the losses scaled per seed and condition, so every group has a spread to aggregate.
 * Each run finishes as `opto train` finishes one: its metrics, then their columnar copy (the trainer's
 * `writeMetricsParquet`), then the record saying finished. `copies: false` writes them as a version from
 * before the copies did (ids `old-sweep-...`): the baseline of the compare view's cold read.
 */
async function writeSweepRuns(runsDir: string, real: RunDir, o: { conditions: number; seeds: number; copies: boolean }): Promise<string[]> {
  const template = real.readRecord();
  const rows = real.readMetrics();
  const clamps = ['fig5b-none', 'fig5b-pt', 'fig5b-layer1', 'fig5b-match'];
  const ids: string[] = [];
  for (let c = 0; c < o.conditions; c++) {
    const preset = clamps[c % clamps.length]!;
    const labels = [5, 10, 15, 20][Math.floor(c / clamps.length) % 4]!;
    const input = presetConfig(preset);
    for (let s = 0; s < o.seeds; s++) {
      const config = parseRunConfig({ ...input, name: 'bench-sweep', task: { ...(input.task ?? {}), numLabels: labels }, seeds: { init: 10 + s, train: 0, eval: 1 } });
      const id = `${o.copies ? '' : 'old-'}sweep-${preset}-L${labels}-s${10 + s}`;
      const rd = RunDir.create(path.join(runsDir, id));
      rd.writeRecord({ ...template, id, status: 'running', config, seeds: config.seeds, summary: undefined });
      const k = 1 + 0.03 * (s - o.seeds / 2) + 0.05 * c;
      rd.appendMetrics(rows.map((r) => (typeof r.loss === 'number' ? { ...r, loss: r.loss * k } : r)));
      if (o.copies) await writeMetricsParquet(rd.metricsFile);
      rd.writeRecord({ ...template, id, status: 'finished', config, seeds: config.seeds, summary: template.summary ? { ...template.summary, run_dir: rd.dir } : undefined });
      ids.push(id);
    }
  }
  return ids;
}

export async function runDashboardBench(o: DashboardBenchOptions): Promise<DashboardBenchResult> {
  const runs = o.runs ?? 1000;
  const evalPoints = o.evalPoints ?? 200;
  const repeats = o.repeats ?? 20;
  const root = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'opto-bench-dashboard-'));
  const runsDir = path.join(root, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  const sweepShape = { conditions: 16, seeds: 8 };
  const { runId, checkpoints, sweepIds, oldSweepIds } = await writeDashboardFixture(runsDir, { runs, evalPoints, sweep: runs >= 400 ? { ...sweepShape, baseline: true } : undefined, log: o.log });
  o.log?.('starting the production dashboard...');
  // Cold means cold: a head-curve store of its own, empty (the server keeps scores across restarts).
  const cache = path.join(root, 'dashboard-cache');
  fs.rmSync(cache, { recursive: true, force: true });
  const prevCache = process.env.OPTO_DASHBOARD_CACHE;
  process.env.OPTO_DASHBOARD_CACHE = cache;
  const server = await o.start({ runsDir, port: 0, log: o.log }).finally(() => {
    if (prevCache === undefined) delete process.env.OPTO_DASHBOARD_CACHE;
    else process.env.OPTO_DASHBOARD_CACHE = prevCache;
  });
  try {
    const run = `/api/runs/${runId}`;
    const rows: DashboardBenchRow[] = [];
    const measure = async (request: string, p: string, budgetMs: number | null, cold?: { ms: number; bytes: number }) => {
      const first = cold ?? (await timed(server.url + p));
      const warm: number[] = [];
      let bytes = 0;
      for (let k = 0; k < repeats; k++) {
        const r = await timed(server.url + p);
        warm.push(r.ms);
        bytes = r.bytes;
      }
      rows.push({ request, path: p, coldMs: first.ms, medianMs: quantile(warm, 0.5), p95Ms: quantile(warm, 0.95), bytes, budgetMs });
      o.log?.(`${request}: cold ${first.ms.toFixed(1)} ms, warm median ${quantile(warm, 0.5).toFixed(1)} ms`);
    };
    await measure(`run list, first page (${runs} runs)`, '/api/runs?limit=50', DASHBOARD_BUDGET_MS);
    await measure('run list, filtered and sorted', '/api/runs?f=task.numLabels%3D10&status=finished&sort=learningTime&dir=desc&limit=50', DASHBOARD_BUDGET_MS);

    // The run page as the browser loads it: its four requests in parallel. The first time, nothing about
    // the run is cached: head scores and attention come back partial (the worker keeps going).
    const pagePaths = [run, `${run}/metrics`, `${run}/heads`, `${run}/attention`];
    const page = () => Promise.all(pagePaths.map((p) => timed(server.url + p)));
    let t0 = performance.now();
    const firstPage = await page();
    const pageCold = performance.now() - t0;
    const coldHeads = JSON.parse(firstPage[2].body.toString('utf8')) as { points: unknown[]; pending: number };
    const coldAttentionPending = (JSON.parse(firstPage[3].body.toString('utf8')) as { pending: boolean }).pending;
    // How long until every checkpoint is scored and the attention patterns are there (the page polls
    // meanwhile and fills them in).
    const [scoredMs, attentionMs] = await Promise.all([
      pollUntil(`${server.url}${run}/heads`, headsDone).then(() => performance.now() - t0),
      pollUntil(`${server.url}${run}/attention`, attentionDone).then(() => performance.now() - t0),
    ]);
    o.log?.(`attention complete ${attentionMs.toFixed(0)} ms, all ${checkpoints} checkpoints scored ${scoredMs.toFixed(0)} ms after the first request`);
    await measure('run page: record + checkpoints', run, DASHBOARD_BUDGET_MS, firstPage[0]);
    await measure(`run page: ${evalPoints} eval points (all metric rows)`, `${run}/metrics`, DASHBOARD_BUDGET_MS, firstPage[1]);
    await measure(`run page: head curves (${checkpoints} checkpoints x 16 heads)`, `${run}/heads`, DASHBOARD_BUDGET_MS, firstPage[2]);
    await measure('run page: attention (16 heads x 5x5), last checkpoint', `${run}/attention`, DASHBOARD_BUDGET_MS, firstPage[3]);
    const pageWarm: number[] = [];
    for (let k = 0; k < repeats; k++) {
      t0 = performance.now();
      await page();
      pageWarm.push(performance.now() - t0);
    }
    const runPage = { coldMs: pageCold, medianMs: quantile(pageWarm, 0.5), p95Ms: quantile(pageWarm, 0.95) };
    rows.push({ request: 'run page: the four requests in parallel', path: run, coldMs: runPage.coldMs, medianMs: runPage.medianMs, p95Ms: runPage.p95Ms, bytes: 0, budgetMs: DASHBOARD_BUDGET_MS });
    t0 = performance.now();
    await Promise.all(pagePaths.map((p) => timed(server.url + p.replace(run, `${run}-2`))));
    const page2Cold = performance.now() - t0;
    rows.push({ request: 'another run\'s page, first view (same data)', path: `${run}-2`, coldMs: page2Cold, medianMs: Number.NaN, p95Ms: Number.NaN, bytes: 0, budgetMs: DASHBOARD_BUDGET_MS });
    // Run 2 completes sooner (the worker has the feature table); let it finish before the next measurement.
    const [page2ScoredMs, page2AttentionMs] = await Promise.all([
      pollUntil(`${server.url}${run}-2/heads`, headsDone).then(() => performance.now() - t0),
      pollUntil(`${server.url}${run}-2/attention`, attentionDone).then(() => performance.now() - t0),
    ]);
    const total = ((await (await fetch(`${server.url}${run}/metrics`)).json()) as { total: number }).total;
    await measure('live poll: metric rows after the last one', `${run}/metrics?after=${total}`, DASHBOARD_BUDGET_MS);
    const sweep = sweepIds.length ? await measureSweep(server.url, sweepIds, oldSweepIds, { ...sweepShape, evalPoints, repeats, log: o.log, runs, pid: server.child?.pid }) : undefined;
    const withinBudget = rows.every(rowWithinBudget) && (!sweep || sweepWithinBudget(sweep));
    return { runs, evalPoints, checkpoints, repeats, rows, runPage, scoredMs, attentionMs, coldHeads: { points: coldHeads.points.length, pending: coldHeads.pending }, coldAttentionPending, secondRun: { attentionMs: page2AttentionMs, scoredMs: page2ScoredMs }, sweep, withinBudget };
  } finally {
    await server.stop();
    if (!o.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The compare view's grouped answer (cold, warm, regrouped) and the run list under 20 concurrent clients;
 * last (its copies are written in the background after it answers), the cold answer for the same sweep
 * without columnar copies. Cold = the first request for those runs since the server started (which, when it
 * started, loaded finished runs' columnar copies into its DuckDB in the background: apps/dashboard's
 * preloadFinishedRuns; the runs without copies are not, so the baseline is read from their JSON lines).
 */
async function measureSweep(base: string, ids: string[], oldIds: string[], o: { conditions: number; seeds: number; evalPoints: number; repeats: number; runs: number; pid?: number; log?: (s: string) => void }): Promise<SweepBenchResult> {
  const q = `/api/sweep?runs=${ids.join(',')}`;
  const load = { avg1: os.loadavg()[0]!, cores: os.availableParallelism() };
  // The server's own work for an answer; what it does after answering (writing copies, loading rows in the
  // background) is not the answer's, so let it finish first and stop counting at the answer.
  const cpuOf = async (url: string) => {
    await new Promise((r) => setTimeout(r, 1000));
    const before = processCpuMs(o.pid);
    const r = await timed(url);
    const after = processCpuMs(o.pid);
    return { ...r, cpuMs: before === null || after === null ? null : after - before };
  };
  const cold = await cpuOf(base + q);
  const answer = JSON.parse(cold.body.toString('utf8')) as { groups: unknown[] };
  const warm: number[] = [];
  for (let k = 0; k < o.repeats; k++) warm.push((await timed(base + q)).ms);
  const regroup = await timed(`${base}${q}&by=task.numLabels`);
  o.log?.(`compare view over ${ids.length} runs: cold ${cold.ms.toFixed(1)} ms, warm median ${quantile(warm, 0.5).toFixed(1)} ms, regrouped ${regroup.ms.toFixed(1)} ms`);
  const concurrency = 20;
  const perClient = 10;
  const lat: number[] = [];
  await new Promise((r) => setTimeout(r, 1000));
  const listCpu0 = processCpuMs(o.pid);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let k = 0; k < perClient; k++) lat.push((await timed(`${base}/api/runs?limit=50`)).ms);
    }),
  );
  const listCpu1 = processCpuMs(o.pid);
  o.log?.(`run list under ${concurrency} concurrent clients: p50 ${quantile(lat, 0.5).toFixed(1)} ms, p99 ${quantile(lat, 0.99).toFixed(1)} ms`);
  const coldJson = oldIds.length ? await cpuOf(`${base}/api/sweep?runs=${oldIds.join(',')}`) : undefined;
  if (coldJson) o.log?.(`the same sweep without columnar copies: cold ${coldJson.ms.toFixed(1)} ms`);
  return {
    runs: ids.length,
    conditions: o.conditions,
    seeds: o.seeds,
    evalPoints: o.evalPoints,
    coldMs: cold.ms,
    coldCpuMs: cold.cpuMs,
    coldJsonMs: coldJson?.ms,
    coldJsonCpuMs: coldJson?.cpuMs,
    warmMedianMs: quantile(warm, 0.5),
    warmP95Ms: quantile(warm, 0.95),
    regroupMs: regroup.ms,
    bytes: cold.bytes,
    groups: answer.groups.length,
    listing: { concurrency, requests: lat.length, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), cpuMsPerRequest: listCpu0 === null || listCpu1 === null ? null : (listCpu1 - listCpu0) / lat.length },
    load,
  };
}

export function sweepWithinBudget(s: SweepBenchResult): boolean {
  return s.coldMs < SWEEP_COLD_BUDGET_MS && s.warmMedianMs < SWEEP_WARM_BUDGET_MS && s.listing.p99Ms < LISTING_P99_BUDGET_MS;
}

/** Cold and (where measured) warm median under the row's budget; a row without one always passes. */
export function rowWithinBudget(r: DashboardBenchRow): boolean {
  return r.budgetMs === null || (r.coldMs < r.budgetMs && (Number.isNaN(r.medianMs) || r.medianMs < r.budgetMs));
}

export function formatDashboardBench(r: DashboardBenchResult): string {
  const head = ['request', 'cold ms', 'warm median ms', 'warm p95 ms', 'KiB', 'budget'];
  const body = r.rows.map((x) => [
    x.request,
    x.coldMs.toFixed(1),
    Number.isNaN(x.medianMs) ? '' : x.medianMs.toFixed(1),
    Number.isNaN(x.p95Ms) ? '' : x.p95Ms.toFixed(1),
    x.bytes ? (x.bytes / 1024).toFixed(1) : '',
    x.budgetMs === null ? '' : `< ${x.budgetMs} ms ${rowWithinBudget(x) ? 'ok' : 'OVER'}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [
    `dashboard server over ${r.runs} runs; run page: ${r.evalPoints} eval points, ${r.checkpoints} checkpoints x 16 heads; warm = ${r.repeats} repeats over HTTP`,
    line(head),
    ...body.map(line),
    `cold = first request after the server started, nothing about the run computed yet; the run page's cold answers are its first answers: head curves with ${r.coldHeads.points} of ${r.checkpoints} checkpoints (${r.coldHeads.pending} pending), attention ${r.coldAttentionPending ? 'pending' : 'complete'}`,
    `complete (worker thread, while the page polls): attention ${(r.attentionMs / 1000).toFixed(2)} s, head scores of all ${r.checkpoints} checkpoints ${(r.scoredMs / 1000).toFixed(1)} s after the run page's first request (polled every ${POLL_MS} ms); another run's first view: ${(r.secondRun.attentionMs / 1000).toFixed(2)} s and ${(r.secondRun.scoredMs / 1000).toFixed(1)} s`,
    ...(r.sweep ? formatSweep(r.sweep, r.runs) : []),
    `budget: cold and warm answers < ${DASHBOARD_BUDGET_MS} ms${r.sweep ? `; compare view < ${SWEEP_COLD_BUDGET_MS} ms cold, < ${SWEEP_WARM_BUDGET_MS} ms warm; run list p99 < ${LISTING_P99_BUDGET_MS} ms under ${r.sweep.listing.concurrency} clients` : ''}; ${r.withinBudget ? 'all within budget' : 'OVER BUDGET'}`,
  ].join('\n');
}

function formatSweep(s: SweepBenchResult, total: number): string[] {
  const ok = (v: number, b: number) => `${v.toFixed(1)} ms (< ${b} ms ${v < b ? 'ok' : 'OVER'})`;
  const cpu = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : ` (server CPU ${ms.toFixed(0)} ms)`);
  return [
    `compare view, grouped and aggregated (/api/sweep): ${s.runs} runs (${s.conditions} conditions x ${s.seeds} seeds, ${s.evalPoints} eval points each) -> ${s.groups} groups, ${(s.bytes / 1024).toFixed(1)} KiB`,
    `  cold ${ok(s.coldMs, SWEEP_COLD_BUDGET_MS)}${cpu(s.coldCpuMs)}, warm median ${ok(s.warmMedianMs, SWEEP_WARM_BUDGET_MS)}, warm p95 ${s.warmP95Ms.toFixed(1)} ms, another grouping (not cached) ${s.regroupMs.toFixed(1)} ms`,
    ...(s.coldJsonMs === undefined
      ? []
      : [`  cold is read from the finished runs' metrics.parquet; the same sweep without them (runs of an older version, rows parsed from metrics.jsonl): cold ${s.coldJsonMs.toFixed(1)} ms${cpu(s.coldJsonCpuMs)}, ${(s.coldJsonMs / s.coldMs).toFixed(1)}x the time`]),
    `run list of ${total} runs, first page, ${s.listing.concurrency} concurrent clients x ${s.listing.requests / s.listing.concurrency} requests: p50 ${s.listing.p50Ms.toFixed(1)} ms, p99 ${ok(s.listing.p99Ms, LISTING_P99_BUDGET_MS)}${s.listing.cpuMsPerRequest === null ? '' : `, server CPU ${s.listing.cpuMsPerRequest.toFixed(1)} ms a request`}`,
    `measured at load average ${s.load.avg1.toFixed(1)} on ${s.load.cores} cores`,
  ];
}
