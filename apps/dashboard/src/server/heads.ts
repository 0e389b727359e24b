/**
 * Per-head measures from a run's checkpoints, computed by the engine's `LiveAnalysisWorker` (a worker
 * thread: opening a run and scoring its checkpoints never blocks this server's event loop, so the page's
 * record and metric rows are answered at once) and cached here:
 *
 * - head curves (Fig. 3b): induction strength of every last-layer head and previous-token score of every
 *   first-layer head at each checkpoint, from the engine's dense-set evaluator (`inductionStrengthCurve`),
 *   LIVE_DENSE_SIZE stratified sequences; on a deeper model any earlier previous-token layer and later
 *   induction layer (`?layers=l:l2`), the numbers `opto analyze --what strength --layers l:l2 --size
 *   LIVE_DENSE_SIZE` stores;
 * - attention patterns: the mean 5×5 pattern of every head of both layers at one checkpoint.
 *
 * Both are of the model under a clamp choice (clamp.ts): a clamped run's own spec by default (the model it
 * trained), or the same checkpoints unclamped. Results are kept per run and clamp choice, keyed by the
 * checkpoint file's mtime and size, so a rewritten checkpoint is recomputed and a live run only costs the
 * checkpoints that are new. Head curves are also kept on disk outside the runs directory (headStore.ts),
 * so a restarted server answers a run it scored before at once. Both answer incrementally: a request waits a little
 * for the worker and then answers with what is ready (`pending`), and the page asks again. The first view
 * of a run after the server starts therefore answers at once and fills in; later views are complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HeadLayers, LiveAnalysisWorker, LiveHeadPattern, LiveHeadPoint, LiveRunInfo } from '@optoscope/engine';
import { clampShown, effectiveClamp, type ClampShown, type LiveClamp } from './clamp';
import { engine } from './engine';
import { ApiError } from './errors';
import { loadHeads, saveHeads } from './headStore';
import { containedPath, runPath, runsDir } from './paths';

/**
 * How long a request waits for the worker before answering with what is ready, once the worker has the
 * run open (a checkpoint's scores or patterns take ~10-40 ms then). Before that (opening a run takes
 * ~0.3 s, most of it the feature table) a request answers at once.
 */
export const HEADS_WAIT_MS = 100;
/** Runs × clamp choices whose scores and patterns are kept here (least recently used dropped first). */
const MAX_RUNS = 16;

let worker: LiveAnalysisWorker | undefined;

/** The analysis worker (a new one if there is none yet or the last one died). */
async function live(): Promise<LiveAnalysisWorker> {
  const E = await engine();
  if (!worker?.alive) worker = new E.LiveAnalysisWorker(E.LIVE_DENSE_SIZE);
  return worker;
}

/** Something a request may wait on for a while and then leave; its outcome stays for the next request. */
interface Task<T> {
  done: Promise<void>;
  value?: T;
  error?: unknown;
  settled: boolean;
}

function task<T>(p: Promise<T>): Task<T> {
  const t: Task<T> = { done: Promise.resolve(), settled: false };
  t.done = p.then(
    (v) => void (t.value = v),
    (e: unknown) => void (t.error = e),
  ).finally(() => (t.settled = true));
  return t;
}

