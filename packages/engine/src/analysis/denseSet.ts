/**
 * The evaluation set of every checkpoint analysis (spec 5, preamble; the set of spec 1.4 / App. C) and the
 * evaluator that runs a model under an intervention spec over it.
 *
 * The set is the finite training distribution of 78,400 sequences (`size: 'all'`), or, by default, a
 * seeded stratified subsample of it (the "random subsample of a few thousand" the spec allows on a CPU):
 * the full set is split into strata by (context label l_1, context label l_2, query slot) — 16 ordered
 * label pairs × 2 slots = 32 equal strata of 2,450 sequences for the default task — each stratum gets its
 * share of the sample (largest remainder), drawn without replacement by a partial Fisher-Yates shuffle
 * seeded with `seed` (default 0). Chosen sequences keep the enumeration order. So every ordered label
 * pair and query slot is represented exactly proportionally, and classes approximately uniformly.
 *
 * On the tasks beyond the paper's (issue 23: k shots, bursty, repeated tokens) no finite set is enumerable
 * (k-shot contexts alone number C!/(C−k)!·L!/(L−k)!), so the dense set is `size` sequences drawn from the
 * task's own training distribution by an Rng seeded with `seed` (the same sequences for every checkpoint and
 * every analysis of the run), in the task's token layout, with the task's positions for the head scores and
 * the clamps. The paper's task keeps its finite set and every number above, bit for bit.
 *
 * `DenseEvaluator` holds one ParamStore: load checkpoint after checkpoint into it (`loadTensors`) and the
 * compiled programs are reused. `prepare(spec)` builds a persistent program (a progress curve evaluates
 * the same spec on ~100 checkpoints); `evaluate(spec)` uses a prepared program when one exists, and
 * otherwise builds a transient one and frees it afterwards (the wiring matrix's 264 one-off specs), via
 * the backend's mark/release arena. The set is run in chunks of a fixed batch size (the last chunk is
 * padded with copies of sequence 0 whose results are dropped).
 */
import type { SequenceDistribution } from '../data/sampler.js';
import { enumerateTrainingSet } from '../data/finiteSet.js';
import { isPaperTask, taskData, taskKind, type TaskSelection } from '../data/tasks/index.js';
import { fewShotPositions, taskPositions, type TaskPositions } from '../data/tasks/positions.js';
import { allocBatch, allocLayoutBatch, type Distribution, type FeatureSource, type SequenceBatch, type Task } from '../data/types.js';
import { compileInterventions, type CompileOptions } from '../compileInterventions.js';
import { parseInterventionSpec, type InterventionSpec } from '../interventions/spec.js';
import { buildModel, type ModelProgram } from '../model.js';
import { addHeadScores, checkHeadLayers, defaultHeadLayers, meanHeadScores, newHeadScoreSums, type HeadLayers } from './heads.js';
import type { ParamStore } from '../params.js';
import { Rng } from '../rng.js';
import { loadParamTensors } from '../store/paramIO.js';
import type { NamedTensor } from '../store/safetensors.js';

export const DEFAULT_DENSE_SIZE = 4000;
export const DEFAULT_DENSE_SEED = 0;
export const DEFAULT_DENSE_CHUNK = 1000;

export interface DenseSet {
  readonly distribution: SequenceDistribution | Distribution;
  /** Where the task's query, candidates and exemplars sit (the paper's 5-token layout on its task). */
  readonly positions: TaskPositions;
  readonly batch: SequenceBatch;
  /** Size of the full finite set (78,400 by default); null on a task whose dense set is sampled. */
  readonly fullSize: number | null;
  /** Index of each chosen sequence in the full enumeration (ascending); null when the set is complete. */
  readonly indices: Int32Array | null;
  readonly seed: number | null;
  /** One line for stored results and reports, e.g. "finite training set, stratified subsample 4000/78400 (seed 0)". */
  readonly description: string;
}

export interface DenseSetOptions {
  /** Sequences to keep, or 'all' for the whole finite set (default 4,000). */
  size?: number | 'all';
  seed?: number;
}

