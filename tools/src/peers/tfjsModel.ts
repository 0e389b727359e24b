/**
 * Peer benchmark: the paper's model (spec sections 2 and 3.1) written in TensorFlow.js, as a tfjs user would.
 *
 * 2-layer attention-only pre-LN transformer classifier, d_model 64, 8 heads of dim 8, interleaved RoPE,
 * causal softmax, final LN and unembedding; cross-entropy on the query token (position 4); Adam.
 * Tokens per sequence: [e1, u1, e2, u2, e3] with e = x W_e + b_e (512 -> 64) and u = onehot(label) W_l.
 *
 * Weights are stored in tfjs' dense-layer layout ([in, out], i.e. the transpose of the spec's W), so every
 * projection is a plain `matMul(x, W)`.
 *
 * Notes for the wasm backend in Node (tfjs 4.22):
 * - no UnsortedSegmentSum kernel, so `gather` has no gradient there: labels are embedded with oneHot x matmul;
 * - its OneHot kernel ignores the dtype argument (writes int32 bits into a float32 tensor), so one-hots are
 *   made as int32 and cast;
 * - the threaded build is not used in Node (single thread, SIMD on);
 * - BatchMatMul with transposeA/transposeB runs 10-20x slower than without, and tfjs' matMul gradient uses
 *   those flags; see `explicitTransposeGrads` for the tuned variant.
 * 5-D transposes are avoided: q/k/v are split by column slices and moved to [B, heads, T, 8] with 4-D
 * transposes; the RoPE pair swap is a fixed signed 8x8 permutation matmul.
 *
 * This module must not import @optoscope/engine.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export const D_MODEL = 64;
export const N_HEADS = 8;
export const HEAD_DIM = 8;
export const SEQ_LEN = 5;
export const FEATURE_DIM = 512;
export const N_EXEMPLARS = 3;
export const N_CONTEXT = 2;
export const N_LAYERS = 2;
const LN_EPS = 1e-5;
const ROPE_BASE = 10000;
/** Std of N(0,1) truncated to [-2, 2] (tf.truncatedNormal truncates at 2 std), for lecun_normal. */
const TRUNC_NORMAL_STD = 0.8796256610342398;

export interface TfjsModelConfig {
  /** Number of labels L (output classes); 5 in the main runs. */
  numLabels?: number;
  /** Seed for the parameter init (tf.truncatedNormal seeds). */
  seed?: number;
  /**
   * false (default, the idiomatic peer): projections are plain `matMul` and tfjs' own gradients are used.
   * true (a tuned variant): the weight projections get a tf.customGrad whose backward pass transposes
   * explicitly and then runs non-transposed matMuls. In tfjs-backend-wasm 4.22, BatchMatMul with
   * transposeA/transposeB (which tfjs' built-in matMul gradient uses) is 10-20x slower than the
   * non-transposed kernel, and dominates the step.
   */
  explicitTransposeGrads?: boolean;
}

interface Block {
  lnGain: tf.Variable;
  lnBias: tf.Variable;
  /** [64, 192]: columns 0-63 Q, 64-127 K, 128-191 V; head h = columns 8h..8h+7 of each. */
  wQkv: tf.Variable;
  /** [64, 64] */
  wO: tf.Variable;
}

