/**
 * Semantics of every manipulation of spec section 4 on a small random model (float64 reference backend):
 * what each clamp writes, what it leaves alone, and which parameters get gradient. Expected values come
 * from independent computations (an unclamped forward, a model whose sites are replaced by host-built
 * constants, closed-form formulas), never from the code under test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { createWasmBackend } from '../backends/wasm.js';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { Adam } from '../optim.js';
import { RunDir } from '../store/runDir.js';
import { paramTensors } from '../store/paramIO.js';
import { writeSafetensors } from '../store/safetensors.js';
import { train } from '../train.js';
import {
  TINY,
  at,
  cloneParams,
  complement,
  makeRig,
  maxAbs,
  movingTensors,
  outIdx,
  passesFor,
  patternAt,
  prevTokenMatrix,
  qkvIdx,
  randomParams,
  type Grads,
  twin,
  type Rig,
} from '../testing/clampRig.js';

const ref = createReferenceBackend();
const d = TINY.dModel;
const H = TINY.nHeads;
const D = d / H;
const T = 5;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-interventions-'));

/** Gradient of one head's slice (q/k/v rows or W_O columns) in layer l. */
const headGrad = (g: Grads, l: number, h: number, part: 'q' | 'k' | 'v' | 'o'): number[] =>
  part === 'o' ? at(g[`blocks.${l}.attn.out.weight`], outIdx(TINY, h)) : at(g[`blocks.${l}.attn.qkv.weight`], qkvIdx(TINY, h, ({ q: 0, k: 1, v: 2 } as const)[part]));
const zero = (xs: ArrayLike<number>) => expect(maxAbs(xs)).toBe(0);
const moving = (xs: ArrayLike<number>) => expect(maxAbs(xs)).toBeGreaterThan(0);

/** Element-wise equality (exact unless `tol`), with the first mismatch in the message. */
function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 0): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol)) expect(a[i], `${what}[${i}]`).toBe(b[i]);
}

/** A clean (unmanipulated) rig on the same parameters and data as `rig`, reading `keep`. */
const cleanOf = (rig: Rig, keep: string[], allPositions = false) => twin(rig, { keep, allPositions, training: false });