/**
 * The finite training set of `task` (spec 1.4) or a stratified subsample of it; on a task selection beyond
 * the paper's (`sel`), `size` sequences of its training distribution (see the module docstring).
 */
export function denseSet(task: Task, features: FeatureSource, opts: DenseSetOptions = {}, sel?: TaskSelection): DenseSet {
  if (sel && !isPaperTask(sel)) return sampledDenseSet(sel, task, features, opts);
  const positions = fewShotPositions(5);
  const { distribution, batch } = enumerateTrainingSet(task, features);
  const N = batch.size;
  const size = opts.size ?? DEFAULT_DENSE_SIZE;
  if (size === 'all' || size >= N)
    return { distribution, positions, batch, fullSize: N, indices: null, seed: null, description: `finite training set, all ${N} sequences` };
  if (!Number.isInteger(size) || size < 1) throw new Error(`dense set size must be a positive integer or 'all', got ${size}`);
  const seed = opts.seed ?? DEFAULT_DENSE_SEED;
  const indices = stratifiedIndices(batch, task.config.numLabels, size, seed);
  return {
    distribution,
    positions,
    batch: selectRows(batch, indices),
    fullSize: N,
    indices,
    seed,
    description: `finite training set, stratified subsample ${size}/${N} (seed ${seed}; strata: label pair × query slot)`,
  };
}

/** `size` sequences of the training distribution of task `sel`, drawn by Rng(seed). */
function sampledDenseSet(sel: TaskSelection, task: Task, features: FeatureSource, opts: DenseSetOptions): DenseSet {
  const positions = taskPositions(sel);
  const size = opts.size ?? DEFAULT_DENSE_SIZE;
  if (size === 'all')
    throw new Error(`dense set size 'all': only the paper's 5-token task has an enumerable finite training set; ${positions.name} (task.kind '${taskKind(sel)}') draws its dense set, so give a number of sequences`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`dense set size must be a positive integer or 'all', got ${size}`);
  const seed = opts.seed ?? DEFAULT_DENSE_SEED;
  // The eval seed and size do not matter here: only the training distribution is used.
  const distribution = taskData(sel, task, features, 0, 1).train;
  const batch = allocLayoutBatch(size, positions.seqLen);
  distribution.sample(new Rng(seed), batch);
  return { distribution, positions, batch, fullSize: null, indices: null, seed, description: `${size} sequences of the ${positions.name} training distribution (seed ${seed})` };
}

