/**
 * The paper's model (spec 2): a 2-layer, 8-head, attention-only pre-LN transformer with RoPE that reads
 * the 5-token few-shot sequence [x_1, l_1, x_2, l_2, x_q] and predicts the query's label at position 4.
 * Written once over the Backend interface; every activation passes through a named site.
 *
 * Two exact reformulations make the CPU path fast without changing any number the loss depends on:
 * - Exemplar embedding W_e x + b_e is computed once per distinct feature row (the distribution's item
 *   table: 50 rows in training instead of 96 tokens) and gathered per token, together with the label
 *   embedding rows.
 * - Block 0's LayerNorm and Q/K/V projections run on those distinct rows too, then are gathered.
 * - The last block computes queries, attention and outputs only at the query position (its keys and
 *   values still come from every position), unless `allPositions` asks for every row.
 *
 * Model variants (params.ts) keep both where they stay exact: the distinct-row path of block 0 needs the
 * embedding to be a row of the item table, so learned positions (added per position) switch it off; the
 * query-only last block holds with an MLP (it acts per row) and with any positions.
 *
 * Interventions (spec 4) plug in as passes: `tracePass` runs the whole forward once under a site hook;
 * multi-pass manipulations trace reference passes first and let the final pass's hook read their sites.
 */
import type { Buf } from './backend.js';
import type { SequenceBatch } from './data/types.js';
import { Graph, type Program, type Value } from './graph.js';
import * as op from './ops.js';
import { headDimOf, mlpHiddenOf, positionsOf, type ModelConfig, type ParamStore } from './params.js';

/** Tokens per sequence (spec 1.5): exemplar, label, exemplar, label, query exemplar. */
export const SEQ_LEN = 5;
/** The query position, whose logits are the prediction. */
export const QUERY_POS = 4;

export interface BuildOptions {
  /** Sequences per forward. */
  batch: number;
  /**
   * Tokens per sequence, the last one the query (default SEQ_LEN, the paper's layout). Any other length
   * reads batches in the general layout (`SequenceBatch.layout`, the tasks of data/tasks/).
   */
  seqLen?: number;
  /** Rows in the item table (distinct feature vectors of the distribution). */
  nItems: number;
  /** Allocate gradients and allow backward(). */
  training: boolean;
  /** Compute the last block at every position (analyses); the default computes the query row only. */
  allPositions?: boolean;
  /** The passes to trace, last one final (compileInterventions.ts makes them); default one plain pass. */
  passes?: PassPlan[];
  /** Sites to keep computable for `program.read` (default none: training keeps only what the loss needs). */
  keep?: 'all' | readonly string[];
}

/** Inputs every pass reads, written by `setFeatures` / `setBatch`. */
export interface ModelInputs {
  readonly B: number;
  readonly T: number;
  readonly nItems: number;
  /** [nItems, featureDim] the distribution's distinct feature rows. */
  readonly features: Buf;
  /** int32 [B·T]: rows of the embedding table [item embeddings; label embeddings] per token. */
  readonly tokens: Buf;
  /** int32 [B]: the query's label. */
  readonly targets: Buf;
  /** int32 [B]: b·T + T − 1 (QUERY_POS in the paper's layout), the query rows of a [B·T, ·] tensor. */
  readonly queryRows: Buf;
  /** RoPE tables (positions 'rope' only). */
  readonly rope: { cos: Buf; sin: Buf } | null;
  /** int32 [B·T]: each token's position t (learned positions only), the rows of `embed.pos.weight`. */
  readonly positions: Buf | null;
}

/** What one traced pass exposes to later passes (sites by their unprefixed names). */
export interface PassResult {
  readonly sites: ReadonlyMap<string, Value>;
  /** Query logits [B, L]. */
  readonly queryLogits: Value;
}

