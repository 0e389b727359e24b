/**
 * Compile an intervention spec into the passes of spec 4.1: reference passes whose activations fill an
 * override cache, then a final pass whose site hooks substitute them (`where(mask, clamp, computed)`,
 * spec 2.6). There is no stop-gradient anywhere: a substituted value computed from the parameters in a
 * reference pass carries gradient back through that pass; constants carry none; the computed value gets
 * no gradient where it is replaced. Within the final pass, preservations apply first, then clamps, then
 * ablations (ablations take precedence, spec 4.1).
 *
 * Pass plans by manipulation:
 * - ablate, prevToken, match: the final pass only (single pass).
 * - preserve: a `clean` pass with no manipulation; the final pass takes its patterns and/or values.
 * - perfectCopy: the query logits are replaced by the head's pre-softmax scores to the two label tokens
 *   (others −1e9). Read from the same pass: identical to the paper's clean pass 1 whenever no other
 *   manipulation is upstream of those scores, and the natural composition when one is.
 * - perfectLayer1: a `shifted` pass whose layer-0 output is the shifted embedding [E0, E0, E1, E2, E4]
 *   gives the layer-1 patterns; the final pass has layer-0 output E and those patterns. With perfectCopy,
 *   the logits come from the shifted pass's scores (4.8).
 * - graft: a `donor` pass over the frozen donor's parameters; the final pass takes its residual stream
 *   after layer `tillLayer`.
 * Dead-code elimination (graph.ts) removes whatever a replaced activation made unnecessary.
 */
import type { Buf } from '../backend.js';
import type { Value } from '../graph.js';
import type { PassContext, PassPlan } from '../model.js';
import { QUERY_POS } from '../model.js';
import * as op from '../ops.js';
import { ParamStore } from '../params.js';
import { InterventionError, isEmptySpec, parseHead, type Head, type InterventionSpec } from './spec.js';

const NEG = -1e9;

export interface PassOptions {
  /**
   * Loads a graft donor named by `graft.checkpoint` (4.9). Reading checkpoints needs the filesystem, so the
   * Node entry (`compile.ts`) supplies it; without one a graft spec is refused with a message.
   */
  loadDonor?: (checkpoint: string, params: ParamStore) => ParamStore;
}

/** Passes for `spec` on the model with parameters `params` (donors load on the same backend). */
export function compilePasses(spec: InterventionSpec, params: ParamStore, opts: PassOptions = {}): PassPlan[] {
  if (isEmptySpec(spec)) return [{ name: '' }];
  const plans: PassPlan[] = [];
  const ablate = spec.ablate.map(parseHead);
  const prevToken = (spec.prevToken?.heads ?? []).map(parseHead);
  const match = (spec.match?.heads ?? []).map(parseHead);
  const copyHead = spec.perfectCopy ? parseHead(spec.perfectCopy.head) : null;

  if (spec.preserve?.patterns || spec.preserve?.values) plans.push({ name: 'clean' });
  if (spec.perfectLayer1)
    plans.push({
      name: 'shifted',
      hook: (site, v, ctx) => (site === 'blocks.0.resid_post' ? shiftedEmbedding(ctx) : v),
    });
  if (spec.graft) {
    if (!opts.loadDonor) throw new InterventionError(`graft.checkpoint: grafting needs a checkpoint file, which can only be read where the engine has a filesystem (Node), not in a page`);
    const donor = opts.loadDonor(spec.graft.checkpoint, params);
    plans.push({ name: 'donor', params: donor });
  }

  plans.push({
    name: '',
    hook: (site, v, ctx) => {
      const m = /^blocks\.(\d+)\.(.+)$/.exec(site);
      const layer = m ? Number(m[1]) : -1;
      const rest = m ? m[2] : site;
      let out = v;
      if (spec.perfectLayer1 && site === 'embed') out = ctx.passes.get('shifted')!.sites.get('embed')!; // share one embedding
      if (spec.perfectLayer1 && site === 'blocks.0.resid_post') out = ctx.current('embed');
      if (spec.perfectLayer1 && layer >= 1 && rest === 'attn.pattern') out = ctx.passes.get('shifted')!.sites.get(site)!;
      if (spec.graft && site === `blocks.${spec.graft.tillLayer}.resid_post`) out = ctx.passes.get('donor')!.sites.get(site)!;
      if (spec.preserve?.patterns && rest === 'attn.pattern') out = ctx.passes.get('clean')!.sites.get(site)!;
      if (spec.preserve?.values && rest === 'attn.v') out = ctx.passes.get('clean')!.sites.get(site)!;
      if (rest === 'attn.pattern') {
        const pt = prevToken.filter((h) => h.layer === layer);
        if (pt.length) out = clampPrevToken(ctx, out, pt, spec.prevToken!.strength);
        const mt = match.filter((h) => h.layer === layer);
        if (mt.length) out = clampMatch(ctx, out, mt, spec.match!.strength);
      }
      if (rest === 'attn.v') {
        const ab = ablate.filter((h) => h.layer === layer);
        if (ab.length) out = ablateHeads(ctx, out, ab);
      }
      if (copyHead && site === 'logits') {
        const scoresSite = `blocks.${copyHead.layer}.attn.scores`;
        const scores = spec.perfectLayer1 ? ctx.passes.get('shifted')!.sites.get(scoresSite)! : ctx.current(scoresSite);
        out = perfectCopy(ctx, out, scores, copyHead);
      }
      return out;
    },
  });
  return plans;
}