export interface TfjsModel {
  readonly numLabels: number;
  /** Every trainable variable, in a fixed order. */
  readonly variables: tf.Variable[];
  /**
   * Forward pass. x: [B, 3, 512] float32 exemplar features (2 context + query); labels: [B, 2] int32
   * context labels. Returns logits [B, 5, L] at every position (allPositions) or [B, L] at the query.
   */
  logits(x: tf.Tensor3D, labels: tf.Tensor2D, allPositions?: boolean): tf.Tensor;
  /** Mean cross-entropy of the query logits against targets ([B] int32). Scalar. */
  loss(x: tf.Tensor3D, labels: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar;
  numParams(): number;
  dispose(): void;
}

/** lecun_normal: truncated normal with std 1/sqrt(fanIn) after truncation. */
function lecunNormal(shape: [number, number], fanIn: number, seed: number): tf.Variable {
  const std = 1 / Math.sqrt(fanIn) / TRUNC_NORMAL_STD;
  return tf.variable(tf.truncatedNormal(shape, 0, std, 'float32', seed));
}

/** Builds the model's variables and constants in the current backend. */
export function createTfjsModel(config: TfjsModelConfig = {}): TfjsModel {
  const numLabels = config.numLabels ?? 5;
  const seed = config.seed ?? 5;
  const explicitTransposeGrads = config.explicitTransposeGrads ?? false;

  const wE = lecunNormal([FEATURE_DIM, D_MODEL], FEATURE_DIM, seed);
  const bE = tf.variable(tf.zeros([D_MODEL]));
  // Label embedding: 0.02 x truncated standard normal, not variance-corrected (spec 2.4).
  const wL = tf.variable(tf.truncatedNormal([numLabels, D_MODEL], 0, 0.02, 'float32', seed + 1));
  const blocks: Block[] = [];
  for (let l = 0; l < N_LAYERS; l++) {
    blocks.push({
      lnGain: tf.variable(tf.ones([D_MODEL])),
      lnBias: tf.variable(tf.zeros([D_MODEL])),
      wQkv: lecunNormal([D_MODEL, 3 * D_MODEL], D_MODEL, seed + 2 + 2 * l),
      wO: lecunNormal([D_MODEL, D_MODEL], D_MODEL, seed + 3 + 2 * l),
    });
  }
  const lnFGain = tf.variable(tf.ones([D_MODEL]));
  const lnFBias = tf.variable(tf.zeros([D_MODEL]));
  const wU = lecunNormal([D_MODEL, numLabels], D_MODEL, seed + 2 + 2 * N_LAYERS);
  const bU = tf.variable(tf.zeros([numLabels]));

  const variables = [
    wE,
    bE,
    wL,
    ...blocks.flatMap((b) => [b.lnGain, b.lnBias, b.wQkv, b.wO]),
    lnFGain,
    lnFBias,
    wU,
    bU,
  ];

  // Constants (not trainable): RoPE cos/sin tables [T, 8], the pair-swap matrix, the causal mask.
  const cosTab = new Float32Array(SEQ_LEN * HEAD_DIM);
  const sinTab = new Float32Array(SEQ_LEN * HEAD_DIM);
  for (let t = 0; t < SEQ_LEN; t++) {
    for (let i = 0; i < HEAD_DIM / 2; i++) {
      const angle = t * Math.pow(ROPE_BASE, (-2 * i) / HEAD_DIM);
      cosTab[t * HEAD_DIM + 2 * i] = cosTab[t * HEAD_DIM + 2 * i + 1] = Math.cos(angle);
      sinTab[t * HEAD_DIM + 2 * i] = sinTab[t * HEAD_DIM + 2 * i + 1] = Math.sin(angle);
    }
  }
  // rot(v) = v @ R with rot(v)_{2i} = -v_{2i+1}, rot(v)_{2i+1} = v_{2i}.
  const rot = new Float32Array(HEAD_DIM * HEAD_DIM);
  for (let i = 0; i < HEAD_DIM / 2; i++) {
    rot[(2 * i + 1) * HEAD_DIM + 2 * i] = -1;
    rot[2 * i * HEAD_DIM + 2 * i + 1] = 1;
  }
  const maskData = new Float32Array(SEQ_LEN * SEQ_LEN);
  for (let t = 0; t < SEQ_LEN; t++) for (let s = t + 1; s < SEQ_LEN; s++) maskData[t * SEQ_LEN + s] = -1e20;
  const ropeCos = tf.tensor2d(cosTab, [SEQ_LEN, HEAD_DIM]);
  const ropeSin = tf.tensor2d(sinTab, [SEQ_LEN, HEAD_DIM]);
  const ropeRot = tf.tensor2d(rot, [HEAD_DIM, HEAD_DIM]);
  const causalMask = tf.tensor2d(maskData, [SEQ_LEN, SEQ_LEN]);
  const constants = [ropeCos, ropeSin, ropeRot, causalMask];
  const scale = 1 / Math.sqrt(HEAD_DIM);

  /** x [N, in] @ w [in, out]. With explicitTransposeGrads, only non-transposed matMuls run backward. */
  const fastDense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: x.matMul(w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor, tf.Tensor];
        return [dy.matMul(ws.transpose()), xs.transpose().matMul(dy)];
      },
    };
  });
  /** Same, for a data input (no gradient wanted for x, so none is computed). */
  const fastDenseData = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [wv, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([x]); // saved (kept) for backward; the forward's intermediates are disposed before it runs
      return { value: x.matMul(wv), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved[0]!.transpose().matMul(dy) };
    })(w);
  const dense = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => (explicitTransposeGrads ? fastDense(x, w) : x.matMul(w));
  const denseData = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
    explicitTransposeGrads ? fastDenseData(x, w) : x.matMul(w);

  const layerNorm = (x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(gain).add(bias);
  };

  /** [B*T, 64] column block -> [B, heads, T, 8]. */
  const splitHeads = (m: tf.Tensor2D, col: number, batch: number): tf.Tensor4D =>
    m
      .slice([0, col], [-1, D_MODEL])
      .reshape([batch, SEQ_LEN, N_HEADS, HEAD_DIM])
      .transpose([0, 2, 1, 3]) as tf.Tensor4D;

  /** Interleaved-pair RoPE on [B, heads, T, 8]. */
  const rope = (v: tf.Tensor4D): tf.Tensor4D => {
    const shape = v.shape;
    const swapped = v.reshape([-1, HEAD_DIM]).matMul(ropeRot).reshape(shape);
    return v.mul(ropeCos).add(swapped.mul(ropeSin)) as tf.Tensor4D;
  };

  const attention = (h: tf.Tensor3D, block: Block, batch: number): tf.Tensor3D => {
    const z = layerNorm(h, block.lnGain, block.lnBias).reshape([batch * SEQ_LEN, D_MODEL]) as tf.Tensor2D;
    const qkv = dense(z, block.wQkv) as tf.Tensor2D;
    const q = rope(splitHeads(qkv, 0, batch));
    const k = rope(splitHeads(qkv, D_MODEL, batch));
    const v = splitHeads(qkv, 2 * D_MODEL, batch);
    const scores = tf.matMul(q, k, false, true).mul(scale).add(causalMask);
    const probs = tf.softmax(scores, -1);
    const heads = tf.matMul(probs, v); // [B, heads, T, 8]
    const concat = heads.transpose([0, 2, 1, 3]).reshape([batch * SEQ_LEN, D_MODEL]) as tf.Tensor2D;
    const out = dense(concat, block.wO).reshape([batch, SEQ_LEN, D_MODEL]);
    return h.add(out);
  };

  const logits = (x: tf.Tensor3D, labels: tf.Tensor2D, allPositions = false): tf.Tensor => {
    const batch = x.shape[0];
    const e = denseData(x.reshape([batch * N_EXEMPLARS, FEATURE_DIM]), wE)
      .add(bE)
      .reshape([batch, N_EXEMPLARS, D_MODEL]);
    const onehot = tf.oneHot(labels.reshape([-1]) as tf.Tensor1D, numLabels).cast('float32');
    const u = denseData(onehot, wL).reshape([batch, N_CONTEXT, D_MODEL]);
    const tok = (src: tf.Tensor, i: number): tf.Tensor => src.slice([0, i, 0], [-1, 1, -1]);
    let h = tf.concat([tok(e, 0), tok(u, 0), tok(e, 1), tok(u, 1), tok(e, 2)], 1) as tf.Tensor3D;
    for (const block of blocks) h = attention(h, block, batch);
    // LN and unembedding are row-wise: the loss only needs the query row (position 4).
    const rows = allPositions ? h : h.slice([0, SEQ_LEN - 1, 0], [-1, 1, -1]).reshape([batch, D_MODEL]);
    return dense(layerNorm(rows, lnFGain, lnFBias), wU).add(bU);
  };

  const loss = (x: tf.Tensor3D, labels: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar => {
    const z = logits(x, labels, false);
    const onehot = tf.oneHot(targets, numLabels).cast('float32');
    return tf.losses.softmaxCrossEntropy(onehot, z) as tf.Scalar;
  };

  return {
    numLabels,
    variables,
    logits: (x, labels, allPositions) => tf.tidy(() => logits(x, labels, allPositions)),
    loss,
    numParams: () => variables.reduce((n, v) => n + v.size, 0),
    dispose: () => {
      for (const v of variables) v.dispose();
      for (const c of constants) c.dispose();
    },
  };
}