/** Context handed to intervention hooks while a pass is traced. */
export interface PassContext {
  readonly g: Graph;
  readonly inputs: ModelInputs;
  readonly config: ModelConfig;
  readonly allPositions: boolean;
  /** Results of the passes traced before this one, by pass name. */
  readonly passes: ReadonlyMap<string, PassResult>;
  /** A site already traced in the current pass (by unprefixed name). */
  current(site: string): Value;
  /** Register a refresh of batch-dependent constants (e.g. the match clamp's target-aware pattern). */
  onBatch(fn: (batch: SequenceBatch) => void): void;
  /** The item table [nItems, featureDim] last written by `setFeatures` (host copy, for clamps that read inputs). */
  features(): Float32Array;
}

export interface PassPlan {
  /** '' for the final pass; reference passes name their sites `<name>/<site>`. */
  name: string;
  /** Parameters of this pass (a frozen graft donor); default the trained model's. */
  params?: ParamStore;
  hook?: (site: string, value: Value, ctx: PassContext) => Value;
}

export interface ModelProgram {
  readonly program: Program;
  readonly config: ModelConfig;
  readonly batch: number;
  readonly nItems: number;
  /** Query logits [B, L] of the final pass. */
  readonly queryLogits: Value;
  /** Mean query cross-entropy [1]. */
  readonly loss: Value;
  /** Per-sequence query loss [B] and probabilities [B, L]. */
  readonly rowLoss: Buf;
  readonly probs: Buf;
  /** Write the item table [nItems, featureDim]. */
  setFeatures(features: Float32Array): void;
  /** Write tokens, targets and batch-dependent clamp constants of a batch (same size as `batch`). */
  setBatch(batch: SequenceBatch): void;
}

export function buildModel(params: ParamStore, opts: BuildOptions): ModelProgram {
  const cfg = params.config;
  const be = params.be;
  const { batch: B, nItems } = opts;
  const T = opts.seqLen ?? SEQ_LEN;
  if (!Number.isInteger(T) || T < 2) throw new Error(`seqLen must be an integer >= 2, got ${T}`);
  const H = cfg.nHeads;
  const D = headDimOf(cfg);
  const pos = positionsOf(cfg);
  if (!Number.isInteger(D) || D < 1 || (pos === 'rope' && D % 2 !== 0))
    throw new Error(cfg.headDim === undefined ? `dModel ${cfg.dModel} / nHeads ${H} must be an even integer head size` : `headDim ${D} must be ${pos === 'rope' ? 'an even' : 'a positive'} integer`);
  if (pos === 'learned' && T > (cfg.ctx ?? 0)) throw new Error(`${T}-token sequences exceed the ${cfg.ctx ?? 0} learned positions (model ctx)`);
  const g = new Graph(be, { training: opts.training });

  const inputs: ModelInputs = {
    B,
    T,
    nItems,
    features: be.allocF(nItems * cfg.featureDim),
    tokens: be.allocI32(B * T),
    targets: be.allocI32(B),
    queryRows: be.allocI32(B),
    rope: pos === 'rope' ? op.ropeTables(g, T, D, cfg.ropeBase) : null,
    positions: pos === 'learned' ? be.allocI32(B * T) : null,
  };
  be.write(inputs.queryRows, Int32Array.from({ length: B }, (_, b) => b * T + T - 1));
  if (inputs.positions) be.write(inputs.positions, Int32Array.from({ length: B * T }, (_, i) => i % T));

  const batchHooks: ((sb: SequenceBatch) => void)[] = [];
  let hostFeatures = new Float32Array(nItems * cfg.featureDim);
  const passes = new Map<string, PassResult>();
  const plans = opts.passes ?? [{ name: '' }];
  if (plans[plans.length - 1].name !== '') throw new Error('the last pass must be the final pass (name "")');
  let final: PassResult | null = null;
  for (const plan of plans) {
    const prefix = plan.name ? `${plan.name}/` : '';
    const ctx: PassContext = {
      g,
      inputs,
      config: cfg,
      allPositions: !!opts.allPositions,
      passes,
      current: (site) => {
        const v = g.sites.get(prefix + site);
        if (!v) throw new Error(`site '${site}' not traced yet in pass '${plan.name}'`);
        return v;
      },
      onBatch: (fn) => batchHooks.push(fn),
      features: () => hostFeatures,
    };
    const hook = plan.hook ? (site: string, v: Value) => plan.hook!(site, v, ctx) : undefined;
    const result = g.inPass(prefix, hook, () => tracePass(g, plan.params ?? params, inputs, !!opts.allPositions));
    passes.set(plan.name, result);
    final = result;
  }

  const ce = op.crossEntropyMean(g, final!.queryLogits, inputs.targets);
  const keep =
    opts.keep === 'all'
      ? 'all'
      : (opts.keep ?? []).map((name) => {
          const v = g.sites.get(name);
          if (!v) throw new Error(`keep: unknown site '${name}'`);
          return v;
        });
  const program = g.compile(ce.loss, keep);

  const tokHost = new Int32Array(B * T);
  return {
    program,
    config: cfg,
    batch: B,
    nItems,
    queryLogits: final!.queryLogits,
    loss: ce.loss,
    rowLoss: ce.rowLoss,
    probs: ce.probs,
    setFeatures(data) {
      if (data.length !== nItems * cfg.featureDim)
        throw new Error(`item table has ${data.length} floats, expected ${nItems}×${cfg.featureDim}`);
      be.write(inputs.features, data);
      hostFeatures = Float32Array.from(data);
    },
    setBatch(sb) {
      if (sb.size !== B) throw new Error(`batch of ${sb.size} sequences for a program built for ${B}`);
      if (sb.layout) {
        if (sb.layout.seqLen !== T) throw new Error(`batch of ${sb.layout.seqLen}-token sequences for a program built for ${T}`);
        const tk = sb.layout.tokens;
        for (let i = 0; i < B * T; i++) tokHost[i] = tk[i] >= 0 ? tk[i] : nItems - 1 - tk[i];
      } else if (T !== SEQ_LEN) {
        throw new Error(`a ${T}-token program needs batches in the general token layout`);
      } else for (let b = 0; b < B; b++) {
        const o = b * T;
        tokHost[o] = sb.item[b * 3];
        tokHost[o + 1] = nItems + sb.contextLabel[b * 2];
        tokHost[o + 2] = sb.item[b * 3 + 1];
        tokHost[o + 3] = nItems + sb.contextLabel[b * 2 + 1];
        tokHost[o + 4] = sb.item[b * 3 + 2];
      }
      be.write(inputs.tokens, tokHost);
      be.write(inputs.targets, sb.target);
      for (const fn of batchHooks) fn(sb);
    },
  };
}

