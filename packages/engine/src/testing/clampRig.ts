/**
 * Test rig for the intervention suites (test helper, not shipped logic): a small model with random
 * parameters on any backend, a fixed random batch, the manipulated forward of a spec, and the helpers the
 * suites share (parameter index sets per head, gradients by name, finite differences of the loss).
 */
import type { Backend, Buf } from '../backend.js';
import { createReferenceBackend } from '../backends/reference.js';
import { allocLayoutBatch, type Distribution, type FeatureSource, type SequenceBatch } from '../data/types.js';
import { burstyOf, repeatOf, taskKind, type TaskSelection } from '../data/tasks/schema.js';
import { taskPositions } from '../data/tasks/positions.js';
import { burstyTrainDistribution } from '../data/tasks/bursty.js';
import { kShotDistribution } from '../data/tasks/kShot.js';
import { repeatTrainDistribution } from '../data/tasks/repeatTokens.js';
import { range } from '../data/tasks/layout.js';
import { buildModel, type ModelProgram, type PassPlan } from '../model.js';
import { DEFAULT_MODEL, ParamStore, type ModelConfig } from '../params.js';
import { Rng } from '../rng.js';
import { conformanceBatch } from './conformance.js';
import { compileInterventions } from '../compileInterventions.js';
import { parseInterventionSpec, type InterventionSpecInput } from '../interventions/spec.js';

/** Two layers of two 8-d heads (the paper's head size) over 6-d features: every FD check stays cheap. */
export const TINY: ModelConfig = { dModel: 16, nHeads: 2, nLayers: 2, featureDim: 6, numLabels: 4, ropeBase: 10000, lnEps: 1e-5 };
/** The paper's model with narrower features: every kernel path of the real model, faster on the oracle. */
export const PAPERISH: ModelConfig = { ...DEFAULT_MODEL, featureDim: 32 };

export type Grads = Record<string, Float64Array>;

/** Random parameters (float32-representable, so every backend holds the same numbers). */
export function randomParams(be: Backend, cfg: ModelConfig, seed: number, scale = 0.5): ParamStore {
  const p = new ParamStore(be, cfg);
  const rng = new Rng(seed);
  const host = new Float64Array(p.total);
  for (const e of p.list()) {
    const gain = /ln1?\.weight$|ln_final\.weight$/.test(e.spec.name);
    for (let i = 0; i < e.size; i++) host[e.offset + i] = Math.fround(gain ? 1 + 0.2 * rng.normal() : scale * rng.normal());
  }
  p.writeBlock('values', host);
  return p;
}

/** The same parameter values on another backend. */
export function cloneParams(p: ParamStore, be: Backend): ParamStore {
  const q = new ParamStore(be, p.config);
  q.writeBlock('values', p.readBlock('values'));
  return q;
}

/** The passes of a spec on these parameters (parsed and validated like a run's config), on `task`'s positions. */
export function passesFor(spec: InterventionSpecInput, params: ParamStore, task?: TaskSelection): PassPlan[] {
  return compileInterventions(parseInterventionSpec(spec, params.config), params, task && { positions: taskPositions(task) });
}

/**
 * The training distribution of a task beyond the paper's on a small random feature table (8 classes, one
 * exemplar each): the task's own sampler, so a rig's batches have the task's real layout.
 */
export function rigTaskDistribution(task: TaskSelection, cfg: ModelConfig, seed: number): Distribution & { seqLen: number } {
  const rng = new Rng(seed);
  const nClasses = 8;
  const features: FeatureSource = { nClasses, nExemplars: 1, dim: cfg.featureDim, data: Float32Array.from({ length: nClasses * cfg.featureDim }, () => rng.normal()), description: 'rig' };
  switch (taskKind(task)) {
    case 'fewShot':
      return kShotDistribution('train', features, range(0, nClasses), range(0, 1), task.shots ?? 2, cfg.numLabels);
    case 'bursty':
      return burstyTrainDistribution(burstyOf(task), features, cfg.numLabels);
    case 'repeatTokens':
      return repeatTrainDistribution(repeatOf(task), cfg.numLabels, cfg.featureDim);
  }
}