/** Small seeded PRNG (mulberry32) for the synthetic data; the engine's Rng is deliberately not imported. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Host-side batch: plain typed arrays, turned into tensors per step. */
export interface HostBatch {
  batch: number;
  /** [B, 3, 512] */
  x: Float32Array;
  /** [B, 2] context labels */
  labels: Int32Array;
  /** [B] query targets */
  targets: Int32Array;
}

/**
 * Synthetic training stream standing in for the Omniglot features (timing only): `numClasses` classes with
 * one exemplar each, features |N(0,1)| (non-negative like post-ReLU ResNet features).
 */
export class SyntheticTask {
  readonly features: Float32Array;
  private readonly rand: () => number;

  constructor(
    readonly numClasses = 50,
    readonly numLabels = 5,
    seed = 0,
  ) {
    this.rand = mulberry32(seed);
    this.features = new Float32Array(numClasses * FEATURE_DIM);
    for (let i = 0; i < this.features.length; i += 2) {
      // Box-Muller, both outputs.
      const u1 = 1 - this.rand();
      const u2 = this.rand();
      const r = Math.sqrt(-2 * Math.log(u1));
      this.features[i] = Math.abs(r * Math.cos(2 * Math.PI * u2));
      if (i + 1 < this.features.length) this.features[i + 1] = Math.abs(r * Math.sin(2 * Math.PI * u2));
    }
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  /** A fresh batch: query class, a distinct distractor, random order, a random distinct label pair. */
  sample(batch: number): HostBatch {
    const x = new Float32Array(batch * N_EXEMPLARS * FEATURE_DIM);
    const labels = new Int32Array(batch * N_CONTEXT);
    const targets = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const q = this.int(this.numClasses);
      let d = this.int(this.numClasses - 1);
      if (d >= q) d++;
      const la = this.int(this.numLabels);
      let lb = this.int(this.numLabels - 1);
      if (lb >= la) lb++;
      const queryFirst = this.rand() < 0.5;
      const ctx = queryFirst ? [q, d] : [d, q];
      labels[b * 2] = queryFirst ? la : lb;
      labels[b * 2 + 1] = queryFirst ? lb : la;
      targets[b] = la;
      const rows = [ctx[0]!, ctx[1]!, q];
      for (let i = 0; i < N_EXEMPLARS; i++) {
        const c = rows[i]!;
        x.set(this.features.subarray(c * FEATURE_DIM, (c + 1) * FEATURE_DIM), (b * N_EXEMPLARS + i) * FEATURE_DIM);
      }
    }
    return { batch, x, labels, targets };
  }
}

