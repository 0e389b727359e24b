import { describe, expect, it } from 'vitest';
import { enumerateTrainingSet, finiteSetSize } from '../data/finiteSet.js';
import type { EvalSet } from '../data/types.js';
import { headScores } from './heads.js';
import { ablateAllBut } from '../interventions/spec.js';
import { denseSet, stratifiedIndices } from './denseSet.js';
import { CFG, editor, evaluatorFor, features, randomParams, task } from './testing/fixture.js';

const H = CFG.nHeads;

describe('dense set (spec 1.4, 5)', () => {
  it('is the whole finite training set with size "all"', () => {
    const s = denseSet(task, features, { size: 'all' });
    expect(s.batch.size).toBe(finiteSetSize(6, 8));
    expect(s.batch.size).toBe(960);
    expect(s.indices).toBeNull();
  });

  it('subsamples every (l1, l2, query slot) stratum proportionally, deterministically per seed', () => {
    const full = enumerateTrainingSet(task, features).batch;
    const s = denseSet(task, features, { size: 100, seed: 3 });
    expect(s.batch.size).toBe(100);
    const idx = [...s.indices!];
    expect(new Set(idx).size).toBe(100);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    // 32 strata of 30: 100/32 = 3.125 → every stratum gets 3 or 4.
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const k = `${s.batch.contextLabel[2 * i]},${s.batch.contextLabel[2 * i + 1]},${s.batch.querySlot[i]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    for (const c of counts.values()) expect([3, 4]).toContain(c);
    // The rows are the full set's rows at those indices.
    for (let i = 0; i < 100; i++) {
      expect(s.batch.target[i]).toBe(full.target[idx[i]]);
      expect(s.batch.item[3 * i + 2]).toBe(full.item[3 * idx[i] + 2]);
    }
    expect([...stratifiedIndices(full, 5, 100, 3)]).toEqual(idx);
    expect([...stratifiedIndices(full, 5, 100, 4)]).not.toEqual(idx);
    expect(s.description).toContain('100/960');
  });
});

describe('DenseEvaluator', () => {
  it('gives the same per-sequence results whatever the chunk size (padded last chunk)', () => {
    const p = randomParams(1);
    const a = evaluatorFor(p, { size: 'all', chunk: 960 }).evaluate({});
    const b = evaluatorFor(p, { size: 'all', chunk: 100 }).evaluate({ ablate: [] });
    for (let i = 0; i < 960; i++) expect(b.rowLoss[i]).toBeCloseTo(a.rowLoss[i], 4);
    expect(b.acc).toBe(a.acc);
  });

  it('with every head ablated and layer 0 silenced, gives exactly the direct path unembed(LN_f(E x_q))', () => {
    const p = randomParams(2);
    const ed = editor(p);
    ed.fill('blocks.0.attn.out.weight', 0);
    ed.commit();
    const ev = evaluatorFor(p);
    const lastAblated = ev.evaluate({ ablate: ablateAllBut(1, H, []) });
    const allAblated = ev.evaluate({ ablate: [...ablateAllBut(0, H, []), ...ablateAllBut(1, H, [])] });
    // Hand computation in float64.
    const d = CFG.dModel;
    const L = CFG.numLabels;
    const F = CFG.featureDim;
    const { batch, distribution } = ev.set;
    let loss = 0;
    let acc = 0;
    for (let b = 0; b < batch.size; b++) {
      const row = batch.item[3 * b + 2];
      const e = new Float64Array(d);
      for (let o = 0; o < d; o++) {
        let s = ed.get('embed.exemplar.bias', o);
        for (let k = 0; k < F; k++) s += ed.get('embed.exemplar.weight', o * F + k) * distribution.itemFeatures[row * F + k];
        e[o] = s;
      }
      const mean = e.reduce((x, y) => x + y, 0) / d;
      const v = e.reduce((x, y) => x + (y - mean) ** 2, 0) / d;
      const z = Array.from(e, (x, o) => ((x - mean) / Math.sqrt(v + CFG.lnEps)) * ed.get('ln_final.weight', o) + ed.get('ln_final.bias', o));
      const logits = Array.from({ length: L }, (_, l) => z.reduce((s, x, o) => s + x * ed.get('unembed.weight', l * d + o), ed.get('unembed.bias', l)));
      const mx = Math.max(...logits);
      const lse = mx + Math.log(logits.reduce((s, x) => s + Math.exp(x - mx), 0));
      loss += lse - logits[batch.target[b]];
      acc += logits.indexOf(mx) === batch.target[b] ? 1 : 0;
    }
    expect(lastAblated.loss).toBeCloseTo(loss / batch.size, 4);
    expect(allAblated.loss).toBeCloseTo(loss / batch.size, 4);
    expect(Math.abs(lastAblated.acc - acc / batch.size)).toBeLessThanOrEqual(2 / batch.size);
  });

  it('induction strength of a match-clamped head is 2s − 1 exactly (1, 0, −1)', () => {
    const ev = evaluatorFor(randomParams(3), { size: 200, seed: 0 });
    const heads = ablateAllBut(1, H, []);
    for (const [s, want] of [[1, 1], [0.5, 0], [0, -1]] as const) {
      const r = ev.evaluate({ match: { heads, strength: s } }, { heads: true });
      expect(r.strength).toEqual(new Array(H).fill(want));
    }
    // Clamping one head leaves the others' computed strengths strictly inside (−1, 1).
    const r = ev.evaluate({ match: { heads: ['1:3'], strength: 1 } }, { heads: true });
    expect(r.strength![3]).toBe(1);
    for (const h of [0, 1, 2, 4, 5, 6, 7]) expect(Math.abs(r.strength![h])).toBeLessThan(1);
  });

  it('previous-token score of a prevToken-clamped head: 1 at s = 1, mean of −1/t at s = 0', () => {
    const ev = evaluatorFor(randomParams(4), { size: 200, seed: 0 });
    const one = ev.evaluate({ prevToken: { heads: ['0:2'], strength: 1 } }, { heads: true });
    expect(one.prevToken![2]).toBe(1);
    expect(one.prevTokenAtLabels![2]).toBe(1);
    const zero = ev.evaluate({ prevToken: { heads: ['0:2'], strength: 0 } }, { heads: true });
    expect(zero.prevToken![2]).toBeCloseTo((-1 - 1 / 2 - 1 / 3 - 1 / 4) / 4, 6);
    expect(zero.prevTokenAtLabels![2]).toBeCloseTo((-1 - 1 / 3) / 2, 6);
  });

  it('agrees with headScores (full-positions forward) on the same sequences', () => {
    const p = randomParams(5);
    const ev = evaluatorFor(p, { size: 300, seed: 1 });
    const r = ev.evaluate({}, { heads: true });
    const set = { name: 'fsl_train', distribution: ev.set.distribution, batch: ev.set.batch } as EvalSet;
    const ref = headScores(p, set);
    for (let h = 0; h < H; h++) {
      expect(r.strength![h]).toBeCloseTo(ref.induction[h], 5);
      expect(r.prevToken![h]).toBeCloseTo(ref.prevToken[h], 5);
    }
  });

  it('any two layers of a 3-layer model: clamped heads score 1 in the layers named, and the query-only path agrees with headScores', () => {
    const p = randomParams(8, 0.5, { ...CFG, nLayers: 3 });
    const ev = evaluatorFor(p, { size: 200, seed: 2 });
    const layers = { prevToken: 1, induction: 2 };
    const r = ev.evaluate({ prevToken: { heads: ['1:2'] }, match: { heads: ['2:3'] } }, { heads: true, layers });
    expect(r.prevToken![2]).toBe(1);
    expect(r.strength![3]).toBe(1);
    // The first layer is not the one scored: its head 2 is no previous-token head.
    expect(ev.evaluate({ prevToken: { heads: ['1:2'] } }, { heads: true }).prevToken![2]).toBeLessThan(0.9);
    // A middle induction layer (all positions computed) against the full forward.
    const mid = { prevToken: 0, induction: 1 };
    const m = ev.evaluate({}, { heads: true, layers: mid });
    const ref = headScores(p, { name: 'fsl_train', distribution: ev.set.distribution, batch: ev.set.batch } as EvalSet, undefined, mid);
    for (let h = 0; h < H; h++) {
      expect(m.strength![h]).toBeCloseTo(ref.induction[h], 5);
      expect(m.prevToken![h]).toBeCloseTo(ref.prevToken[h], 5);
    }
    expect(() => ev.evaluate({}, { heads: true, layers: { prevToken: 2, induction: 2 } })).toThrow('layers.induction: layer 2 must come after the previous-token layer 2');
  });

  it('reuses a prepared program across parameter loads and frees transient ones', () => {
    const p = randomParams(6);
    const q = randomParams(7);
    const ev = evaluatorFor(p, { size: 200, seed: 0 });
    const spec = { ablate: ['1:0'] };
    const fresh = (params: typeof p) => evaluatorFor(params, { size: 200, seed: 0 }).evaluate(spec).loss;
    ev.prepare(spec);
    const qt = Object.fromEntries(q.list().map((e) => [e.spec.name, { shape: e.spec.shape, data: q.readBlock('values').subarray(e.offset, e.offset + e.size) }]));
    expect(ev.evaluate(spec).loss).toBeCloseTo(fresh(p), 6);
    ev.loadTensors(qt, 'q');
    expect(ev.evaluate(spec).loss).toBeCloseTo(fresh(q), 6);
    const mark = p.be.mark();
    for (let k = 0; k < 3; k++) ev.evaluate({ ablate: ['1:1'], preserve: { patterns: true, values: false } });
    expect(p.be.mark()).toBe(mark);
  });
});