export interface RigOptions {
  be?: Backend;
  cfg?: ModelConfig;
  /** Default: random parameters from `paramSeed`. */
  params?: ParamStore;
  paramSeed?: number;
  spec?: InterventionSpecInput;
  /** Explicit passes (instead of `spec`). */
  passes?: PassPlan[];
  B?: number;
  nItems?: number;
  /** Seed of the features and of the batch stream. */
  dataSeed?: number;
  training?: boolean;
  allPositions?: boolean;
  keep?: 'all' | string[];
  /** Sites of the final pass replaced by constants (written with `setConstant` before a forward). */
  constants?: string[];
  features?: Float32Array;
  /** Train on a task beyond the paper's (its sampler's batches and positions; `nItems`/`features` come from it). */
  task?: TaskSelection;
}

export interface Rig {
  be: Backend;
  /** The task the rig samples (absent: the paper's 5-token batches). */
  task?: TaskSelection;
  cfg: ModelConfig;
  params: ParamStore;
  model: ModelProgram;
  batch: SequenceBatch;
  features: Float32Array;
  /** A fresh batch from the rig's stream (same sequence for rigs with the same dataSeed). */
  nextBatch(): SequenceBatch;
  setBatch(sb: SequenceBatch): void;
  /** Forward; returns the loss. */
  forward(): number;
  /** Forward and backward; every parameter gradient by name (float64 copies). */
  grads(): Grads;
  read(site: string): Float64Array;
  queryLogits(): Float64Array;
  setConstant(site: string, values: ArrayLike<number>): void;
}

export function makeRig(o: RigOptions = {}): Rig {
  const be = o.be ?? createReferenceBackend();
  const cfg = o.params?.config ?? o.cfg ?? TINY;
  const params = o.params ?? randomParams(be, cfg, o.paramSeed ?? 1);
  const B = o.B ?? 3;
  const rng = new Rng(o.dataSeed ?? 7);
  const dist = o.task && rigTaskDistribution(o.task, cfg, (o.dataSeed ?? 7) + 1000);
  const nItems = dist ? dist.items.length : (o.nItems ?? 5);
  // A twin passes its rig's features; a fresh task rig takes its distribution's item table.
  const features = o.features ?? (dist ? dist.itemFeatures : Float32Array.from({ length: nItems * cfg.featureDim }, () => rng.normal()));
  const constBufs = new Map<string, Buf>();
  let passes = o.passes ?? (o.spec ? passesFor(o.spec, params, o.task) : undefined);
  if (o.constants?.length) {
    const base = passes ?? [{ name: '' }];
    const fin = base[base.length - 1];
    passes = [
      ...base.slice(0, -1),
      {
        ...fin,
        hook: (site, v, ctx) => {
          const out = fin.hook ? fin.hook(site, v, ctx) : v;
          if (!o.constants!.includes(site)) return out;
          const buf = be.allocF(v.size);
          constBufs.set(site, buf);
          return ctx.g.wrap(buf, v.shape, null);
        },
      },
    ];
  }
  const model = buildModel(params, { batch: B, seqLen: dist?.seqLen, nItems, training: o.training ?? true, allPositions: o.allPositions, passes, keep: o.keep });
  model.setFeatures(features);
  const nextBatch = dist
    ? () => {
        const sb = allocLayoutBatch(B, dist.seqLen);
        dist.sample(rng, sb);
        return sb;
      }
    : () => conformanceBatch(B, nItems, cfg.numLabels, rng);
  const rig: Rig = {
    be,
    task: o.task,
    cfg,
    params,
    model,
    batch: nextBatch(),
    features,
    nextBatch,
    setBatch(sb) {
      rig.batch = sb;
      model.setBatch(sb);
    },
    forward() {
      model.program.forward();
      return be.read(model.loss.buf)[0];
    },
    grads() {
      model.program.forward();
      params.zeroGrads();
      model.program.backward();
      return Object.fromEntries(params.list().map((e) => [e.spec.name, Float64Array.from(be.read(e.grad))]));
    },
    read: (site) => Float64Array.from(model.program.read(site)),
    queryLogits: () => Float64Array.from(be.read(model.queryLogits.buf)),
    setConstant(site, values) {
      const buf = constBufs.get(site);
      if (!buf) throw new Error(`no constant site '${site}'`);
      be.write(buf, values);
    },
  };
  model.setBatch(rig.batch);
  return rig;
}