/** Wait until `t` settles or `ms` pass, whichever is first. */
async function within(t: Task<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([t.done, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

interface RunState {
  /** run.json's config when this state was made: a changed config (or clamp spec) discards everything below. */
  configKey: string;
  /** The model these results are of. */
  clamp: LiveClamp;
  /** The previous-token and induction layers scored (absent: the first and the last). */
  layers?: HeadLayers;
  /** The clamp choice and the layers, as the on-disk cache keys them. */
  view: string;
  info?: LiveRunInfo;
  scores: Map<number, { key: string; p: LiveHeadPoint }>;
  /** Checkpoints that could not be read (corrupt or half-written), with the reason. */
  failed: Map<number, { key: string; error: string }>;
  patterns: Map<number, { key: string; heads: LiveHeadPattern[] }>;
  /** Attention patterns being computed (or failed and not reported yet), by checkpoint and file key. */
  computing: Map<string, Task<LiveHeadPattern[]>>;
  /** The scorer of this run, while it runs (or failed and not reported yet). */
  job?: Task<void>;
  /** Reading the scores stored by an earlier server (once per state). */
  restoring?: Promise<void>;
}

/** By run directory and the clamp choice computed (one entry for both choices of an unclamped run). */
const states = new Map<string, RunState>();

/**
 * `?layers=l:l2` of the head curves: the previous-token layer and the later induction layer (0-indexed, as
 * `opto analyze --layers` takes them); absent or empty: the first and the last.
 */
export function layersParam(raw: string | null): HeadLayers | undefined {
  if (raw === null || raw === '') return undefined;
  const m = /^(0|[1-9]\d*):(0|[1-9]\d*)$/.exec(raw);
  if (!m) throw new ApiError(400, `layers must be prevTokenLayer:inductionLayer (0-indexed), e.g. 1:2, got '${raw}'`);
  return { prevToken: Number(m[1]), induction: Number(m[2]) };
}

/** The cached results of `dir` under `clamp` (and `layers`), and what the answer says about the clamp shown. */
async function state(dir: string, clamp: LiveClamp, wanted?: HeadLayers): Promise<{ st: RunState; shown: ClampShown }> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).config ?? null;
  const configKey = JSON.stringify(config);
  const shown = await clampShown(config?.interventions, config?.model?.nHeads, clamp);
  const computed = effectiveClamp(shown);
  const layers = wanted && (await checkedLayers(wanted, config?.model?.nLayers ?? 2));
  const view = layers ? `${computed} L${layers.prevToken + 1}-L${layers.induction + 1}` : computed;
  const key = `${dir}\0${view}`;
  let st = states.get(key);
  if (!st || st.configKey !== configKey) st = { configKey, clamp: computed, layers, view, scores: new Map(), failed: new Map(), patterns: new Map(), computing: new Map() };
  states.delete(key);
  states.set(key, st); // most recently used last
  while (states.size > MAX_RUNS) states.delete(states.keys().next().value!);
  return { st, shown };
}

/** `layers` checked against the model (400, one line naming the field); the paper's first and last layers as undefined, one cache for both spellings. */
async function checkedLayers(layers: HeadLayers, nLayers: number): Promise<HeadLayers | undefined> {
  const E = await engine();
  try {
    E.checkHeadLayers(layers, nLayers);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  return layers.prevToken === 0 && layers.induction === nLayers - 1 ? undefined : layers;
}

/** A checkpoint file of the run, checked to stay inside the runs directory; its cache key. */
function checkpointFile(dir: string, seqs: number): { file: string; key: string } {
  const root = runsDir();
  const rel = path.relative(root, path.join(dir, 'checkpoints', `seqs-${String(seqs).padStart(10, '0')}.safetensors`));
  const file = containedPath(root, ...rel.split(path.sep));
  const st = fs.statSync(file);
  return { file, key: `${st.mtimeMs}:${st.size}` };
}

export interface HeadCurves extends ClampShown {
  id: string;
  /** The dense set scored on (null until the worker has opened the run). */
  denseSet: string | null;
  nLayers: number | null;
  nHeads: number | null;
  /** The previous-token layer and the induction layer scored (0-indexed; null until the run is open). */
  layers: HeadLayers | null;
  /** One entry per scored checkpoint, ascending. */
  points: LiveHeadPoint[];
  /** Checkpoints not scored yet (the worker is working on them; ask again). */
  pending: number;
  /** Checkpoints that could not be read (corrupt or half-written), with the reason. */
  errors: string[];
}

/**
 * Score the checkpoints of `checkpoints` that have no current score, one at a time in the worker. One job
 * per run; a request that finds one running joins it, and one that finds it failed reports the failure.
 */
function startScoring(dir: string, st: RunState, checkpoints: number[]): Task<void> {
  if (st.job && (!st.job.settled || st.job.error !== undefined)) return st.job;
  st.job = task(
    (async () => {
      const todo: { seqs: number; file: string; key: string }[] = [];
      for (const seqs of checkpoints) {
        let f: { file: string; key: string };
        try {
          f = checkpointFile(dir, seqs);
        } catch (e) {
          st.failed.set(seqs, { key: '', error: (e as Error).message });
          continue;
        }
        const c = st.scores.get(seqs);
        const bad = st.failed.get(seqs);
        if ((!c || c.key !== f.key) && (!bad || bad.key !== f.key)) todo.push({ seqs, ...f });
      }
      // Everything stored already (by this server or an earlier one): the worker need not open the run.
      if (st.info && !todo.length) return;
      const svc = await live();
      st.info = await svc.info(dir);
      let scored = 0;
      for (const t of todo) {
        try {
          st.scores.set(t.seqs, { key: t.key, p: await svc.headScores(dir, t.seqs, t.file, st.clamp, st.layers) });
          st.failed.delete(t.seqs);
          scored++;
        } catch (e) {
          if (!svc.alive) throw e; // the worker died: nothing was learnt about this checkpoint
          st.failed.set(t.seqs, { key: t.key, error: (e as Error).message });
        }
      }
      if (scored) await saveHeads(dir, st.view, st.configKey, { info: st.info, scores: st.scores });
    })(),
  );
  return st.job;
}

/**
 * Head curves of a run under `clamp` (default the run's own spec): the scores ready now, and `pending` for
 * those still being computed. A run's first request starts the scorer and answers after at most `waitMs`
 * (HEADS_WAIT_MS; at once while the worker is still opening the run); the page asks again while anything
 * is pending, and the curves fill in.
 */
export async function headCurves(id: string, opts: { waitMs?: number; clamp?: LiveClamp; layers?: HeadLayers } = {}): Promise<HeadCurves> {
  const E = await engine();
  const dir = runPath(id);
  const { st, shown } = await state(dir, opts.clamp ?? 'run', opts.layers);
  st.restoring ??= loadHeads(dir, st.view, st.configKey).then((stored) => {
    if (!stored) return;
    st.info ??= stored.info;
    for (const [seqs, c] of stored.scores) {
      if (st.scores.has(seqs)) continue;
      // Only scores of checkpoint files as they are now: a rewritten one is scored again.
      const now = (() => {
        try {
          return checkpointFile(dir, seqs).key;
        } catch {
          return null;
        }
      })();
      if (now === c.key) st.scores.set(seqs, c);
    }
  });
  await st.restoring;
  const checkpoints = E.RunDir.open(dir).listCheckpoints();
  const job = startScoring(dir, st, checkpoints);
  await within(job, st.info ? (opts.waitMs ?? HEADS_WAIT_MS) : 0);
  if (job.error !== undefined) {
    st.job = undefined; // reported once; the next request tries again
    throw job.error;
  }
  if (!st.info) return { id, ...shown, denseSet: null, nLayers: null, nHeads: null, layers: null, points: [], pending: checkpoints.length, errors: [] };
  const points = checkpoints.filter((s) => st.scores.has(s)).map((s) => st.scores.get(s)!.p);
  const errors = checkpoints.filter((s) => st.failed.has(s) && !st.scores.has(s)).map((s) => `checkpoint ${s}: ${st.failed.get(s)!.error}`);
  const layers = st.layers ?? E.defaultHeadLayers(st.info.nLayers);
  return { id, ...shown, denseSet: st.info.denseSet, nLayers: st.info.nLayers, nHeads: st.info.nHeads, layers, points, pending: checkpoints.length - points.length - errors.length, errors };
}

export interface AttentionAt extends ClampShown {
  id: string;
  seqs: number;
  checkpoints: number[];
  /** null while pending and the run has not been opened yet. */
  denseSet: string | null;
  /** Mean attention pattern [query][key] of each head, named L<layer+1>H<head>; empty while pending. */
  heads: LiveHeadPattern[];
  /** The worker is still computing these patterns: ask again. */
  pending: boolean;
}

/**
 * Mean attention patterns of both layers' heads at checkpoint `seqs` (default the last one) under `clamp`
 * (default the run's own spec). The answer waits at most `waitMs` (HEADS_WAIT_MS; not at all while the
 * worker is still opening the run); until the patterns are ready it says `pending`.
 */
export async function attentionAt(id: string, seqs?: number, opts: { waitMs?: number; clamp?: LiveClamp } = {}): Promise<AttentionAt> {
  const E = await engine();
  const dir = runPath(id);
  const { st, shown } = await state(dir, opts.clamp ?? 'run');
  const checkpoints = E.RunDir.open(dir).listCheckpoints();
  if (!checkpoints.length) throw new ApiError(404, `run '${id}' has no checkpoints yet`);
  const at = seqs ?? checkpoints[checkpoints.length - 1];
  if (!checkpoints.includes(at)) throw new ApiError(404, `run '${id}' has no checkpoint at ${at} sequences`);
  const { file, key } = checkpointFile(dir, at);
  const answer = (heads: LiveHeadPattern[], pending: boolean): AttentionAt => ({ id, ...shown, seqs: at, checkpoints, denseSet: st.info?.denseSet ?? null, heads, pending });
  const hit = st.patterns.get(at);
  if (hit && hit.key === key) return answer(hit.heads, false);
  const job = `${at}\0${key}`;
  let t = st.computing.get(job);
  if (!t) {
    const svc = await live();
    const computed = Promise.all([svc.info(dir), svc.attention(dir, file, st.clamp)]).then(([info, heads]) => {
      st.info = info;
      st.patterns.set(at, { key, heads });
      st.computing.delete(job);
      return heads;
    });
    st.computing.set(job, (t = task(computed)));
  }
  await within(t, st.info ? (opts.waitMs ?? HEADS_WAIT_MS) : 0);
  if (!t.settled) return answer([], true);
  if (t.error !== undefined) {
    st.computing.delete(job); // reported once; the next request tries again
    throw t.error;
  }
  return answer(t.value!, false);
}

/** Forget every cached score and pattern and stop the worker (tests). */
export async function clearHeadCaches(): Promise<void> {
  states.clear();
  const w = worker;
  worker = undefined;
  await w?.close();
}
