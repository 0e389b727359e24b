/**
 * Golden tests: every manipulation of spec section 4 on a 4-wide, two-head model with hand-set weights,
 * where the expected numbers can be written down.
 *
 * The trick that keeps it hand-computable: every embedding row is a ±1 vector with mean 0 and variance 1
 * (and LayerNorm eps is 0), so LayerNorm is the identity on them; attention weights are the identity or
 * zero (zero W_q, W_k give uniform causal attention). Items are the columns a, b, c of W_e (features are
 * one-hot), labels are the rows p, q, r. Two sequences:
 *   seq 0: items (0, 1, 0), labels (0, 1), target 0 (slot 0)  →  E = [a, p, b, q, a]
 *   seq 1: items (1, 2, 2), labels (2, 0), target 0 (slot 1)  →  E = [b, r, c, p, c]
 * Head h reads dimensions 2h, 2h+1 (head size 2: one RoPE pair with θ = 1, spec 2.3).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { allocBatch } from '../data/types.js';
import { ParamStore, type ModelConfig } from '../params.js';
import { paramTensors } from '../store/paramIO.js';
import { writeSafetensors } from '../store/safetensors.js';
import type { InterventionSpecInput } from './spec.js';
import { makeRig, prevTokenMatrix } from '../testing/clampRig.js';

const ref = createReferenceBackend();
const GOLD: ModelConfig = { dModel: 4, nHeads: 2, nLayers: 2, featureDim: 3, numLabels: 3, ropeBase: 10000, lnEps: 0 };
const T = 5;

type Vec = number[];
const a = [1, -1, 1, -1], b = [1, 1, -1, -1], c = [1, -1, -1, 1];
const p = [-1, 1, 1, -1], q = [-1, -1, 1, 1], r = [-1, 1, -1, 1];
const E = [
  [a, p, b, q, a],
  [b, r, c, p, c],
];
const I = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
const Z = I.map((row) => row.map(() => 0));

interface Layer {
  q: Vec[];
  k: Vec[];
  v: Vec[];
  o: Vec[];
}
const layer = (q: Vec[], k: Vec[], v: Vec[], o: Vec[]): Layer => ({ q, k, v, o });

function goldParams(o: { items?: Vec[]; labels?: Vec[]; l0: Layer; l1: Layer }): ParamStore {
  const ps = new ParamStore(ref, GOLD);
  const set = (name: string, vals: number[]) => ref.write(ps.get(name).value, vals);
  const items = o.items ?? [a, b, c];
  set('embed.exemplar.weight', [0, 1, 2, 3].flatMap((i) => items.map((col) => col[i]))); // W_e[i][j] = item j's row i
  set('embed.label.weight', (o.labels ?? [p, q, r]).flat());
  [o.l0, o.l1].forEach((l, i) => {
    set(`blocks.${i}.ln1.weight`, [1, 1, 1, 1]);
    set(`blocks.${i}.attn.qkv.weight`, [...l.q, ...l.k, ...l.v].flat());
    set(`blocks.${i}.attn.out.weight`, l.o.flat());
  });
  set('ln_final.weight', [1, 1, 1, 1]);
  set('unembed.weight', [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
  return ps;
}

function goldRig(params: ParamStore, spec: InterventionSpecInput, keep: string[], allPositions = true) {
  const rig = makeRig({ params, spec, keep, allPositions, training: false, B: 2, nItems: 3, features: Float32Array.from(I.slice(0, 3).flatMap((row) => row.slice(0, 3))) });
  const sb = allocBatch(2);
  sb.item.set([0, 1, 0, 1, 2, 2]);
  sb.contextLabel.set([0, 1, 2, 0]);
  sb.target.set([0, 0]);
  sb.querySlot.set([0, 1]);
  rig.setBatch(sb);
  rig.forward();
  return rig;
}

// --- Hand formulas (spec 2.2, 2.3), written independently of the engine. ---
const rot = (v: Vec, t: number): Vec => [v[0] * Math.cos(t) - v[1] * Math.sin(t), v[1] * Math.cos(t) + v[0] * Math.sin(t)];
const dot = (x: Vec, y: Vec) => x.reduce((s, xi, i) => s + xi * y[i], 0);
const slice = (v: Vec, h: number) => v.slice(2 * h, 2 * h + 2);
const softmax = (xs: number[]) => {
  const e = xs.map((x) => Math.exp(x));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
};
/** Causal attention of head h with W_q = W_k = I on stream X (already layer-normed): [T][T]. */
const pattern = (X: Vec[], h: number): number[][] =>
  X.map((_, t) => {
    const w = softmax(X.slice(0, t + 1).map((_, s) => dot(rot(slice(X[t], h), t), rot(slice(X[s], h), s)) / Math.SQRT2));
    return Array.from({ length: T }, (_, s) => (s <= t ? w[s] : 0));
  });
