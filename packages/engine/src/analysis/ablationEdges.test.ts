/**
 * The tables of analysis/ablation.ts (spec 5.3-5.5) against a direct count over the per-sequence results of
 * the specs they stand for: which heads each row ablates, the mistakes by target and by prediction, the
 * fraction of the reference head's mistakes fixed (NaN when it makes none), per-label accuracy (NaN for a
 * label never the target), the cumulative order of the additivity curves, and ties in the head orderings.
 */
import { describe, expect, it } from 'vitest';
import { additivity, additivityPanels, ablationVsStrength, byDecreasingStrength, headStrengths, onlyHeadsSpec, redundancy } from './ablation.js';
import { checkHeadLayers, defaultHeadLayers } from './heads.js';
import { copyHeadModel } from './testing/copyHead.js';
import { CFG, evaluatorFor, randomParams } from './testing/fixture.js';

const H = CFG.nHeads;
const others = (layer: number, keep: number[]) => Array.from({ length: H }, (_, h) => h).filter((h) => !keep.includes(h)).map((h) => `${layer}:${h}`);

describe('head orderings', () => {
  it('decreasing strength, ties to the lower head', () => {
    expect(byDecreasingStrength([0.2, 0.5, 0.5, -1, 0.7])).toEqual([4, 1, 2, 0, 3]);
    expect(byDecreasingStrength([])).toEqual([]);
  });

  it('onlyHeadsSpec ablates every other head of the last layer, with extra fields', () => {
    const ev = evaluatorFor(randomParams(1), { size: 8, seed: 0 });
    expect(onlyHeadsSpec(ev, [1, 3])).toEqual({ ablate: others(1, [1, 3]) });
    expect(onlyHeadsSpec(ev, [2], { match: { heads: ['1:2'] } })).toEqual({ ablate: others(1, [2]), match: { heads: ['1:2'] } });
  });
});

describe('ablation against strength (5.3)', () => {
  it('each row is the evaluation of its spec', () => {
    const ev = evaluatorFor(randomParams(2), { size: 48, seed: 0 });
    const t = ablationVsStrength(ev);
    const clean = ev.evaluate({}, { heads: true });
    expect(t.full).toEqual({ loss: clean.loss, acc: clean.acc });
    expect(t.strength).toEqual(clean.strength);
    expect(t.ablateOne.length).toBe(H);
    for (let h = 0; h < H; h++) {
      const one = ev.evaluate({ ablate: [`1:${h}`] });
      const only = ev.evaluate({ ablate: others(1, [h]) });
      expect(t.ablateOne[h]).toEqual({ loss: one.loss, acc: one.acc });
      expect(t.onlyOne[h]).toEqual({ loss: only.loss, acc: only.acc });
    }
    expect(headStrengths(ev)).toEqual({ strength: clean.strength, prevToken: clean.prevToken, prevTokenAtLabels: clean.prevTokenAtLabels });
  });
});

