/**
 * Per-head measures from a run's checkpoints, computed by the engine and cached in memory:
 *
 * - head curves (Fig. 3b): induction strength of every last-layer head and previous-token score of every
 *   first-layer head at each checkpoint, from the engine's dense-set evaluator (`inductionStrengthCurve`:
 *   the same per-head accumulator as `headScores`, with programs built once and reused across
 *   checkpoints) on the clean model;
 * - attention patterns: the mean 5×5 pattern of every head of both layers at one checkpoint.
 *
 * Results are keyed by the checkpoint file's mtime and size, so a rewritten checkpoint is recomputed and a
 * live run only costs the checkpoints that are new. The work is done a few checkpoints at a time with the
 * event loop released in between, so polling of other runs keeps answering while a long run is scored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnalysisRun, ModelProgram, NamedTensor } from '@optoscope/engine';
import { engine, type EngineModule } from './engine';
import { ApiError } from './errors';
import { containedPath, runPath, runsDir } from './paths';

/** Dense-set subsample for the dashboard's live scores (the stored `opto analyze` results use 4,000). */
export const LIVE_DENSE_SIZE = 1000;
/** Checkpoints scored between two releases of the event loop. */
const SLICE = 2;
/** Run contexts kept (each holds a wasm instance, the task's features and the dense set). */
const MAX_CONTEXTS = 4;

interface HeadPointSet {
  seqs: number;
  strength: number[];
  prevToken: number[];
  prevTokenAtLabels: number[];
}

interface Ctx {
  configKey: string;
  a: AnalysisRun;
  scores: Map<number, { key: string; p: HeadPointSet }>;
  patterns: Map<number, { key: string; heads: { head: string; pattern: number[][] }[] }>;
  patternModel?: ModelProgram;
}

const contexts = new Map<string, Ctx>();
/**
 * Feature tables by data config: every run of a sweep reads the same features, and making them is most of
 * the cost of opening a run (about 0.5 s for the synthetic source), so they are made once per server.
 */
const features = new Map<string, Promise<Awaited<ReturnType<EngineModule['loadFeatures']>>>>();
const MAX_FEATURES = 2;

function sharedFeatures(E: EngineModule, config: unknown): ReturnType<EngineModule['loadFeatures']> {
  const cfg = E.parseRunConfig(config, 'run.json config');
  const key = JSON.stringify(cfg.data);
  let f = features.get(key);
  if (!f) {
    f = E.loadFeatures(cfg);
    f.catch(() => features.delete(key));
    features.set(key, f);
    while (features.size > MAX_FEATURES) features.delete(features.keys().next().value!);
  }
  return f;
}
const opening = new Map<string, Promise<Ctx>>();

async function context(dir: string): Promise<Ctx> {
  const configKey = JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).config ?? null);
  const hit = contexts.get(dir);
  if (hit && hit.configKey === configKey) {
    contexts.delete(dir);
    contexts.set(dir, hit); // most recently used last
    return hit;
  }
  // One construction per run even when the scorer and an attention request ask at the same time.
  const key = `${dir}\0${configKey}`;
  let making = opening.get(key);
  if (!making) {
    making = (async () => {
      const E = await engine();
      const a = await E.openAnalysisRun(dir, { size: LIVE_DENSE_SIZE, features: await sharedFeatures(E, JSON.parse(configKey)) });
      return { configKey, a, scores: new Map(), patterns: new Map() } as Ctx;
    })().finally(() => opening.delete(key));
    opening.set(key, making);
  }
  const ctx = await making;
  contexts.set(dir, ctx);
  while (contexts.size > MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
  return ctx;
}

/** A checkpoint file of the run, checked to stay inside the runs directory; its cache key. */
function checkpointFile(dir: string, seqs: number): { file: string; key: string } {
  const root = runsDir();
  const rel = path.relative(root, path.join(dir, 'checkpoints', `seqs-${String(seqs).padStart(10, '0')}.safetensors`));
  const file = containedPath(root, ...rel.split(path.sep));
  const st = fs.statSync(file);
  return { file, key: `${st.mtimeMs}:${st.size}` };
}

function loadTensors(E: EngineModule, file: string): Record<string, NamedTensor> {
  return E.readSafetensors(file).tensors;
}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

export interface HeadCurves {
  id: string;
  /** The dense set scored on (null until the run's analysis context is built). */
  denseSet: string | null;
  nLayers: number | null;
  nHeads: number | null;
  /** One entry per scored checkpoint, ascending. */
  points: HeadPointSet[];
  /** Checkpoints not scored yet (the scorer is working on them; ask again). */
  pending: number;
  /** Checkpoints that could not be read (corrupt or half-written), with the reason. */
  errors: string[];
}

/** How long a request waits for the scorer before answering with what is ready. */
export const HEADS_WAIT_MS = 200;

interface Job {
  done: Promise<void>;
  ctx?: Ctx;
  /** Why the job failed (kept so no rejection goes unhandled when nobody is waiting any more). */
  error?: unknown;
}
const jobs = new Map<string, Job>();
const failures = new Map<string, Map<number, { key: string; error: string }>>();

/**
 * Score the checkpoints that have no current score, in the background, a slice at a time. One job per run;
 * a request that finds one running joins it.
 */
