/**
 * Parameters of the paper's model (spec 2.1, 2.4, 2.5) in one contiguous block, with gradients and Adam
 * moments in blocks of the same layout, so that zeroing gradients and the Adam update are one kernel call
 * each and a checkpoint is four memcpys.
 *
 * Names follow PyTorch conventions (`weight` stored [out, in]) so a safetensors checkpoint reads naturally
 * in PyTorch/JAX. One deviation from the spec's notation: the label embedding W_ℓ (64 × L in the spec) is
 * stored as `embed.label.weight` [L, 64], a row per label, like nn.Embedding.
 */
import type { Backend, Buf } from './backend.js';
import { Rng, TRUNC_NORMAL_STD } from './rng.js';

export interface ModelConfig {
  /** Residual width (spec: 64). */
  dModel: number;
  /** Heads per layer (spec: 8; head dim = dModel / nHeads = 8). */
  nHeads: number;
  /** Attention-only blocks (spec: 2). */
  nLayers: number;
  /** Exemplar feature width (ResNet-18 penultimate: 512). */
  featureDim: number;
  /** Output labels L (5 main; 10, 15 in Fig. 6). */
  numLabels: number;
  /** RoPE timescale (spec 2.3: 10000). */
  ropeBase: number;
  /** LayerNorm epsilon (spec 2.1: 1e-5). */
  lnEps: number;
  /** Per-head width (default dModel / nHeads, the paper's 8); q, k, v are nHeads·headDim wide. */
  headDim?: number;
  /**
   * Positional information: 'rope' on q and k (the paper's, the default), 'learned' absolute embeddings
   * `embed.pos.weight` [ctx, dModel] added to the token embedding, or 'none'.
   */
  positions?: PositionKind;
  /** Rows of the learned position table: the longest sequence the model reads (required for 'learned'). */
  ctx?: number;
  /** Hidden width of a pre-LN GELU MLP after each attention block; 0 or absent: attention-only (the paper's). */
  mlpHidden?: number;
}

export type PositionKind = 'rope' | 'learned' | 'none';

/** The head width of a config (headDim, else dModel / nHeads). */
export const headDimOf = (cfg: ModelConfig): number => cfg.headDim ?? cfg.dModel / cfg.nHeads;
export const positionsOf = (cfg: ModelConfig): PositionKind => cfg.positions ?? 'rope';
export const mlpHiddenOf = (cfg: ModelConfig): number => cfg.mlpHidden ?? 0;

export const DEFAULT_MODEL: ModelConfig = {
  dModel: 64,
  nHeads: 8,
  nLayers: 2,
  featureDim: 512,
  numLabels: 5,
  ropeBase: 10000,
  lnEps: 1e-5,
};

type Init = { kind: 'lecun'; fanIn: number } | { kind: 'label' } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
}

export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  // Attention width: the concatenated heads (equal to d for the paper's head size).
  const a = cfg.nHeads * headDimOf(cfg);
  const hidden = mlpHiddenOf(cfg);
  const specs: ParamSpec[] = [
    { name: 'embed.exemplar.weight', shape: [d, cfg.featureDim], init: { kind: 'lecun', fanIn: cfg.featureDim } },
    // The exemplar embedding has a bias "since input embeddings may not be centered" (spec 1.1).
    { name: 'embed.exemplar.bias', shape: [d], init: { kind: 'zeros' } },
    { name: 'embed.label.weight', shape: [cfg.numLabels, d], init: { kind: 'label' } },
  ];
  if (positionsOf(cfg) === 'learned') {
    if (!cfg.ctx) throw new Error(`learned positions need the context length (model config 'ctx')`);
    // Like GPT-2's wpe: a row per position, initialised as the label embedding is (0.02 × truncated normal).
    specs.push({ name: 'embed.pos.weight', shape: [cfg.ctx, d], init: { kind: 'label' } });
  }
  for (let l = 0; l < cfg.nLayers; l++) {
    specs.push(
      { name: `blocks.${l}.ln1.weight`, shape: [d], init: { kind: 'ones' } },
      { name: `blocks.${l}.ln1.bias`, shape: [d], init: { kind: 'zeros' } },
      // Rows 0..a-1 = W_q, a..2a-1 = W_k, 2a..3a-1 = W_v (a = nHeads·headDim = d in the paper); head h uses
      // rows h·headDim .. h·headDim+headDim-1 of each (spec 2.2: 8h..8h+7).
      { name: `blocks.${l}.attn.qkv.weight`, shape: [3 * a, d], init: { kind: 'lecun', fanIn: d } },
      { name: `blocks.${l}.attn.out.weight`, shape: [d, a], init: { kind: 'lecun', fanIn: a } },
    );
    if (hidden > 0)
      specs.push(
        { name: `blocks.${l}.ln2.weight`, shape: [d], init: { kind: 'ones' } },
        { name: `blocks.${l}.ln2.bias`, shape: [d], init: { kind: 'zeros' } },
        { name: `blocks.${l}.mlp.fc1.weight`, shape: [hidden, d], init: { kind: 'lecun', fanIn: d } },
        { name: `blocks.${l}.mlp.fc1.bias`, shape: [hidden], init: { kind: 'zeros' } },
        { name: `blocks.${l}.mlp.fc2.weight`, shape: [d, hidden], init: { kind: 'lecun', fanIn: hidden } },
        { name: `blocks.${l}.mlp.fc2.bias`, shape: [d], init: { kind: 'zeros' } },
      );
  }
  specs.push(
    { name: 'ln_final.weight', shape: [d], init: { kind: 'ones' } },
    { name: 'ln_final.bias', shape: [d], init: { kind: 'zeros' } },
    { name: 'unembed.weight', shape: [cfg.numLabels, d], init: { kind: 'lecun', fanIn: d } },
    { name: 'unembed.bias', shape: [cfg.numLabels], init: { kind: 'zeros' } },
  );
  return specs;
}

