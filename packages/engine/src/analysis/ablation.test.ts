import { describe, expect, it } from 'vitest';
import { ablationVsStrength, additivity, additivityPanels, byDecreasingStrength, redundancy } from './ablation.js';
import { copyHeadModel } from './testing/copyHead.js';
import { CFG, evaluatorFor, randomParams } from './testing/fixture.js';

const H = CFG.nHeads;
const LIVE = 3;

describe('ablation vs strength (spec 5.3) on a hand-built single copy head', () => {
  const ev = evaluatorFor(copyHeadModel(LIVE));
  const t = ev.set.batch.target;
  const pTarget0 = t.filter((x) => x === 0).length / t.length;
  const r = ablationVsStrength(ev);

  it('uniform attention (W_q = W_k = 0) has induction strength exactly 0', () => {
    expect(r.strength).toEqual(new Array(H).fill(0));
  });

  it('ablating a dead head changes nothing; only a dead head active leaves constant logits (loss ln 5)', () => {
    for (let h = 0; h < H; h++) {
      if (h === LIVE) continue;
      expect(r.ablateOne[h]).toEqual(r.full);
      expect(r.onlyOne[h].loss).toBeCloseTo(Math.log(5), 5);
      expect(r.onlyOne[h].acc).toBeCloseTo(pTarget0, 10); // ties go to label 0
    }
    expect(r.onlyOne[LIVE]).toEqual(r.full);
    expect(r.ablateOne[LIVE].loss).toBeCloseTo(Math.log(5), 5);
  });
});

describe('redundancy and per-label specificity (spec 5.4)', () => {
  const ev = evaluatorFor(copyHeadModel(LIVE));
  const t = ev.set.batch.target;
  const n = t.length;
  const pTarget0 = t.filter((x) => x === 0).length / n;

  it('Table 3: the perfected copy head is always right and fixes every mistake of a dead reference head', () => {
    const tab = redundancy(ev, { perfectMatch: true, reference: 0 });
    expect(tab.referenceMistakes).toBe(Math.round(n * (1 - pTarget0)));
    const live = tab.rows[LIVE];
    expect(live.acc).toBe(1);
    expect(live.mistakes).toBe(0);
    expect(live.fixedFraction).toBe(1);
    expect(live.perLabelAcc).toEqual([1, 1, 1, 1, 1]);
    for (const h of [0, 1, 2, 4, 5, 6, 7]) {
      const row = tab.rows[h];
      expect(row.acc).toBeCloseTo(pTarget0, 10);
      expect(row.fixedFraction).toBe(0); // dead heads make the same mistakes as the dead reference
      expect(row.perLabelAcc).toEqual([1, 0, 0, 0, 0]);
      // Every mistake predicts label 0; mistakes by target = the non-zero targets.
      expect(row.mistakesByPrediction).toEqual([row.mistakes, 0, 0, 0, 0]);
      expect(row.mistakesByTarget.reduce((a, b) => a + b, 0)).toBe(row.mistakes);
      expect(row.mistakesByTarget[0]).toBe(0);
    }
  });

  it('defaults the reference to the strongest head', () => {
    const tab = redundancy(ev, { perfectMatch: false });
    expect(tab.reference).toBe(0); // all strengths are 0: the first head
    expect(tab.perfectMatch).toBe(false);
    expect(tab.rows[1].acc).toBeCloseTo(pTarget0, 10);
  });
});

describe('additivity (spec 5.5)', () => {
  const ev = evaluatorFor(randomParams(21), { size: 400, seed: 0 });
  const base = ablationVsStrength(ev);

  it('a single head equals "only that head"; all heads equal the unablated model', () => {
    for (const h of [0, 5]) {
      const a = additivity(ev, [h]);
      expect(a.steps[0].loss).toBe(base.onlyOne[h].loss);
      expect(a.steps[0].acc).toBe(base.onlyOne[h].acc);
    }
    const all = additivity(ev, [7, 6, 5, 4, 3, 2, 1, 0]);
    expect(all.steps[7].loss).toBe(base.full.loss);
    expect(all.steps.map((s) => s.heads.length)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('defaults to decreasing induction strength; the panels drop the weakest (and the strongest) head', () => {
    const order = byDecreasingStrength(base.strength);
    expect(additivity(ev).order).toEqual(order);
    const panels = additivityPanels(ev);
    expect(panels.fromStrongest.order).toEqual(order.slice(0, 7));
    expect(panels.withoutStrongest.order).toEqual(order.slice(1, 7));
    expect(byDecreasingStrength([0.418, 0.736, 0.708, 0.845, 0.289, 0.553, 0.104, 0.57])).toEqual([3, 1, 2, 7, 5, 0, 4, 6]);
  });
});