/** A parameter tensor (or a slice of one) as a graph value; frozen stores (graft donors) carry no gradient. */
type ParamGetter = (name: string, offset?: number, shape?: number[]) => Value;

function paramGetter(g: Graph, params: ParamStore): ParamGetter {
  return (name, offset = 0, shape) => {
    const e = params.get(name);
    const s = shape ?? e.spec.shape;
    const n = s.reduce((a, b) => a * b, 1);
    return g.wrap(g.be.slice(e.value, offset, n), s, params.frozen ? null : g.be.slice(e.grad, offset, n));
  };
}

/** One forward of the model (spec 2.2) under the graph's current pass (its site prefix and hook). */
export function tracePass(g: Graph, params: ParamStore, inp: ModelInputs, allPositions: boolean): PassResult {
  const cfg = params.config;
  const P = paramGetter(g, params);
  const before = new Set(g.sites.keys());

  const { table, h0 } = embedding(g, P, inp, cfg);
  let h = g.site('embed', h0); // [B·T, d]
  // Unless an intervention replaced the embedding or positions were added to it, block 0 reads rows of
  // `table` only (distinctRows).
  const rows = h === h0 && !inp.positions ? table : null;
  for (let l = 0; l < cfg.nLayers; l++) {
    const queryOnly = l === cfg.nLayers - 1 && !allPositions;
    h = attentionBlock(g, P, inp, cfg, l, h, { queryOnly, rows: l === 0 ? rows : null });
    if (mlpHiddenOf(cfg) > 0) h = mlpBlock(g, P, cfg, l, h);
  }
  const logits = unembedding(g, P, cfg, h); // [B·Tq, L]
  const queryLogits = allPositions ? op.gatherRows(g, logits, inp.queryRows, inp.B) : logits; // [B, L]

  // This pass's sites by unprefixed name, for later passes' hooks.
  const sites = new Map<string, Value>();
  for (const [name, v] of g.sites) if (!before.has(name)) sites.set(name.slice(name.indexOf('/') + 1), v);
  return { sites, queryLogits };
}