export interface ParamEntry {
  readonly spec: ParamSpec;
  readonly offset: number;
  readonly size: number;
  readonly value: Buf;
  readonly grad: Buf;
}

export class ParamStore {
  readonly specs: ParamSpec[];
  readonly total: number;
  readonly values: Buf;
  readonly grads: Buf;
  /** Adam first and second moments, same layout as `values`. */
  readonly m: Buf;
  readonly v: Buf;
  private readonly entries = new Map<string, ParamEntry>();

  /**
   * @param frozen parameters that never train (a graft donor): the forward exposes no gradient for them,
   *               so no gradient is computed into them at all.
   */
  constructor(
    readonly be: Backend,
    readonly config: ModelConfig,
    readonly frozen = false,
  ) {
    this.specs = paramSpecs(config);
    this.total = this.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    this.values = be.allocF(this.total);
    this.grads = be.allocF(this.total);
    this.m = be.allocF(this.total);
    this.v = be.allocF(this.total);
    let off = 0;
    for (const spec of this.specs) {
      const size = spec.shape.reduce((x, y) => x * y, 1);
      this.entries.set(spec.name, {
        spec,
        offset: off,
        size,
        value: be.slice(this.values, off, size),
        grad: be.slice(this.grads, off, size),
      });
      off += size;
    }
  }

  get(name: string): ParamEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`unknown parameter '${name}'`);
    return e;
  }

  list(): ParamEntry[] {
    return [...this.entries.values()];
  }

  /**
   * Spec 2.4: lecun_normal = N(0,1) truncated to ±2, rescaled to std 1/√fan_in; the label embedding is
   * 0.02 × truncated normal without the variance correction; LN gains 1, biases 0. Parameters are drawn
   * in declaration order from one stream seeded by the init seed.
   */
  init(seed: number): void {
    const rng = new Rng(seed);
    const host = new Float64Array(this.total);
    for (const e of this.entries.values()) {
      const init = e.spec.init;
      for (let i = 0; i < e.size; i++) {
        let x = 0;
        if (init.kind === 'lecun') x = (rng.truncatedNormal() / TRUNC_NORMAL_STD) * (1 / Math.sqrt(init.fanIn));
        else if (init.kind === 'label') x = 0.02 * rng.truncatedNormal();
        else if (init.kind === 'ones') x = 1;
        host[e.offset + i] = x;
      }
    }
    this.be.write(this.values, host);
    this.be.fill(this.m, 0, this.total);
    this.be.fill(this.v, 0, this.total);
    this.zeroGrads();
  }

  zeroGrads(): void {
    this.be.fill(this.grads, 0, this.total);
  }

  /** Host copy of a whole block (values by default), as float32 for checkpoints. */
  readBlock(which: 'values' | 'grads' | 'm' | 'v' = 'values'): Float32Array {
    return Float32Array.from(this.be.read(this[which]));
  }

  writeBlock(which: 'values' | 'm' | 'v', data: ArrayLike<number>): void {
    if (data.length !== this.total) throw new Error(`parameter block '${which}' has ${data.length} values, expected ${this.total}`);
    this.be.write(this[which], data);
  }
}