/** A constant (no-gradient) value filled with `fill`. */
function constant(ctx: PassContext, shape: readonly number[], fill = 0): { value: Value; buf: Buf } {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = ctx.g.be.allocF(n);
  if (fill !== 0) ctx.g.be.fill(buf, fill, n);
  return { value: ctx.g.wrap(buf, shape, null), buf };
}

function mask(ctx: PassContext, n: number, set: (i: number) => boolean): Buf {
  const host = new Uint8Array(n);
  for (let i = 0; i < n; i++) host[i] = set(i) ? 1 : 0;
  const buf = ctx.g.be.allocU8(n);
  ctx.g.be.write(buf, host);
  return buf;
}

/** Pattern tensor geometry [B, H, Tq, T]; row i is absolute position qPos0 + i. */
function patternDims(v: Value) {
  const [B, H, Tq, T] = v.shape;
  return { B, H, Tq, T, qPos0: T - Tq };
}

/** 4.2: the listed heads' values are 0 at every position, so they contribute nothing. */
function ablateHeads(ctx: PassContext, v: Value, heads: Head[]): Value {
  const d = v.shape[v.shape.length - 1];
  const D = d / ctx.config.nHeads;
  const cols = new Set(heads.flatMap((h) => Array.from({ length: D }, (_, k) => h.head * D + k)));
  return op.where(ctx.g, mask(ctx, v.size, (i) => cols.has(i % d)), constant(ctx, v.shape).value, v);
}

/** 4.4: every query row t of the listed heads attends to t−1 with weight s and to itself with 1−s. */
function clampPrevToken(ctx: PassContext, A: Value, heads: Head[], s: number): Value {
  const { H, Tq, T, qPos0 } = patternDims(A);
  const hs = new Set(heads.map((h) => h.head));
  const c = constant(ctx, A.shape);
  const host = new Float64Array(A.size);
  for (let i = 0; i < A.size; i++) {
    const j = i % T;
    const t = qPos0 + (Math.floor(i / T) % Tq);
    host[i] = t === 0 ? (j === 0 ? 1 : 0) : j === t - 1 ? s : j === t ? 1 - s : 0;
  }
  ctx.g.be.write(c.buf, host);
  return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(Math.floor(i / (Tq * T)) % H)), c.value, A);
}

/**
 * 4.5: the query row of the listed heads becomes [0, w1, 0, w2, 0] with w_j = s if label j is the
 * target, else 1 − s. Batch-dependent (it uses the ground truth), refreshed by setBatch.
 */
function clampMatch(ctx: PassContext, A: Value, heads: Head[], s: number): Value {
  const { B, H, Tq, T, qPos0 } = patternDims(A);
  const row = QUERY_POS - qPos0;
  const hs = new Set(heads.map((h) => h.head));
  const c = constant(ctx, A.shape);
  const host = new Float64Array(A.size);
  ctx.onBatch((sb) => {
    for (let b = 0; b < B; b++)
      for (const h of hs) {
        const o = ((b * H + h) * Tq + row) * T;
        host[o + 1] = sb.contextLabel[2 * b] === sb.target[b] ? s : 1 - s;
        host[o + 3] = sb.contextLabel[2 * b + 1] === sb.target[b] ? s : 1 - s;
      }
    ctx.g.be.write(c.buf, host);
  });
  return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(Math.floor(i / (Tq * T)) % H) && Math.floor(i / T) % Tq === row), c.value, A);
}

/**
 * 4.6: the query logits become logit[l_1] = S_h[4,1], logit[l_2] = S_h[4,3], every other label −1e9,
 * a gather from [computed logits; scores; −1e9] with batch-dependent indices. Rows other than the query
 * (when all positions are computed) keep their computed logits.
 */
function perfectCopy(ctx: PassContext, logits: Value, scores: Value, head: Head): Value {
  const g = ctx.g;
  const L = logits.shape[1];
  const rows = logits.shape[0];
  const { B, H, Tq, T, qPos0 } = patternDims(scores);
  const qRow = QUERY_POS - qPos0;
  const perSeq = rows / B; // 1 (query-only) or T (all positions)
  const nl = logits.size;
  const table = op.concatRows(g, op.concatRows(g, g.view(logits, [nl, 1]), g.view(scores, [scores.size, 1])), constant(ctx, [1, 1], NEG).value);
  const negRow = nl + scores.size;
  const idx = g.be.allocI32(nl);
  const host = Int32Array.from({ length: nl }, (_, i) => i);
  ctx.onBatch((sb) => {
    for (let b = 0; b < B; b++) {
      const r = b * perSeq + (perSeq === 1 ? 0 : QUERY_POS);
      for (let l = 0; l < L; l++) host[r * L + l] = negRow;
      const sBase = nl + ((b * H + head.head) * Tq + qRow) * T;
      host[r * L + sb.contextLabel[2 * b]] = sBase + 1;
      host[r * L + sb.contextLabel[2 * b + 1]] = sBase + 3;
    }
    g.be.write(idx, host);
  });
  return g.view(op.gatherRows(g, table, idx, nl), logits.shape);
}

/** 4.7: the residual after layer 0 becomes [E0, E0, E1, E2, E4]: label tokens see the preceding exemplar. */
function shiftedEmbedding(ctx: PassContext): Value {
  const { B, T } = ctx.inputs;
  const shift = [0, 0, 1, 2, 4];
  const idx = ctx.g.be.allocI32(B * T);
  ctx.g.be.write(idx, Int32Array.from({ length: B * T }, (_, i) => Math.floor(i / T) * T + shift[i % T]));
  return op.gatherRows(ctx.g, ctx.current('embed'), idx, B * T);
}