/**
 * Token embedding: the item table's exemplar embedding W_e x + b_e [nItems, d] stacked over the label
 * embedding rows [L, d], gathered to tokens [B·T, d]. The exemplar embedding runs once per distinct
 * feature row (reformulation 1 of the module docstring).
 */
function embedding(g: Graph, P: ParamGetter, inp: ModelInputs, cfg: ModelConfig): { table: Value; h0: Value } {
  const x = g.wrap(inp.features, [inp.nItems, cfg.featureDim], null); // [nItems, F]
  const itemEmb = op.linear(g, x, P('embed.exemplar.weight'), P('embed.exemplar.bias')); // [nItems, d]
  const table = op.concatRows(g, itemEmb, P('embed.label.weight')); // [nItems + L, d]
  const tok = op.gatherRows(g, table, inp.tokens, inp.B * inp.T); // [B·T, d]
  if (!inp.positions) return { table, h0: tok };
  // Learned absolute positions: row t of embed.pos.weight added at position t (its gradient scatters back).
  return { table, h0: op.add(g, tok, op.gatherRows(g, P('embed.pos.weight'), inp.positions, inp.B * inp.T)) };
}

/**
 * One pre-LN attention block: h + W_O · softmax(RoPE(q)·RoPE(k)ᵀ/√D + causal) · v, with q, k, v from
 * LN(h). `queryOnly` computes queries and outputs at the query row only (reformulation 3: the loss reads
 * nothing else); `rows`, when every input row is a row of that table, runs LN and the projections on the
 * distinct rows (reformulation 2). Both give the numbers of the plain path (model.test.ts checks it).
 */
function attentionBlock(g: Graph, P: ParamGetter, inp: ModelInputs, cfg: ModelConfig, l: number, h: Value, o: { queryOnly: boolean; rows: Value | null }): Value {
  const { B, T, tokens, queryRows, rope } = inp;
  const d = cfg.dModel;
  const H = cfg.nHeads;
  const D = headDimOf(cfg);
  const a = H * D; // attention width (d for the paper's head size)
  const Tq = o.queryOnly ? 1 : T;
  const qPos0 = o.queryOnly ? T - 1 : 0;
  const dims: op.AttnDims = { Bn: B, H, Tq, Tk: T, D, qPos0 };
  const pre = `blocks.${l}`;
  const [Wq, Wk, Wv] = [0, 1, 2].map((i) => P(`${pre}.attn.qkv.weight`, i * a * d, [a, d])); // [a, d] each
  const { q, k, v } = projections(g, o.rows, h, tokens, queryRows, B * T, o.queryOnly ? B : B * T, pre, (z) => op.layerNorm(g, z, P(`${pre}.ln1.weight`), P(`${pre}.ln1.bias`), cfg.lnEps), { Wq, Wk, Wv });
  // Without RoPE the rotated sites are q and k themselves (sites.ts), so every variant has the same sites.
  const qr = g.site(`${pre}.attn.q_rot`, rope ? op.rope(g, q, o.queryOnly ? 0 : T, qPos0, rope, D) : q); // [B·Tq, a]
  const kr = g.site(`${pre}.attn.k_rot`, rope ? op.rope(g, k, T, 0, rope, D) : k); // [B·T, a]
  const S = g.site(`${pre}.attn.scores`, op.attnScores(g, qr, kr, dims)); // [B, H, Tq, T]
  const A = g.site(`${pre}.attn.pattern`, op.softmax(g, S)); // [B, H, Tq, T]
  const heads = g.site(`${pre}.attn.head_out`, op.attnApply(g, A, v, dims)); // [B, Tq, H·D]
  const out = g.site(`${pre}.attn.attn_out`, op.linear(g, heads, P(`${pre}.attn.out.weight`), null)); // [B·Tq, d]
  const resid = o.queryOnly ? op.gatherRows(g, h, queryRows, B) : h; // [B·Tq, d]
  const sum = op.add(g, resid, out); // [B·Tq, d]
  // With an MLP the attention sublayer's output is `resid_mid` (named in mlpBlock); resid_post follows the MLP.
  return mlpHiddenOf(cfg) > 0 ? sum : g.site(`${pre}.resid_post`, sum);
}