/** Another program over the same parameters, features and current batch as `rig` (a clean twin, ...). */
export function twin(rig: Rig, o: Omit<RigOptions, 'params' | 'B' | 'nItems' | 'features' | 'be' | 'cfg' | 'task'> = {}): Rig {
  const t = makeRig({ ...o, be: rig.be, params: rig.params, B: rig.batch.size, nItems: rig.model.nItems, features: rig.features, task: rig.task });
  t.setBatch(rig.batch);
  return t;
}

/** Flat indices of head `h`'s rows of W_q (part 0), W_k (1) or W_v (2) in `blocks.l.attn.qkv.weight`. */
export function qkvIdx(cfg: ModelConfig, h: number, part: 0 | 1 | 2): number[] {
  const d = cfg.dModel;
  const D = d / cfg.nHeads;
  const out: number[] = [];
  for (let r = part * d + h * D; r < part * d + (h + 1) * D; r++) for (let c = 0; c < d; c++) out.push(r * d + c);
  return out;
}

/** Flat indices of head `h`'s columns of W_O in `blocks.l.attn.out.weight` [d, d]. */
export function outIdx(cfg: ModelConfig, h: number): number[] {
  const d = cfg.dModel;
  const D = d / cfg.nHeads;
  const out: number[] = [];
  for (let r = 0; r < d; r++) for (let c = h * D; c < (h + 1) * D; c++) out.push(r * d + c);
  return out;
}

export const at = (a: ArrayLike<number>, idx: readonly number[]): number[] => idx.map((i) => a[i]);
export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
/** Every index of a tensor not in `idx`. */
export const complement = (n: number, idx: readonly number[]): number[] => {
  const s = new Set(idx);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !s.has(i));
};

/** Pattern entry A[b, h, i, j] of a [B, H, Tq, T] tensor. */
export const patternAt = (A: ArrayLike<number>, H: number, Tq: number, b: number, h: number, i: number, j: number, T = 5): number =>
  A[((b * H + h) * Tq + i) * T + j];

/** The previous-token matrix of spec 4.4 for strength s. */
export const prevTokenMatrix = (s: number, T = 5): number[][] =>
  Array.from({ length: T }, (_, t) => Array.from({ length: T }, (_, j) => (t === 0 ? (j === 0 ? 1 : 0) : j === t - 1 ? s : j === t ? 1 - s : 0)));

export interface FdReport {
  /** Worst |analytic − numeric| / max(|analytic|, |numeric|, floor) over checked coordinates. */
  worst: number;
  where: string;
  checked: number;
  /** Checked coordinates whose analytic gradient is nonzero (the check was not vacuous). */
  nonzero: number;
}

/**
 * Central differences of the loss against the analytic gradient, `perTensor` random coordinates of every
 * parameter tensor (float64 reference backend only).
 */
export function fdCheck(rig: Rig, perTensor: number, seed = 3, h = 1e-5, floor = 1e-6): FdReport {
  const { be, params } = rig;
  const rng = new Rng(seed);
  const grads = rig.grads();
  const rep: FdReport = { worst: 0, where: '', checked: 0, nonzero: 0 };
  for (const e of params.list()) {
    const val = be.read(e.value);
    const n = Math.min(perTensor, e.size);
    const coords = new Set<number>();
    while (coords.size < n) coords.add(rng.int(e.size));
    for (const i of coords) {
      be.write(e.value, [val[i] + h], i);
      const lp = rig.forward();
      be.write(e.value, [val[i] - h], i);
      const lm = rig.forward();
      be.write(e.value, [val[i]], i);
      const num = (lp - lm) / (2 * h);
      const a = grads[e.spec.name][i];
      const err = Math.abs(a - num) / Math.max(Math.abs(a), Math.abs(num), floor);
      if (err > rep.worst) rep.worst = err;
      if (err === rep.worst && err > 0) rep.where = `${e.spec.name}[${i}]: analytic ${a}, numeric ${num}`;
      rep.checked++;
      if (a !== 0) rep.nonzero++;
    }
  }
  rig.forward();
  return rep;
}

/** Names of the parameter tensors whose gradient has a nonzero entry. */
export const movingTensors = (g: Grads): string[] => Object.keys(g).filter((k) => maxAbs(g[k]) > 0);