/** Host batch -> tensors (caller disposes). */
export function batchTensors(hb: HostBatch): { x: tf.Tensor3D; labels: tf.Tensor2D; targets: tf.Tensor1D } {
  return {
    x: tf.tensor3d(hb.x, [hb.batch, N_EXEMPLARS, FEATURE_DIM]),
    labels: tf.tensor2d(hb.labels, [hb.batch, N_CONTEXT], 'int32'),
    targets: tf.tensor1d(hb.targets, 'int32'),
  };
}

/**
 * One Adam step on a host batch; returns the loss (read back with dataSync, so the step has completed).
 * Everything the step allocates is disposed.
 */
export function trainStep(model: TfjsModel, optimizer: tf.Optimizer, hb: HostBatch): number {
  const { x, labels, targets } = batchTensors(hb);
  const lossT = optimizer.minimize(() => model.loss(x, labels, targets), true, model.variables);
  const loss = lossT!.dataSync()[0]!;
  tf.dispose([lossT!, x, labels, targets]);
  return loss;
}

let wasmPathsSet = false;

/**
 * Selects a tfjs backend. For 'wasm', points the backend at the .wasm binaries in the installed
 * @tensorflow/tfjs-backend-wasm/dist/ (resolved through Node's resolver, so it works from src/ under
 * vitest and from dist/ alike).
 */