/**
 * The MLP sublayer of block l (pre-LN, GELU): h + W₂·GELU(W₁·LN₂(h) + b₁) + b₂, on whatever rows h holds
 * (the query rows only after a query-only attention block: the MLP acts per row, so that stays exact).
 */
function mlpBlock(g: Graph, P: ParamGetter, cfg: ModelConfig, l: number, h: Value): Value {
  const pre = `blocks.${l}`;
  const mid = g.site(`${pre}.resid_mid`, h); // [rows, d]
  const z = g.site(`${pre}.ln2`, op.layerNorm(g, mid, P(`${pre}.ln2.weight`), P(`${pre}.ln2.bias`), cfg.lnEps));
  const u = g.site(`${pre}.mlp.pre`, op.linear(g, z, P(`${pre}.mlp.fc1.weight`), P(`${pre}.mlp.fc1.bias`))); // [rows, hidden]
  const out = g.site(`${pre}.mlp.post`, op.linear(g, op.gelu(g, u), P(`${pre}.mlp.fc2.weight`), P(`${pre}.mlp.fc2.bias`))); // [rows, d]
  return g.site(`${pre}.resid_post`, op.add(g, mid, out));
}

/**
 * The one place of the exact reformulations of LN + Q/K/V: with `rows` (a table whose rows `tokens`
 * gathers into h), LN and the three projections run on the table's distinct rows and are gathered to
 * tokens (~3× fewer FLOPs in block 0's largest matmuls); without, they run on h, the queries only at
 * `queryRows` when `nq` is B. The sites are the same either way (`ln1` recorded, not differentiated,
 * on the distinct-row path).
 */
function projections(
  g: Graph,
  rows: Value | null,
  h: Value,
  tokens: Buf,
  queryRows: Buf,
  n: number,
  nq: number,
  pre: string,
  ln: (z: Value) => Value,
  W: { Wq: Value; Wk: Value; Wv: Value },
): { q: Value; k: Value; v: Value } {
  if (rows) {
    const zt = ln(rows); // [nItems + L, d]
    g.recordSite(`${pre}.ln1`, op.gatherRows(g, zt, tokens, n, { detached: true })); // record-only
    const proj = (Wx: Value) => op.gatherRows(g, op.linear(g, zt, Wx, null), tokens, n); // [B·T, d]
    // A 1-layer model's only block is also the query-only last block: its queries are the query rows.
    const q = nq === n ? proj(W.Wq) : op.gatherRows(g, proj(W.Wq), queryRows, nq);
    return { q: g.site(`${pre}.attn.q`, q), k: g.site(`${pre}.attn.k`, proj(W.Wk)), v: g.site(`${pre}.attn.v`, proj(W.Wv)) };
  }
  const z = g.site(`${pre}.ln1`, ln(h)); // [B·T, d]
  const zq = nq === n ? z : op.gatherRows(g, z, queryRows, nq); // [B·Tq, d]
  return {
    q: g.site(`${pre}.attn.q`, op.linear(g, zq, W.Wq, null)), // [B·Tq, d]
    k: g.site(`${pre}.attn.k`, op.linear(g, z, W.Wk, null)), // [B·T, d]
    v: g.site(`${pre}.attn.v`, op.linear(g, z, W.Wv, null)), // [B·T, d]
  };
}

/** Final LayerNorm and unembedding: logits [B·Tq, L]. */
function unembedding(g: Graph, P: ParamGetter, cfg: ModelConfig, h: Value): Value {
  const f = g.site('ln_final', op.layerNorm(g, h, P('ln_final.weight'), P('ln_final.bias'), cfg.lnEps)); // [B·Tq, d]
  return g.site('logits', op.linear(g, f, P('unembed.weight'), P('unembed.bias'))); // [B·Tq, L]
}