/** Head h's output rows Σ_s A[t,s] V[s] (W_v = I). */
const headOut = (A: number[][], V: Vec[], h: number): Vec[] => A.map((row) => [0, 1].map((k) => row.reduce((s, w, j) => s + w * slice(V[j], h)[k], 0)));
const uniform = Array.from({ length: T }, (_, t) => Array.from({ length: T }, (_, s) => (s <= t ? 1 / (t + 1) : 0)));
const cumMean = (X: Vec[]): Vec[] => X.map((_, t) => [0, 1, 2, 3].map((k) => X.slice(0, t + 1).reduce((s, x) => s + x[k], 0) / (t + 1)));
const add = (x: Vec, y: Vec) => x.map((v, i) => v + y[i]);
const ln = (x: Vec) => {
  const mu = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mu) ** 2, 0) / x.length);
  return x.map((v) => (v - mu) / sd);
};

/** [B, H, Tq, T] pattern → per sequence, per head, rows. */
const rows = (flat: ArrayLike<number>, Tq = T): number[][][][] =>
  [0, 1].map((bb) => [0, 1].map((h) => Array.from({ length: Tq }, (_, i) => Array.from({ length: T }, (_, j) => flat[((bb * 2 + h) * Tq + i) * T + j]))));
/** [B·Tq, 4] activation → per sequence, rows. */
const seqRows = (flat: ArrayLike<number>, Tq = T): Vec[][] => [0, 1].map((bb) => Array.from({ length: Tq }, (_, t) => Array.from(flat).slice((bb * Tq + t) * 4, (bb * Tq + t) * 4 + 4)));

function close(actual: unknown, expected: unknown, what: string, digits = 12): void {
  if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, what).toBe(expected.length);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, `${what}[${i}]`, digits));
  } else expect(actual as number, what).toBeCloseTo(expected as number, digits);
}