describe('redundancy (5.4, Table 3, Fig. 16)', () => {
  it('every count of every row, against the per-sequence results of "only head h"', () => {
    const ev = evaluatorFor(randomParams(3), { size: 64, seed: 1 });
    const t = redundancy(ev, { reference: 2 });
    expect(t.reference).toBe(2);
    expect(t.perfectMatch).toBe(false);
    const L = CFG.numLabels;
    const target = ev.set.batch.target;
    const res = Array.from({ length: H }, (_, h) => ev.evaluate({ ablate: others(1, [h]) }));
    const refMistakes = res[2].correct.reduce((a, c) => a + (1 - c), 0);
    expect(t.referenceMistakes).toBe(refMistakes);
    expect(refMistakes).toBeGreaterThan(0);
    t.rows.forEach((row, h) => {
      const r = res[h];
      expect(row.head).toBe(h);
      expect([row.loss, row.acc]).toEqual([r.loss, r.acc]);
      const byT = new Array(L).fill(0);
      const byP = new Array(L).fill(0);
      const right = new Array(L).fill(0);
      const count = new Array(L).fill(0);
      let fixed = 0;
      for (let i = 0; i < r.n; i++) {
        count[target[i]]++;
        if (r.correct[i]) right[target[i]]++;
        else {
          byT[target[i]]++;
          byP[r.pred[i]]++;
        }
        if (r.correct[i] && !res[2].correct[i]) fixed++;
      }
      expect(row.mistakes).toBe(byT.reduce((a, b) => a + b, 0));
      expect(row.mistakesByTarget).toEqual(byT);
      expect(row.mistakesByPrediction).toEqual(byP);
      expect(row.perLabelAcc).toEqual(right.map((x, l) => (count[l] ? x / count[l] : NaN)));
      expect(row.fixedFraction).toBe(fixed / refMistakes);
    });
    expect(t.rows[2].fixedFraction).toBe(0);
  });

  it('the reference defaults to the strongest head (the first on a tie)', () => {
    const ev = evaluatorFor(randomParams(4), { size: 48, seed: 0 });
    const s = headStrengths(ev).strength;
    const best = s.indexOf(Math.max(...s));
    expect(redundancy(ev).reference).toBe(best);
  });

  it('a perfect reference fixes nothing: NaN fractions; a label never the target has NaN accuracy', () => {
    const m = copyHeadModel(3);
    const ev = evaluatorFor(m, { size: 64, seed: 0 });
    const t = redundancy(ev, { perfectMatch: true, reference: 3 });
    expect(t.perfectMatch).toBe(true);
    expect(t.referenceMistakes).toBe(0);
    for (const row of t.rows) expect(row.fixedFraction).toBeNaN();
    expect(t.rows[3].acc).toBe(1);
    const matched = ev.evaluate({ ablate: others(1, [5]), match: { heads: ['1:5'], strength: 1 } });
    expect(t.rows[5].acc).toBe(matched.acc);
    // every target of the set is some label; with the set's targets restricted, the others are NaN
    const labels = new Set(ev.set.batch.target);
    t.rows[0].perLabelAcc.forEach((a, l) => expect(Number.isNaN(a)).toBe(!labels.has(l)));
  });
});

describe('additivity (5.5, App. Fig. 14)', () => {
  it('heads switched on cumulatively in the order given; by decreasing strength by default', () => {
    const ev = evaluatorFor(randomParams(5), { size: 48, seed: 0 });
    const c = additivity(ev, [2, 0, 5]);
    expect(c.order).toEqual([2, 0, 5]);
    expect(c.steps.map((s) => s.heads)).toEqual([[2], [2, 0], [2, 0, 5]]);
    c.steps.forEach((s) => {
      const r = ev.evaluate({ ablate: others(1, s.heads) });
      expect([s.loss, s.acc]).toEqual([r.loss, r.acc]);
    });
    const clean = ev.evaluate({});
    expect(c.full).toEqual({ loss: clean.loss, acc: clean.acc });
    const order = byDecreasingStrength(headStrengths(ev).strength);
    expect(additivity(ev).order).toEqual(order);
    const panels = additivityPanels(ev);
    expect(panels.fromStrongest.order).toEqual(order.slice(0, -1));
    expect(panels.withoutStrongest.order).toEqual(order.slice(1, -1));
  });
});

describe('checkHeadLayers (analysis/heads.ts)', () => {
  it('both layers in 0..n − 1, integers, the induction layer after the previous-token layer', () => {
    expect(defaultHeadLayers(3)).toEqual({ prevToken: 0, induction: 2 });
    expect(checkHeadLayers({ prevToken: 0, induction: 2 }, 3)).toEqual({ prevToken: 0, induction: 2 });
    expect(() => checkHeadLayers({ prevToken: -1, induction: 2 }, 3)).toThrow(new Error('layers.prevToken: layer -1 out of range (the model has layers 0..2)'));
    expect(() => checkHeadLayers({ prevToken: 0.5, induction: 2 }, 3)).toThrow(new Error('layers.prevToken: layer 0.5 out of range (the model has layers 0..2)'));
    expect(() => checkHeadLayers({ prevToken: 3, induction: 2 }, 3)).toThrow(new Error('layers.prevToken: layer 3 out of range (the model has layers 0..2)'));
    expect(() => checkHeadLayers({ prevToken: 0, induction: 3 }, 3, 'x')).toThrow(new Error('x.induction: layer 3 out of range (the model has layers 0..2)'));
    expect(() => checkHeadLayers({ prevToken: 1, induction: 1 }, 3)).toThrow(new Error('layers.induction: layer 1 must come after the previous-token layer 1'));
  });
});
