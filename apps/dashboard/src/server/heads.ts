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
const SLICE = 8;
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
  inflight?: Promise<unknown>;
}

const contexts = new Map<string, Ctx>();

async function context(dir: string): Promise<Ctx> {
  const configKey = JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).config ?? null);
  const hit = contexts.get(dir);
  if (hit && hit.configKey === configKey) {
    contexts.delete(dir);
    contexts.set(dir, hit); // most recently used last
    return hit;
  }
  const a = await (await engine()).openAnalysisRun(dir, { size: LIVE_DENSE_SIZE });
  const ctx: Ctx = { configKey, a, scores: new Map(), patterns: new Map() };
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
  denseSet: string;
  nLayers: number;
  nHeads: number;
  /** One entry per scored checkpoint, ascending. */
  points: HeadPointSet[];
  /** Checkpoints that could not be read (corrupt or half-written), with the reason. */
  errors: string[];
}

export async function headCurves(id: string): Promise<HeadCurves> {
  const E = await engine();
  const dir = runPath(id);
  const ctx = await context(dir);
  const { a } = ctx;
  const available = a.run.listCheckpoints();
  const errors: string[] = [];
  const todo: { seqs: number; file: string; key: string }[] = [];
  for (const seqs of available) {
    let f: { file: string; key: string };
    try {
      f = checkpointFile(dir, seqs);
    } catch (e) {
      errors.push(`checkpoint ${seqs}: ${(e as Error).message}`);
      continue;
    }
    const c = ctx.scores.get(seqs);
    if (!c || c.key !== f.key) todo.push({ seqs, ...f });
  }
  // One scorer per run at a time; a second request waits for it and then finds everything cached.
  while (ctx.inflight) await ctx.inflight.catch(() => undefined);
  const work = (async () => {
    for (let i = 0; i < todo.length; i += SLICE) {
      for (const t of todo.slice(i, i + SLICE)) {
        try {
          const [p] = E.inductionStrengthCurve(a.ev, () => loadTensors(E, t.file), [t.seqs]);
          ctx.scores.set(t.seqs, { key: t.key, p });
        } catch (e) {
          errors.push(`checkpoint ${t.seqs}: ${(e as Error).message}`);
        }
      }
      await yieldLoop();
    }
  })();
  ctx.inflight = work;
  try {
    await work;
  } finally {
    ctx.inflight = undefined;
  }
  const points = available.filter((s) => ctx.scores.has(s)).map((s) => ctx.scores.get(s)!.p);
  const cfg = a.ev.params.config;
  return { id, denseSet: a.ev.set.description, nLayers: cfg.nLayers, nHeads: cfg.nHeads, points, errors };
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
  while (ctx.inflight) await ctx.inflight.catch(() => undefined);
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
}