export async function useTfjsBackend(backend: 'wasm' | 'cpu'): Promise<void> {
  if (backend === 'wasm' && !wasmPathsSet && tf.findBackend('wasm') == null) {
    // Only before the wasm backend is first initialized (setWasmPaths refuses afterwards).
    const require = createRequire(import.meta.url);
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(distDir + path.sep);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend '${backend}' failed to initialize`);
  await tf.ready();
}

export interface TfjsBenchResult {
  name: string;
  /** Median wall time of one training step over the timed steps, in ms. */
  msPerStep: number;
  /** Mean wall time of one training step over the timed steps, in ms. */
  msPerStepMean: number;
  /** Loss of the very first step (first warmup step, or first timed step when warmup = 0). */
  lossFirst: number;
  /** Loss of the last timed step. */
  lossLast: number;
}

/**
 * Times one training step (batch 32, Adam lr 1e-5) of the tfjs model on the given backend.
 *
 * Timed region per step: host arrays -> tensors, forward, backward, Adam update, loss read back with
 * dataSync (so the step is complete). Not timed: sampling the batch on the host (plain JS, sampled
 * before each step). msPerStep is the median of the per-step times.
 *
 * `explicitTransposeGrads` (default false) selects the tuned variant (see TfjsModelConfig); its result is
 * named `tfjs-<backend>-tuned`. The default is the plain, idiomatic peer.
 */
export async function benchTfjs(opts: {
  backend: 'wasm' | 'cpu';
  steps: number;
  warmup: number;
  explicitTransposeGrads?: boolean;
}): Promise<TfjsBenchResult> {
  await useTfjsBackend(opts.backend);
  const tuned = opts.explicitTransposeGrads ?? false;
  const task = new SyntheticTask(50, 5, 0);
  const model = createTfjsModel({ numLabels: 5, seed: 5, explicitTransposeGrads: tuned });
  const optimizer = tf.train.adam(1e-5, 0.9, 0.999, 1e-8);
  const batch = 32;
  try {
    let lossFirst = NaN;
    let lossLast = NaN;
    for (let i = 0; i < opts.warmup; i++) {
      const loss = trainStep(model, optimizer, task.sample(batch));
      if (i === 0) lossFirst = loss;
    }
    // Adam's slot variables are created lazily on the first step, so the count is taken after one step.
    let tensorsBefore = opts.warmup > 0 ? tf.memory().numTensors : -1;
    const times: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const hb = task.sample(batch);
      const t0 = performance.now();
      const loss = trainStep(model, optimizer, hb);
      times.push(performance.now() - t0);
      if (i === 0 && opts.warmup === 0) {
        lossFirst = loss;
        tensorsBefore = tf.memory().numTensors;
      }
      lossLast = loss;
    }
    const tensorsAfter = tf.memory().numTensors;
    if (opts.steps > 0 && tensorsAfter !== tensorsBefore) {
      throw new Error(`tfjs tensor leak: ${tensorsBefore} tensors before the timed steps, ${tensorsAfter} after`);
    }
    if (!Number.isFinite(lossLast) && opts.steps > 0) throw new Error(`tfjs loss is not finite: ${lossLast}`);
    return {
      name: `tfjs-${opts.backend}${tuned ? '-tuned' : ''}`,
      msPerStep: median(times),
      msPerStepMean: times.length ? times.reduce((a, b) => a + b, 0) / times.length : NaN,
      lossFirst,
      lossLast,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