describe('golden: hand-computed manipulations on a 4-wide two-head model', () => {
  it('4.2 ablation of head 0:0 under uniform attention: its columns 0, the other head the running mean', () => {
    const rig = goldRig(goldParams({ l0: layer(Z, Z, I, I), l1: layer(Z, Z, I, I) }), { ablate: ['0:0'] }, ['blocks.0.attn.head_out', 'blocks.0.resid_post']);
    const expected = [
      [[0, 0, 1, -1], [0, 0, 1, -1], [0, 0, 1 / 3, -1], [0, 0, 0.5, -0.5], [0, 0, 0.6, -0.6]],
      [[0, 0, -1, -1], [0, 0, -1, 0], [0, 0, -1, 1 / 3], [0, 0, -0.5, 0], [0, 0, -0.6, 0.2]],
    ];
    close(seqRows(rig.read('blocks.0.attn.head_out')), expected, 'head_out', 14);
    close(seqRows(rig.read('blocks.0.resid_post')), expected.map((rs, bb) => rs.map((x, t) => add(x, E[bb][t]))), 'resid_post', 14);
  });

  it('4.4 previous-token clamp on 0:0 (s = 1 and 0.25): the pattern is P and the head copies the previous token', () => {
    const cases: [number, Vec[][]][] = [
      [1, [[[1, -1], [1, -1], [-1, 1], [1, 1], [-1, -1]], [[1, 1], [1, 1], [-1, 1], [1, -1], [-1, 1]]]],
      [0.25, [[[1, -1], [-0.5, 0.5], [0.5, 1], [-0.5, -0.5], [0.5, -1]], [[1, 1], [-0.5, 1], [0.5, -0.5], [-0.5, 0.5], [0.5, -0.5]]]],
    ];
    expect(prevTokenMatrix(0.25)).toEqual([[1, 0, 0, 0, 0], [0.25, 0.75, 0, 0, 0], [0, 0.25, 0.75, 0, 0], [0, 0, 0.25, 0.75, 0], [0, 0, 0, 0.25, 0.75]]);
    for (const [s, out0] of cases) {
      const rig = goldRig(goldParams({ l0: layer(I, I, I, I), l1: layer(Z, Z, I, I) }), { prevToken: { heads: ['0:0'], strength: s } }, ['blocks.0.attn.pattern', 'blocks.0.attn.head_out']);
      const A = rows(rig.read('blocks.0.attn.pattern'));
      const out = seqRows(rig.read('blocks.0.attn.head_out'));
      for (const bb of [0, 1]) {
        expect(A[bb][0]).toEqual(prevTokenMatrix(s));
        close(A[bb][1], pattern(E[bb], 1), `seq ${bb} unclamped head 1`);
        close(out[bb].map((x) => x.slice(0, 2)), out0[bb], `seq ${bb} head 0 output`, 14);
      }
    }
  });

  it('4.5 match clamp on 1:1 (s = 0.75): query row [0, s, 0, 1−s, 0] or its mirror by target slot; other rows uniform', () => {
    const rig = goldRig(goldParams({ l0: layer(I, I, I, Z), l1: layer(Z, Z, I, I) }), { match: { heads: ['1:1'], strength: 0.75 } }, ['blocks.1.attn.pattern', 'blocks.1.attn.head_out']);
    const A = rows(rig.read('blocks.1.attn.pattern'));
    const queryRow = [
      [0, 0.75, 0, 0.25, 0],
      [0, 0.25, 0, 0.75, 0],
    ];
    for (const bb of [0, 1]) {
      close(A[bb][0], uniform, `seq ${bb} head 0`, 15);
      close(A[bb][1].slice(0, 4), uniform.slice(0, 4), `seq ${bb} head 1 rows 0-3`, 15);
      expect(A[bb][1][4]).toEqual(queryRow[bb]);
    }
    const out = seqRows(rig.read('blocks.1.attn.head_out'));
    close([out[0][4], out[1][4]], [[0.2, -0.2, 1, -0.5], [0.2, 0.2, 0.5, -0.5]], 'query head outputs', 14);
  });

  it('4.6 perfect copy from 1:0: logits are the head\'s scores to the label tokens, −1e9 elsewhere', () => {
    const rig = goldRig(goldParams({ l0: layer(I, I, I, Z), l1: layer(I, I, I, I) }), { perfectCopy: { head: '1:0' } }, [], false);
    // seq 0: q = a₀₁ = (1,−1), keys p₀₁ = −q at offset −3 and q₀₁ = (−1,−1) at offset −1.
    // seq 1: q = c₀₁ = (1,−1), keys r₀₁ = −q at offset −3 and p₀₁ = −q at offset −1.
    const s = Math.SQRT2;
    const z = [
      [-s * Math.cos(3), -s * Math.sin(1), -1e9],
      [-s * Math.cos(1), -1e9, -s * Math.cos(3)],
    ];
    close([...rig.queryLogits()], z.flat(), 'query logits');
    const softplus = (x: number) => Math.log(1 + Math.exp(x));
    expect(rig.forward()).toBeCloseTo((softplus(z[0][1] - z[0][0]) + softplus(z[1][2] - z[1][0])) / 2, 12);
  });

  it('4.7 perfect Layer 1: layer-0 output is E; layer-1 attention comes from the shifted stream, values from E', () => {
    const rig = goldRig(goldParams({ l0: layer(I, I, I, I), l1: layer(I, I, I, I) }), { perfectLayer1: true }, ['blocks.0.resid_post', 'blocks.1.attn.pattern', 'blocks.1.attn.head_out']);
    close(seqRows(rig.read('blocks.0.resid_post')), E, 'layer-0 output', 15);
    const A = rows(rig.read('blocks.1.attn.pattern'));
    const out = seqRows(rig.read('blocks.1.attn.head_out'));
    for (const bb of [0, 1]) {
      const shifted = [0, 0, 1, 2, 4].map((t) => E[bb][t]);
      for (const h of [0, 1]) {
        const Ah = pattern(shifted, h);
        close(A[bb][h], Ah, `seq ${bb} head ${h} pattern`);
        close(out[bb].map((x) => slice(x, h)), headOut(Ah, E[bb], h), `seq ${bb} head ${h} output`);
      }
    }
  });

  it('4.8 perfect Layer 1 + perfect copy from 1:0: logits are the shifted stream\'s scores', () => {
    const rig = goldRig(goldParams({ l0: layer(I, I, I, I), l1: layer(I, I, I, I) }), { perfectLayer1: true, perfectCopy: { head: '1:0' } }, [], false);
    // Shifted seq 0: q = a₀₁ = (1,−1); keys a₀₁ (offset −3), b₀₁ = (1,1) (offset −1).
    // Shifted seq 1: q = c₀₁ = (1,−1); keys b₀₁ = (1,1) (offset −3), c₀₁ (offset −1).
    const s = Math.SQRT2;
    close([...rig.queryLogits()], [s * Math.cos(3), s * Math.sin(1), -1e9, s * Math.cos(1), -1e9, s * Math.sin(3)], 'query logits');
  });

  it('4.3 preserved ablations of every layer-0 head: patterns and/or values from the clean pass', () => {
    const params = goldParams({ l0: layer(Z, Z, I, I), l1: layer(I, I, I, I) });
    const ablate = ['0:0', '0:1'];
    for (const [preserve, source] of [
      [{ patterns: true, values: true }, (z: Vec[]) => ({ A: z, V: z })],
      [{ patterns: true }, (z: Vec[], bb: number) => ({ A: z, V: E[bb] })],
      [{ values: true }, (z: Vec[], bb: number) => ({ A: E[bb], V: z })],
    ] as const) {
      const rig = goldRig(params, { preserve, ablate }, ['blocks.1.resid_post'], false);
      const got = seqRows(rig.read('blocks.1.resid_post'), 1);
      for (const bb of [0, 1]) {
        // Clean layer-0 output with uniform attention, W_v = W_O = I: E + running mean of E; layer-1 LN of it.
        const zClean = cumMean(E[bb]).map((m, t) => ln(add(E[bb][t], m)));
        const { A, V } = source(zClean, bb);
        // Ablated layer 0 adds nothing, so the query's residual is E₄ plus layer 1's output (W_O = I).
        const expected = add(E[bb][4], [0, 1].flatMap((h) => headOut(pattern(A, h), V, h)[4]));
        close(got[bb][0], expected, `${JSON.stringify(preserve)} seq ${bb}`);
      }
    }
  });

  it('4.9 graft: the residual after layer 0 is the donor\'s (its own embeddings and layer 0)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-golden-'));
    const file = path.join(dir, 'donor.safetensors');
    writeSafetensors(file, paramTensors(goldParams({ items: [b, c, a], labels: [q, r, p], l0: layer(Z, Z, I, I), l1: layer(I, I, I, I) })));
    const rig = goldRig(goldParams({ l0: layer(I, I, I, I), l1: layer(I, I, I, I) }), { graft: { checkpoint: file } }, ['blocks.0.resid_post']);
    const donorE = [
      [b, q, c, r, b],
      [c, p, a, q, a],
    ];
    close(seqRows(rig.read('blocks.0.resid_post')), donorE.map((Ed) => cumMean(Ed).map((m, t) => add(Ed[t], m))), 'grafted residual', 14);
  });
});