function startScoring(E: EngineModule, dir: string): Job {
  const running = jobs.get(dir);
  if (running) return running;
  const job: Job = { done: Promise.resolve() };
  job.done = (async () => {
    await yieldLoop(); // let the request that started the job answer first if its wait is over
    const ctx = await context(dir);
    job.ctx = ctx;
    const failed = failures.get(dir) ?? new Map<number, { key: string; error: string }>();
    failures.set(dir, failed);
    const todo: { seqs: number; file: string; key: string }[] = [];
    for (const seqs of ctx.a.run.listCheckpoints()) {
      let f: { file: string; key: string };
      try {
        f = checkpointFile(dir, seqs);
      } catch (e) {
        failed.set(seqs, { key: '', error: (e as Error).message });
        continue;
      }
      const c = ctx.scores.get(seqs);
      const bad = failed.get(seqs);
      if ((!c || c.key !== f.key) && (!bad || bad.key !== f.key)) todo.push({ seqs, ...f });
    }
    for (let i = 0; i < todo.length; i += SLICE) {
      for (const t of todo.slice(i, i + SLICE)) {
        try {
          const [p] = E.inductionStrengthCurve(ctx.a.ev, () => loadTensors(E, t.file), [t.seqs]);
          ctx.scores.set(t.seqs, { key: t.key, p });
          failed.delete(t.seqs);
        } catch (e) {
          failed.set(t.seqs, { key: t.key, error: (e as Error).message });
        }
      }
      await yieldLoop();
    }
  })()
    .catch((e: unknown) => {
      job.error = e;
    })
    .finally(() => jobs.delete(dir));
  jobs.set(dir, job);
  return job;
}

/**
 * Head curves of a run: the scores ready now, and `pending` for those still being computed. A run's first
 * request starts the scorer and answers after at most HEADS_WAIT_MS (complete for short runs); the page
 * asks again while anything is pending, so long runs fill in progressively instead of blocking.
 */
export async function headCurves(id: string, opts: { waitMs?: number } = {}): Promise<HeadCurves> {
  const E = await engine();
  const dir = runPath(id);
  const job = startScoring(E, dir);
  const wait = opts.waitMs ?? HEADS_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([job.done, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
  clearTimeout(timer);
  if (job.error) throw job.error;
  const ctx = job.ctx ?? contexts.get(dir);
  if (!ctx) return { id, denseSet: null, nLayers: null, nHeads: null, points: [], pending: fs.existsSync(path.join(dir, 'checkpoints')) ? fs.readdirSync(path.join(dir, 'checkpoints')).length : 0, errors: [] };
  const available = ctx.a.run.listCheckpoints();
  const failed = failures.get(dir) ?? new Map();
  const points = available.filter((s) => ctx.scores.has(s)).map((s) => ctx.scores.get(s)!.p);
  const errors = available.filter((s) => failed.has(s) && !ctx.scores.has(s)).map((s) => `checkpoint ${s}: ${failed.get(s)!.error}`);
  const cfg = ctx.a.ev.params.config;
  return { id, denseSet: ctx.a.ev.set.description, nLayers: cfg.nLayers, nHeads: cfg.nHeads, points, pending: available.length - points.length - errors.length, errors };
}

export interface AttentionAt {
  id: string;
  seqs: number;
  checkpoints: number[];
  denseSet: string;
  /** Mean attention pattern [query][key] of each head, named L<layer+1>H<head>. */
  heads: { head: string; pattern: number[][] }[];
}

/** Mean attention patterns of both layers' heads at checkpoint `seqs` (default the last one). */
export async function attentionAt(id: string, seqs?: number): Promise<AttentionAt> {
  const E = await engine();
  const dir = runPath(id);
  const ctx = await context(dir);
  const { a } = ctx;
  const checkpoints = a.run.listCheckpoints();
  if (!checkpoints.length) throw new ApiError(404, `run '${id}' has no checkpoints yet`);
  const at = seqs ?? checkpoints[checkpoints.length - 1];
  if (!checkpoints.includes(at)) throw new ApiError(404, `run '${id}' has no checkpoint at ${at} sequences`);
  const { file, key } = checkpointFile(dir, at);
  const hit = ctx.patterns.get(at);
  if (hit && hit.key === key) return { id, seqs: at, checkpoints, denseSet: a.ev.set.description, heads: hit.heads };
  const cfg = a.ev.params.config;
  const set = a.ev.set;
  const T = 5;
  const first = 'blocks.0.attn.pattern';
  const last = `blocks.${cfg.nLayers - 1}.attn.pattern`;
  if (!ctx.patternModel) {
    // Built once per run on the evaluator's parameter store: loading a checkpoint into the store is all a
    // new slider position costs.
    ctx.patternModel = E.buildModel(a.ev.params, { batch: set.batch.size, nItems: set.distribution.items.length, training: false, allPositions: true, keep: [first, last] });
    ctx.patternModel.setFeatures(set.distribution.itemFeatures);
  }
  a.ev.loadTensors(loadTensors(E, file), file);
  const m = ctx.patternModel;
  m.setBatch(set.batch);
  m.program.forward();
  const n = set.batch.size;
  const H = cfg.nHeads;
  const heads: { head: string; pattern: number[][] }[] = [];
  for (const [layer, site] of [[0, first], [cfg.nLayers - 1, last]] as const) {
    const A = m.program.read(site); // [n, H, T, T]
    for (let h = 0; h < H; h++) {
      const pattern = Array.from({ length: T }, () => new Array<number>(T).fill(0));
      for (let i = 0; i < n; i++) for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) pattern[q][k] += A[((i * H + h) * T + q) * T + k];
      heads.push({ head: `L${layer + 1}H${h}`, pattern: pattern.map((r) => r.map((v) => v / n)) });
    }
  }
  ctx.patterns.set(at, { key, heads });
  return { id, seqs: at, checkpoints, denseSet: set.description, heads };
}

/** Forget every cached context (tests). */
export function clearHeadCaches(): void {
  contexts.clear();
  failures.clear();
  features.clear();
}