/** `size` indices of `batch`, stratified by (l_1, l_2, query slot), ascending. */
export function stratifiedIndices(batch: SequenceBatch, numLabels: number, size: number, seed: number): Int32Array {
  const strata = new Map<number, number[]>();
  for (let b = 0; b < batch.size; b++) {
    const key = (batch.contextLabel[2 * b] * numLabels + batch.contextLabel[2 * b + 1]) * 2 + batch.querySlot[b];
    let s = strata.get(key);
    if (!s) strata.set(key, (s = []));
    s.push(b);
  }
  const keys = [...strata.keys()].sort((a, b) => a - b);
  // Largest-remainder apportionment of `size` over the strata.
  const exact = keys.map((k) => (size * strata.get(k)!.length) / batch.size);
  const take = exact.map(Math.floor);
  let left = size - take.reduce((a, b) => a + b, 0);
  const byRemainder = keys.map((_, i) => i).sort((a, b) => exact[b] - take[b] - (exact[a] - take[a]) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    take[i]++;
    left--;
  }
  const rng = new Rng(seed);
  const out: number[] = [];
  keys.forEach((k, i) => {
    const s = strata.get(k)!.slice();
    for (let j = 0; j < take[i]; j++) {
      const r = j + rng.int(s.length - j);
      [s[j], s[r]] = [s[r], s[j]];
      out.push(s[j]);
    }
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}

/** A new batch holding rows `indices` of `src`. */
export function selectRows(src: SequenceBatch, indices: ArrayLike<number>): SequenceBatch {
  const out = allocBatch(indices.length);
  for (let i = 0; i < indices.length; i++) copyRow(src, indices[i], out, i);
  return out;
}

function copyRow(src: SequenceBatch, from: number, dst: SequenceBatch, to: number): void {
  if (src.layout) {
    const T = src.layout.seqLen;
    dst.layout!.tokens.set(src.layout.tokens.subarray(from * T, (from + 1) * T), to * T);
    dst.layout!.cls.set(src.layout.cls.subarray(from * T, (from + 1) * T), to * T);
    dst.target[to] = src.target[from];
    return;
  }
  for (let k = 0; k < 3; k++) {
    dst.item[3 * to + k] = src.item[3 * from + k];
    dst.cls[3 * to + k] = src.cls[3 * from + k];
  }
  dst.contextLabel[2 * to] = src.contextLabel[2 * from];
  dst.contextLabel[2 * to + 1] = src.contextLabel[2 * from + 1];
  dst.target[to] = src.target[from];
  dst.querySlot[to] = src.querySlot[from];
}

/** Per-sequence results of one manipulated evaluation over the dense set. */
export interface DenseResult {
  spec: InterventionSpec;
  n: number;
  /** Mean query cross-entropy and accuracy. */
  loss: number;
  acc: number;
  /** Per sequence: loss, correct (argmax = target; ties go to the lower label), predicted label. */
  rowLoss: Float64Array;
  correct: Uint8Array;
  pred: Int32Array;
  /** With `heads`: induction strength of each last-layer head (spec 5.1; any task: heads.ts `addHeadScores`) under this spec. */
  strength?: number[];
  /** With `heads`: previous-token score of each first-layer head (spec 5.2), positions 1..T−1 and the candidates (labels {1,3}). */
  prevToken?: number[];
  prevTokenAtLabels?: number[];
  /** With `heads`: how many sequences the strength is a mean over (those with a right and a wrong candidate). */
  strengthCount?: number;
}

export interface EvaluateOptions {
  /** Also read the attention patterns and compute per-head strengths / previous-token scores. */
  heads?: boolean;
  /** With `heads`: the previous-token and the induction layer (default the first and the last). */
  layers?: HeadLayers;
  /**
   * The spec `spec` runs on top of: the run's own clamp spec, so the analysis manipulates the model the run
   * trained (interventions/onBase.ts). Absent or empty: the bare model.
   */
  base?: unknown;
}

interface DenseProgram {
  model: ModelProgram;
  spec: InterventionSpec;
  base: InterventionSpec;
  heads: HeadLayers | null;
}

export class DenseEvaluator {
  readonly chunk: number;
  private readonly prepared = new Map<string, DenseProgram>();
  private readonly chunkBatch: SequenceBatch;
  private readonly compile: CompileOptions;

  /** `compile.runsDir`: what `${runs}` in a graft checkpoint stands for (the analysed run's runs directory). */
  constructor(
    readonly params: ParamStore,
    readonly set: DenseSet,
    opts: { chunk?: number; compile?: CompileOptions } = {},
  ) {
    this.chunk = Math.min(opts.chunk ?? DEFAULT_DENSE_CHUNK, set.batch.size);
    this.chunkBatch = set.batch.layout ? allocLayoutBatch(this.chunk, set.batch.layout.seqLen) : allocBatch(this.chunk);
    this.compile = opts.compile ?? {};
  }

  get size(): number {
    return this.set.batch.size;
  }

  /** Parse and validate a spec against this model (a parsed spec passes through unchanged). */
  parse(spec: unknown): InterventionSpec {
    return parseInterventionSpec(spec ?? {}, this.params.config, 'analysis spec');
  }

  /** Replace the parameters (a checkpoint) in place; prepared programs stay valid. */
  loadTensors(tensors: Record<string, NamedTensor>, where: string): void {
    loadParamTensors(this.params, tensors, where);
  }

  /** Build a persistent program for `spec` (reused by every later `evaluate` of the same spec). */
  prepare(spec: unknown, opts: EvaluateOptions = {}): void {
    const s = this.parse(spec);
    const base = this.parseBase(opts.base);
    const heads = this.headLayers(opts);
    const key = keyOf(s, base, heads);
    if (!this.prepared.has(key)) this.prepared.set(key, this.build(s, base, heads));
  }

  evaluate(spec: unknown, opts: EvaluateOptions = {}): DenseResult {
    const s = this.parse(spec);
    const base = this.parseBase(opts.base);
    const heads = this.headLayers(opts);
    const ready = this.prepared.get(keyOf(s, base, heads));
    if (ready) return this.run(ready);
    const be = this.params.be;
    const mark = be.mark();
    try {
      return this.run(this.build(s, base, heads));
    } finally {
      be.release(mark);
    }
  }

  private headLayers(opts: EvaluateOptions): HeadLayers | null {
    const n = this.params.config.nLayers;
    return opts.heads ? checkHeadLayers(opts.layers ?? defaultHeadLayers(n), n) : null;
  }

  private parseBase(base: unknown): InterventionSpec {
    return parseInterventionSpec(base ?? {}, this.params.config, "the run's clamp spec");
  }

  private build(spec: InterventionSpec, base: InterventionSpec, heads: HeadLayers | null): DenseProgram {
    const keep = heads ? [`blocks.${heads.prevToken}.attn.pattern`, `blocks.${heads.induction}.attn.pattern`] : [];
    const model = buildModel(this.params, {
      batch: this.chunk,
      seqLen: this.set.batch.layout?.seqLen,
      nItems: this.set.distribution.items.length,
      training: false,
      passes: compileInterventions(spec, this.params, { ...this.compile, base, positions: this.set.positions }),
      keep,
    });
    model.setFeatures(this.set.distribution.itemFeatures);
    return { model, spec, base, heads };
  }

  private run(p: DenseProgram): DenseResult {
    const { model } = p;
    const cfg = this.params.config;
    const be = this.params.be;
    const L = cfg.numLabels;
    const H = cfg.nHeads;
    const T = this.set.positions.seqLen;
    const N = this.size;
    const C = this.chunk;
    const src = this.set.batch;
    const rowLoss = new Float64Array(N);
    const correct = new Uint8Array(N);
    const pred = new Int32Array(N);
    const sums = newHeadScoreSums(H);
    const lossHost = new Float64Array(C);
    const probsHost = new Float64Array(C * L);
    // The induction layer's pattern is query-only when it is the last layer (its row is the query).
    const lastSite = p.heads ? `blocks.${p.heads.induction}.attn.pattern` : '';
    const firstSite = p.heads ? `blocks.${p.heads.prevToken}.attn.pattern` : '';
    for (let start = 0; start < N; start += C) {
      const n = Math.min(C, N - start);
      for (let i = 0; i < C; i++) copyRow(src, i < n ? start + i : 0, this.chunkBatch, i);
      model.setBatch(this.chunkBatch);
      model.program.forward();
      be.read(model.rowLoss, lossHost);
      be.read(model.probs, probsHost);
      for (let i = 0; i < n; i++) {
        let arg = 0;
        for (let l = 1; l < L; l++) if (probsHost[i * L + l] > probsHost[i * L + arg]) arg = l;
        rowLoss[start + i] = lossHost[i];
        pred[start + i] = arg;
        correct[start + i] = arg === src.target[start + i] ? 1 : 0;
      }
      if (p.heads) {
        const A2 = model.program.read(lastSite); // [C, H, Tq, T]
        const Tq = A2.length / (C * H * T);
        addHeadScores(sums, model.program.read(firstSite), A2, this.set.positions, src, start, n, H, Tq);
      }
    }
    let loss = 0;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      loss += rowLoss[i];
      acc += correct[i];
    }
    const out: DenseResult = { spec: p.spec, n: N, loss: loss / N, acc: acc / N, rowLoss, correct, pred };
    if (p.heads) {
      if (!sums.nInduction)
        throw new Error(`induction strength has no meaning on this dense set (${this.set.description}): no sequence has the target's label at one candidate position of ${this.set.positions.name} and another label at another`);
      const m = meanHeadScores(sums);
      out.strength = m.induction;
      out.strengthCount = sums.nInduction;
      out.prevToken = m.prevToken;
      out.prevTokenAtLabels = m.prevTokenAtLabels;
    }
    return out;
  }
}

function keyOf(spec: InterventionSpec, base: InterventionSpec, heads: HeadLayers | null): string {
  return JSON.stringify({ spec, base, heads });
}
