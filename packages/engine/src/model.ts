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
 */
import type { Buf } from './backend.js';
import type { SequenceBatch } from './data/types.js';
import { Graph, type Program, type SiteHook, type Value } from './graph.js';
import * as op from './ops.js';
import type { ModelConfig, ParamStore } from './params.js';

/** Tokens per sequence (spec 1.5): exemplar, label, exemplar, label, query exemplar. */
export const SEQ_LEN = 5;
/** The query position, whose logits are the prediction. */
export const QUERY_POS = 4;

export interface BuildOptions {
  /** Sequences per forward. */
  batch: number;
  /** Rows in the item table (distinct feature vectors of the distribution). */
  nItems: number;
  /** Allocate gradients and allow backward(). */
  training: boolean;
  /** Compute the last block at every position (analyses); the default computes the query row only. */
  allPositions?: boolean;
  /** Intervention hook (clamps), applied at every site. */
  hook?: SiteHook;
}

export interface ModelProgram {
  readonly program: Program;
  readonly config: ModelConfig;
  readonly batch: number;
  readonly nItems: number;
  /** Query logits [B, L]. */
  readonly queryLogits: Value;
  /** Mean query cross-entropy [1]. */
  readonly loss: Value;
  /** Per-sequence query loss [B] and probabilities [B, L]. */
  readonly rowLoss: Buf;
  readonly probs: Buf;
  /** Write the item table [nItems, featureDim]. */
  setFeatures(features: Float32Array): void;
  /** Write tokens and targets of a batch (same size as `batch`). */
  setBatch(batch: SequenceBatch): void;
}