describe('head ablation (spec 4.2)', () => {
  it("ablated heads' head_out columns are exactly 0 at every position; other heads are untouched", () => {
    for (const allPositions of [true, false]) {
      const keep = ['blocks.0.attn.head_out', 'blocks.1.attn.head_out'];
      const rig = makeRig({ spec: { ablate: ['0:1', '1:0'] }, allPositions, keep });
      const clean = cleanOf(rig, keep, allPositions);
      rig.forward();
      clean.forward();
      for (const [l, h] of [
        [0, 1],
        [1, 0],
      ]) {
        const out = rig.read(`blocks.${l}.attn.head_out`);
        const rows = out.length / d;
        expect(rows).toBe(l === 1 && !allPositions ? rig.batch.size : rig.batch.size * T);
        const cols = (x: Float64Array, head: number) => Array.from({ length: rows * D }, (_, i) => x[Math.floor(i / D) * d + head * D + (i % D)]);
        zero(cols(out, h));
        moving(cols(out, 1 - h));
        if (l === 0) same(cols(out, 1 - h), cols(clean.read('blocks.0.attn.head_out'), 1 - h), 'layer-0 unablated head');
      }
    }
  });

  it("N Adam steps leave the ablated heads' W_q, W_k, W_v rows and W_O columns bit-identical while the rest moves", () => {
    for (const be of [ref, createWasmBackend()]) {
      const rig = makeRig({ be, params: cloneParams(randomParams(ref, TINY, 1), be), spec: { ablate: ['0:1', '1:0'] } });
      const read = () => Object.fromEntries(rig.params.list().map((e) => [e.spec.name, Float64Array.from(be.read(e.value))]));
      const before = read();
      const adam = new Adam(rig.params, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      for (let s = 0; s < 5; s++) {
        rig.setBatch(rig.nextBatch());
        rig.grads();
        adam.step();
      }
      const after = read();
      for (const [l, h] of [
        [0, 1],
        [1, 0],
      ]) {
        const qkv = `blocks.${l}.attn.qkv.weight`;
        const frozen = [0, 1, 2].flatMap((p) => qkvIdx(TINY, h, p as 0 | 1 | 2));
        expect(at(after[qkv], frozen), `${be.name} ${qkv} head ${h}`).toEqual(at(before[qkv], frozen));
        expect(at(after[`blocks.${l}.attn.out.weight`], outIdx(TINY, h))).toEqual(at(before[`blocks.${l}.attn.out.weight`], outIdx(TINY, h)));
        // The other head of the same layer trains.
        expect(at(after[qkv], qkvIdx(TINY, 1 - h, 2))).not.toEqual(at(before[qkv], qkvIdx(TINY, 1 - h, 2)));
        expect(at(after[`blocks.${l}.attn.out.weight`], outIdx(TINY, 1 - h))).not.toEqual(at(before[`blocks.${l}.attn.out.weight`], outIdx(TINY, 1 - h)));
      }
      for (const name of Object.keys(before)) expect(after[name], `${be.name} ${name} moves`).not.toEqual(before[name]);
    }
  });
});

describe('previous-token clamp (spec 4.4)', () => {
  const keep = ['blocks.0.attn.pattern', 'blocks.1.attn.pattern'];
  it('the clamped pattern equals the requested matrix exactly in every forward (s = 1, 0.7; training and eval; all positions and query-only)', () => {
    for (const s of [1, 0.7])
      for (const training of [true, false])
        for (const allPositions of [true, false]) {
          const rig = makeRig({ spec: { prevToken: { heads: ['0:1', '1:0'], strength: s } }, training, allPositions, keep });
          const P = prevTokenMatrix(s);
          const Tq1 = allPositions ? T : 1;
          for (let step = 0; step < 3; step++) {
            rig.setBatch(rig.nextBatch());
            if (training) rig.grads();
            else rig.forward();
            const A0 = rig.read('blocks.0.attn.pattern');
            const A1 = rig.read('blocks.1.attn.pattern');
            for (let b = 0; b < rig.batch.size; b++) {
              for (let t = 0; t < T; t++) for (let j = 0; j < T; j++) expect(patternAt(A0, H, T, b, 1, t, j)).toBe(P[t][j]);
              for (let i = 0; i < Tq1; i++) for (let j = 0; j < T; j++) expect(patternAt(A1, H, Tq1, b, 0, i, j)).toBe(P[T - Tq1 + i][j]);
              // The unclamped head of layer 0 still attends by its scores (its rows are not P).
              expect(patternAt(A0, H, T, b, 0, 4, 3)).not.toBe(P[4][3]);
            }
          }
        }
  });

  it("the clamped head's W_q, W_k get zero gradient; its W_v, W_O still learn", () => {
    for (const allPositions of [false, true]) {
      const g = makeRig({ spec: { prevToken: { heads: ['0:1', '1:0'], strength: 0.7 } }, allPositions }).grads();
      for (const [l, h] of [
        [0, 1],
        [1, 0],
      ]) {
        zero(headGrad(g, l, h, 'q'));
        zero(headGrad(g, l, h, 'k'));
        moving(headGrad(g, l, h, 'v'));
        moving(headGrad(g, l, h, 'o'));
        moving(headGrad(g, l, 1 - h, 'q'));
      }
    }
  });
});

describe('match clamp (spec 4.5)', () => {
  const keep = ['blocks.0.attn.pattern', 'blocks.1.attn.pattern'];
  it('query row = [0, w1, 0, w2, 0] from each batch\'s target; other rows and heads equal the unclamped forward', () => {
    const s = 0.8;
    for (const allPositions of [true, false]) {
      const rig = makeRig({ spec: { match: { heads: ['1:1'], strength: s } }, allPositions, keep, B: 4 });
      const clean = cleanOf(rig, keep, allPositions);
      const Tq = allPositions ? T : 1;
      const seen = new Set<number>();
      for (let step = 0; step < 4; step++) {
        const sb = rig.nextBatch();
        rig.setBatch(sb);
        clean.setBatch(sb);
        rig.grads();
        clean.forward();
        const A = rig.read('blocks.1.attn.pattern');
        const C = clean.read('blocks.1.attn.pattern');
        same(rig.read('blocks.0.attn.pattern'), clean.read('blocks.0.attn.pattern'), 'layer 0');
        for (let b = 0; b < sb.size; b++) {
          const w1 = sb.contextLabel[2 * b] === sb.target[b] ? s : 1 - s;
          const w2 = sb.contextLabel[2 * b + 1] === sb.target[b] ? s : 1 - s;
          seen.add(w1);
          const row = Array.from({ length: T }, (_, j) => patternAt(A, H, Tq, b, 1, Tq - 1, j));
          expect(row).toEqual([0, w1, 0, w2, 0]);
          for (let i = 0; i < Tq; i++)
            for (let j = 0; j < T; j++) {
              expect(patternAt(A, H, Tq, b, 0, i, j)).toBe(patternAt(C, H, Tq, b, 0, i, j));
              if (i < Tq - 1) expect(patternAt(A, H, Tq, b, 1, i, j)).toBe(patternAt(C, H, Tq, b, 1, i, j));
            }
        }
      }
      expect([...seen].sort()).toEqual([1 - s, s].sort()); // both target slots occurred
    }
  });

  it("in the query-only path the clamped head's W_q, W_k get no gradient; its W_v, W_O, the unembedding and label embeddings learn", () => {
    const g = makeRig({ spec: { match: { heads: ['1:1'], strength: 1 } } }).grads();
    zero(headGrad(g, 1, 1, 'q'));
    zero(headGrad(g, 1, 1, 'k'));
    for (const x of [headGrad(g, 1, 1, 'v'), headGrad(g, 1, 1, 'o'), g['unembed.weight'], g['embed.label.weight']]) moving(x);
  });
});

describe('perfect copy (spec 4.6)', () => {
  it("query logits = [S[4,1] at l1, S[4,3] at l2, −1e9 elsewhere] from the head's scores; loss = −log softmax([σ1, σ2])[correct]", () => {
    for (const allPositions of [false, true]) {
      const rig = makeRig({ spec: { perfectCopy: { head: '1:1' } }, allPositions, keep: ['logits'], B: 4 });
      const clean = cleanOf(rig, ['blocks.1.attn.scores', 'logits'], allPositions);
      const loss = rig.forward();
      clean.forward();
      const S = clean.read('blocks.1.attn.scores');
      const Tq = allPositions ? T : 1;
      const z = rig.queryLogits();
      const L = TINY.numLabels;
      let hand = 0;
      for (let b = 0; b < rig.batch.size; b++) {
        const [l1, l2] = [rig.batch.contextLabel[2 * b], rig.batch.contextLabel[2 * b + 1]];
        const s1 = patternAt(S, H, Tq, b, 1, Tq - 1, 1);
        const s2 = patternAt(S, H, Tq, b, 1, Tq - 1, 3);
        const expected = Array.from({ length: L }, (_, l) => (l === l1 ? s1 : l === l2 ? s2 : -1e9));
        expect([...z.slice(b * L, b * L + L)]).toEqual(expected);
        const correct = rig.batch.target[b] === l1 ? s1 : s2;
        hand += -(correct - Math.log(Math.exp(s1) + Math.exp(s2)));
      }
      expect(Math.abs(loss - hand / rig.batch.size)).toBeLessThan(1e-12);
      if (allPositions) {
        // Rows other than the query keep their computed logits.
        const all = rig.read('logits');
        const c = clean.read('logits');
        for (let b = 0; b < rig.batch.size; b++) same(all.slice((b * T) * L, (b * T + 4) * L), c.slice((b * T) * L, (b * T + 4) * L), 'non-query logits');
      }
    }
  });

  it("W_U, b_U, LN_f and the head's W_v, W_O get zero gradient; the head's W_q, W_k, layer 0 and the embeddings learn", () => {
    const g = makeRig({ spec: { perfectCopy: { head: '1:1' } } }).grads();
    for (const n of ['unembed.weight', 'unembed.bias', 'ln_final.weight', 'ln_final.bias', 'blocks.1.attn.out.weight']) zero(g[n]);
    for (const h of [0, 1]) zero(headGrad(g, 1, h, 'v'));
    zero(headGrad(g, 1, 0, 'q')); // other layer-1 heads cannot affect the overwritten logits
    zero(headGrad(g, 1, 0, 'k'));
    moving(headGrad(g, 1, 1, 'q'));
    moving(headGrad(g, 1, 1, 'k'));
    for (const n of ['blocks.1.ln1.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.out.weight', 'embed.exemplar.weight', 'embed.label.weight']) moving(g[n]);
  });
});

/**
 * An independent composition of spec 4.7 for the rig's data: the shifted stream is built on the host
 * from a clean forward's embedding and fed into a model whose `blocks.0.resid_post` is a constant.
 */
function shiftedReference(rig: Rig, allPositions: boolean) {
  const clean = cleanOf(rig, ['embed'], allPositions);
  clean.forward();
  const E = clean.read('embed');
  const shift = [0, 0, 1, 2, 4];
  const Es = E.map((_, i) => {
    const row = Math.floor(i / d);
    return E[(Math.floor(row / T) * T + shift[row % T]) * d + (i % d)];
  });
  const sh = twin(rig, { training: false, allPositions, constants: ['blocks.0.resid_post'], keep: ['blocks.1.attn.pattern', 'blocks.1.attn.scores'] });
  sh.setConstant('blocks.0.resid_post', Es);
  sh.forward();
  return { E, pattern: sh.read('blocks.1.attn.pattern'), scores: sh.read('blocks.1.attn.scores') };
}

describe('perfect Layer 1 (spec 4.7) and Layer 1 + copy (4.8)', () => {
  it('layer-1 pattern = that of a model fed the shifted embedding [E0,E0,E1,E2,E4]; layer-0 output = E; the loss is that composition', () => {
    for (const allPositions of [false, true]) {
      const rig = makeRig({ spec: { perfectLayer1: true, ablate: ['1:0'] }, allPositions, keep: ['blocks.1.attn.pattern', 'blocks.0.resid_post'] });
      const loss = rig.forward();
      const shifted = shiftedReference(rig, allPositions);
      same(rig.read('blocks.1.attn.pattern'), shifted.pattern, 'layer-1 pattern', 1e-14);
      same(rig.read('blocks.0.resid_post'), shifted.E, 'layer-0 output');
      // Final pass by hand: layer-0 output E, layer-1 pattern from the shifted model, head 0's values 0.
      const fin = twin(rig, { allPositions, training: false, spec: { ablate: ['1:0'] }, constants: ['blocks.0.resid_post', 'blocks.1.attn.pattern'] });
      fin.setConstant('blocks.0.resid_post', shifted.E);
      fin.setConstant('blocks.1.attn.pattern', shifted.pattern);
      expect(Math.abs(fin.forward() - loss)).toBeLessThan(1e-12);
      same(fin.queryLogits(), rig.queryLogits(), 'query logits', 1e-12);
    }
  });

  it('4.7: every layer-0 parameter gets exactly zero gradient; layer 1, the readout and both embeddings learn', () => {
    const g = makeRig({ spec: { perfectLayer1: true } }).grads();
    for (const n of Object.keys(g)) {
      if (n.startsWith('blocks.0.')) zero(g[n]);
      else moving(g[n]);
    }
  });

  it("4.8: logits are the shifted pass's scores to positions 1 and 3; only the head's W_q/W_k, layer-1 LN and the exemplar embedding learn", () => {
    const rig = makeRig({ spec: { perfectLayer1: true, perfectCopy: { head: '1:0' } }, B: 4 });
    const loss = rig.forward();
    const { scores } = shiftedReference(rig, false);
    const L = TINY.numLabels;
    const z = rig.queryLogits();
    let hand = 0;
    for (let b = 0; b < rig.batch.size; b++) {
      const [l1, l2] = [rig.batch.contextLabel[2 * b], rig.batch.contextLabel[2 * b + 1]];
      const [s1, s2] = [patternAt(scores, H, 1, b, 0, 0, 1), patternAt(scores, H, 1, b, 0, 0, 3)];
      same(z.slice(b * L, b * L + L), Array.from({ length: L }, (_, l) => (l === l1 ? s1 : l === l2 ? s2 : -1e9)), `logits of sequence ${b}`, 1e-14);
      hand -= (rig.batch.target[b] === l1 ? s1 : s2) - Math.log(Math.exp(s1) + Math.exp(s2));
    }
    expect(Math.abs(loss - hand / rig.batch.size)).toBeLessThan(1e-12);
    const g = rig.grads();
    expect(movingTensors(g).sort()).toEqual(['blocks.1.attn.qkv.weight', 'blocks.1.ln1.bias', 'blocks.1.ln1.weight', 'embed.exemplar.bias', 'embed.exemplar.weight']);
    const qk = [...qkvIdx(TINY, 0, 0), ...qkvIdx(TINY, 0, 1)];
    moving(at(g['blocks.1.attn.qkv.weight'], qk));
    zero(at(g['blocks.1.attn.qkv.weight'], complement(3 * d * d, qk)));
  });
});

describe('pattern- and value-preserving ablation (spec 4.3)', () => {
  const keep = ['blocks.0.attn.v', 'blocks.1.attn.v', 'blocks.1.attn.pattern', 'logits'];
  const pair = (spec: object) => {
    const rig = makeRig({ spec, keep, training: true });
    return { rig, clean: twin(rig, { keep: [...keep, 'embed', 'blocks.1.attn.attn_out'] }) };
  };

  it('with patterns and values preserved and nothing ablated, loss, logits and every gradient equal the clean model', () => {
    const { rig, clean } = pair({ preserve: { patterns: true, values: true } });
    const g = rig.grads();
    const c = clean.grads();
    expect(rig.forward()).toBe(clean.forward());
    same(rig.queryLogits(), clean.queryLogits(), 'logits');
    for (const n of Object.keys(c)) same(g[n], c[n], n, 1e-12 * Math.max(1, maxAbs(c[n])));
  });

  it('value preservation: with a layer-0 head ablated, layer 1 still sees the clean values, but its patterns change', () => {
    const { rig, clean } = pair({ preserve: { values: true }, ablate: ['0:0'] });
    rig.forward();
    clean.forward();
    same(rig.read('blocks.1.attn.v'), clean.read('blocks.1.attn.v'), 'layer-1 values');
    const v0 = rig.read('blocks.0.attn.v');
    const c0 = clean.read('blocks.0.attn.v');
    for (let i = 0; i < v0.length; i++) expect(v0[i]).toBe(i % d < D ? 0 : c0[i]);
    expect(maxAbs(rig.read('blocks.1.attn.pattern').map((x, i) => x - clean.read('blocks.1.attn.pattern')[i]))).toBeGreaterThan(1e-6);
  });

  it('pattern preservation: with a layer-0 head ablated, layer-1 patterns are the clean ones, but its values change', () => {
    const { rig, clean } = pair({ preserve: { patterns: true }, ablate: ['0:0'] });
    rig.forward();
    clean.forward();
    same(rig.read('blocks.1.attn.pattern'), clean.read('blocks.1.attn.pattern'), 'layer-1 pattern');
    expect(maxAbs(rig.read('blocks.1.attn.v').map((x, i) => x - clean.read('blocks.1.attn.v')[i]))).toBeGreaterThan(1e-6);
  });

  it("both preserved + every layer-0 head ablated removes only layer 0's direct path: logits = LN_f(E + clean layer-1 output)·W_Uᵀ + b_U", () => {
    const { rig, clean } = pair({ preserve: { patterns: true, values: true }, ablate: ['0:0', '0:1'] });
    rig.forward();
    clean.forward();
    const E = clean.read('embed');
    const out1 = clean.read('blocks.1.attn.attn_out'); // [B, d] at the query
    const val = (n: string) => ref.read(rig.params.get(n).value);
    const [gain, bias, WU, bU] = ['ln_final.weight', 'ln_final.bias', 'unembed.weight', 'unembed.bias'].map(val);
    const L = TINY.numLabels;
    const expected: number[] = [];
    for (let b = 0; b < rig.batch.size; b++) {
      const x = Array.from({ length: d }, (_, k) => E[(b * T + 4) * d + k] + out1[b * d + k]);
      const mu = x.reduce((s, v) => s + v, 0) / d;
      const rstd = 1 / Math.sqrt(x.reduce((s, v) => s + (v - mu) ** 2, 0) / d + TINY.lnEps);
      const f = x.map((v, k) => (v - mu) * rstd * gain[k] + bias[k]);
      for (let l = 0; l < L; l++) expected.push(bU[l] + f.reduce((s, v, k) => s + v * WU[l * d + k], 0));
    }
    same(rig.queryLogits(), expected, 'logits', 1e-12);
  });
});

describe('graft-in (spec 4.9)', () => {
  const dir = tmp();
  const donor = randomParams(ref, TINY, 99);
  const file = path.join(dir, 'donor.safetensors');
  writeSafetensors(file, paramTensors(donor));

  it("layer-0 output is the donor's own; the model's embeddings and layer 0 get zero gradient; the rest learns", () => {
    for (const allPositions of [true, false]) {
      const rig = makeRig({ spec: { graft: { checkpoint: file, tillLayer: 0 } }, allPositions, keep: ['blocks.0.resid_post'] });
      const own = makeRig({ params: donor, allPositions, training: false, keep: ['blocks.0.resid_post'] });
      own.setBatch(rig.batch);
      const g = rig.grads();
      own.forward();
      same(rig.read('blocks.0.resid_post'), own.read('blocks.0.resid_post'), 'grafted residual');
      for (const n of Object.keys(g)) {
        if (n.startsWith('embed.') || n.startsWith('blocks.0.')) zero(g[n]);
        else moving(g[n]);
      }
    }
  });

  it('a checkpoint with a wrong-shaped tensor is rejected with an error naming the tensor', () => {
    const bad = path.join(dir, 'labels10.safetensors');
    writeSafetensors(bad, paramTensors(randomParams(ref, { ...TINY, numLabels: 10 }, 3)));
    const params = randomParams(ref, TINY, 1);
    expect(() => passesFor({ graft: { checkpoint: bad } }, params)).toThrow(/embed\.label\.weight.*\[10,16\]/);
  });
});

describe('composition (spec 4.1)', () => {
  const spec = { ablate: ['1:0'], prevToken: { heads: ['0:0'], strength: 0.9 }, match: { heads: ['1:1'], strength: 0.6 } };
  it('ablate + prevToken + match apply together in one forward', () => {
    const keep = ['blocks.0.attn.pattern', 'blocks.1.attn.pattern', 'blocks.1.attn.head_out'];
    const rig = makeRig({ spec, allPositions: true, keep });
    // Rows the match clamp leaves alone come from the forward with only the other two manipulations.
    const partial = twin(rig, { spec: { ablate: spec.ablate, prevToken: spec.prevToken }, allPositions: true, keep, training: false });
    rig.forward();
    partial.forward();
    const A0 = rig.read('blocks.0.attn.pattern');
    const A1 = rig.read('blocks.1.attn.pattern');
    const P1 = partial.read('blocks.1.attn.pattern');
    const out = rig.read('blocks.1.attn.head_out');
    const P = prevTokenMatrix(0.9);
    for (let b = 0; b < rig.batch.size; b++) {
      for (let t = 0; t < T; t++) for (let j = 0; j < T; j++) expect(patternAt(A0, H, T, b, 0, t, j)).toBe(P[t][j]);
      const w = [0, 1].map((k) => (rig.batch.contextLabel[2 * b + k] === rig.batch.target[b] ? 0.6 : 1 - 0.6));
      expect(Array.from({ length: T }, (_, j) => patternAt(A1, H, T, b, 1, 4, j))).toEqual([0, w[0], 0, w[1], 0]);
      for (let t = 0; t < 4; t++) for (let j = 0; j < T; j++) expect(patternAt(A1, H, T, b, 1, t, j)).toBe(patternAt(P1, H, T, b, 1, t, j));
      for (let t = 0; t < T; t++) zero(out.slice((b * T + t) * d, (b * T + t) * d + D));
    }
  });

  it('gradients: each manipulation silences exactly its own parameters', () => {
    const g = makeRig({ spec }).grads();
    zero(headGrad(g, 0, 0, 'q'));
    zero(headGrad(g, 0, 0, 'k'));
    moving(headGrad(g, 0, 0, 'v'));
    for (const p of ['q', 'k', 'v', 'o'] as const) zero(headGrad(g, 1, 0, p));
    zero(headGrad(g, 1, 1, 'q'));
    zero(headGrad(g, 1, 1, 'k'));
    moving(headGrad(g, 1, 1, 'v'));
    moving(headGrad(g, 0, 1, 'q'));
  });

  it('train(): the spec is stored in run.json and the eval metrics come from the clamped forward', async () => {
    const features = syntheticFeatures({ seed: 0, nClasses: 60, nExemplars: 5 });
    const interventions = { match: { heads: ['1:3'], strength: 1 }, ablate: ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'] };
    const cfg = (over: object) =>
      parseRunConfig({
        backend: 'wasm',
        task: { classSplit: [50, 5, 5], exemplarSplit: [1, 4, 0] },
        optim: { batchSize: 16 },
        schedule: { seqs: 32, evalEvery: 32, ckptEvery: null, evalSize: 64 },
        ...over,
      });
    const dir = tmp();
    const step0 = async (name: string, over: object) => {
      await train(cfg(over), { out: path.join(dir, name), features });
      const run = RunDir.open(path.join(dir, name));
      const row = run.readMetrics().find((r) => r.kind === 'eval' && r.seqs === 0 && r.set === 'fsl_train')!;
      return { loss: Number(row.loss), record: run.readRecord() };
    };
    const clamped = await step0('clamped', { interventions });
    const plain = await step0('plain', {});
    expect(clamped.record.config.interventions).toMatchObject(interventions);
    expect(Math.abs(clamped.loss - plain.loss)).toBeGreaterThan(1e-3);
  });
});