export function buildModel(params: ParamStore, opts: BuildOptions): ModelProgram {
  const cfg = params.config;
  const be = params.be;
  const { batch: B, nItems } = opts;
  const T = SEQ_LEN;
  const d = cfg.dModel;
  const H = cfg.nHeads;
  const D = d / H;
  if (!Number.isInteger(D) || D % 2 !== 0) throw new Error(`dModel ${d} / nHeads ${H} must be an even integer head size`);
  const g = new Graph(be, { training: opts.training, hook: opts.hook });
  const P = (name: string, offset = 0, shape?: number[]): Value => {
    const e = params.get(name);
    const s = shape ?? e.spec.shape;
    const n = s.reduce((a, b) => a * b, 1);
    return g.wrap(be.slice(e.value, offset, n), s, be.slice(e.grad, offset, n));
  };

  // Inputs, written by setFeatures / setBatch.
  const features = be.allocF(nItems * cfg.featureDim);
  const tokens = be.allocI32(B * T); // rows of [item embeddings; label embeddings]
  const targets = be.allocI32(B);
  const queryRows = be.allocI32(B); // b·T + QUERY_POS
  be.write(queryRows, Int32Array.from({ length: B }, (_, b) => b * T + QUERY_POS));
  const rope = op.ropeTables(g, T, D, cfg.ropeBase);

  // Embedding: item table [nItems, d] stacked over label rows [L, d], gathered to tokens [B·T, d].
  const x = g.wrap(features, [nItems, cfg.featureDim], null);
  const itemEmb = op.linear(g, x, P('embed.exemplar.weight'), P('embed.exemplar.bias')); // [nItems, d]
  const table = op.concatRows(g, itemEmb, P('embed.label.weight')); // [nItems + L, d]
  const h0 = op.gatherRows(g, table, tokens, B * T); // [B·T, d]
  let h = g.site('embed', h0);
  // Every block-0 input row is a row of `table` (unless an intervention replaced the embedding), so block
  // 0's LayerNorm and Q/K/V projections run on the nItems + L distinct rows and are gathered to tokens:
  // the same numbers with ~3× fewer FLOPs in the largest per-token matmuls.
  const dedupBlock0 = h === h0;

  for (let l = 0; l < cfg.nLayers; l++) {
    const last = l === cfg.nLayers - 1;
    const queryOnly = last && !opts.allPositions;
    const Tq = queryOnly ? 1 : T;
    const qPos0 = queryOnly ? QUERY_POS : 0;
    const dims: op.AttnDims = { Bn: B, H, Tq, Tk: T, D, qPos0 };
    const pre = `blocks.${l}`;
    const qkv = `${pre}.attn.qkv.weight`;
    const [Wq, Wk, Wv] = [0, 1, 2].map((i) => P(qkv, i * d * d, [d, d]));
    const lnGain = P(`${pre}.ln1.weight`);
    const lnBias = P(`${pre}.ln1.bias`);

    let q: Value, k: Value, v: Value;
    if (l === 0 && dedupBlock0) {
      const zt = op.layerNorm(g, table, lnGain, lnBias, cfg.lnEps); // [nItems + L, d]
      g.recordSite(`${pre}.ln1`, op.gatherRows(g, zt, tokens, B * T, { detached: true })); // record-only
      q = g.site(`${pre}.attn.q`, op.gatherRows(g, op.linear(g, zt, Wq, null), tokens, B * T)); // [B·T, d]
      k = g.site(`${pre}.attn.k`, op.gatherRows(g, op.linear(g, zt, Wk, null), tokens, B * T));
      v = g.site(`${pre}.attn.v`, op.gatherRows(g, op.linear(g, zt, Wv, null), tokens, B * T));
    } else {
      const z = g.site(`${pre}.ln1`, op.layerNorm(g, h, lnGain, lnBias, cfg.lnEps)); // [B·T, d]
      const zq = queryOnly ? op.gatherRows(g, z, queryRows, B) : z; // [B·Tq, d]
      q = g.site(`${pre}.attn.q`, op.linear(g, zq, Wq, null)); // [B·Tq, d]
      k = g.site(`${pre}.attn.k`, op.linear(g, z, Wk, null)); // [B·T, d]
      v = g.site(`${pre}.attn.v`, op.linear(g, z, Wv, null)); // [B·T, d]
    }
    const qr = g.site(`${pre}.attn.q_rot`, op.rope(g, q, queryOnly ? 0 : T, qPos0, rope, D));
    const kr = g.site(`${pre}.attn.k_rot`, op.rope(g, k, T, 0, rope, D));
    const S = g.site(`${pre}.attn.scores`, op.attnScores(g, qr, kr, dims)); // [B, H, Tq, T]
    const A = g.site(`${pre}.attn.pattern`, op.softmax(g, S)); // [B, H, Tq, T]
    const heads = g.site(`${pre}.attn.head_out`, op.attnApply(g, A, v, dims)); // [B, Tq, H·D]
    const out = g.site(`${pre}.attn.attn_out`, op.linear(g, heads, P(`${pre}.attn.out.weight`), null)); // [B·Tq, d]
    const resid = queryOnly ? op.gatherRows(g, h, queryRows, B) : h;
    h = g.site(`${pre}.resid_post`, op.add(g, resid, out)); // [B·Tq, d]
  }

  const f = g.site('ln_final', op.layerNorm(g, h, P('ln_final.weight'), P('ln_final.bias'), cfg.lnEps));
  const logits = g.site('logits', op.linear(g, f, P('unembed.weight'), P('unembed.bias'))); // [B·Tq, L]
  const queryLogits = opts.allPositions ? op.gatherRows(g, logits, queryRows, B) : logits; // [B, L]
  const ce = op.crossEntropyMean(g, queryLogits, targets);
  const program = g.compile(ce.loss);

  const tokHost = new Int32Array(B * T);
  return {
    program,
    config: cfg,
    batch: B,
    nItems,
    queryLogits,
    loss: ce.loss,
    rowLoss: ce.rowLoss,
    probs: ce.probs,
    setFeatures(data) {
      if (data.length !== nItems * cfg.featureDim)
        throw new Error(`item table has ${data.length} floats, expected ${nItems}×${cfg.featureDim}`);
      be.write(features, data);
    },
    setBatch(sb) {
      if (sb.size !== B) throw new Error(`batch of ${sb.size} sequences for a program built for ${B}`);
      for (let b = 0; b < B; b++) {
        const o = b * T;
        tokHost[o] = sb.item[b * 3];
        tokHost[o + 1] = nItems + sb.contextLabel[b * 2];
        tokHost[o + 2] = sb.item[b * 3 + 1];
        tokHost[o + 3] = nItems + sb.contextLabel[b * 2 + 1];
        tokHost[o + 4] = sb.item[b * 3 + 2];
      }
      be.write(tokens, tokHost);
      be.write(targets, sb.target);
    },
  };
}
