/**
 * Each checklist claim's own judgement, called directly on the few numbers it reads (no judgeClaims, no
 * full synthetic evidence, so each case takes milliseconds): evidence just inside and just outside every
 * cut-off, and the measured words written out from the checklist (paper spec 11) by hand.
 */
import { describe, expect, it } from 'vitest';
import { CLAIMS } from '../claims.js';
import type { Evidence } from '../evidence.js';
import { passingMain, tinyRun } from '../testing.js';
import { DEFAULT_PRESET_HEADS } from '../../presets.js';
import { supportThreshold } from './wiring.js';
import { PLATEAU_LEVEL } from './setup.js';

const judge = (id: number, e: Evidence) => CLAIMS.find((c) => c.id === id)!.judge(e);
const ok = (id: number, e: Evidence) => judge(id, e).ok;

/** Evidence with the main analyses of the paper's seed 5 (`passingMain`) and no runs. */
function withMain(): Evidence {
  return { runsDir: '/r', heads: { paper: DEFAULT_PRESET_HEADS }, runs: {}, dataRuns: {}, seeds: [], toy: [], main: passingMain() };
}

const tiny = tinyRun;

/** A curve that reaches loss 0.2 (learned: < 0.4·ln 2 = 0.277) first at `t`, ending at `end` at `total`. */
const learnsAt = (t: number, total = 1_000_000, end = 0.05): [number, number][] => [
  [0, 1.9],
  [t - 1, 0.7],
  [t, 0.2],
  [total, end],
];

describe('claim 1: untrained loss ≈ 1.6–2.1 at 0 sequences', () => {
  it('inclusive bounds, and the first eval must be at 0', () => {
    const at = (loss: number, first = 0) => {
      const e = withMain();
      e.runs.main = tiny('m', [[first, loss], [5000, 0.7]]);
      return judge(1, e);
    };
    expect([1.6, 2.1, 1.6 - 1e-9, 2.1 + 1e-9].map((x) => at(x).ok)).toEqual([true, true, false, false]);
    expect(at(1.8, 1000).ok).toBe(false);
    expect(at(1.6)).toEqual({ ok: true, measured: 'fsl_train loss at 0 sequences: 1.600', numbers: { untrainedLoss: 1.6 } });
    expect(at(1.8, 1000).measured).toBe('fsl_train loss at 1000 sequences: 1.800');
  });
});

describe('claim 2: the main run', () => {
  // 1.9 at 0, falls to 0.75 by 10k, flat (0.75) to 150k, drops steeply to 0.01 by 400k. The plateau ends at
  // 120k: fewer than 3 evals lie within 2^¼ of 150k, so its slope is taken over 120k, 150k, 200k and is steep.
  const flatThenDrop = (level = 0.75, floor = 0.01): [number, number][] => [
    [0, 1.9],
    [2000, 1.3],
    [5000, 0.9],
    [10_000, level],
    ...[20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 150_000].map((x) => [x, level] as [number, number]),
    [200_000, 0.2],
    [300_000, Math.max(0.03, floor)],
    [400_000, floor],
    [1_000_000, floor],
  ];
  const main = (train: [number, number][], rl = 0.1, tc = 0.1) => {
    const e = withMain();
    e.runs.main = tiny('m', train, { fsl_val_rl: [[0, 1.9], [1_000_000, rl]], fsl_test_class: [[0, 1.9], [1_000_000, tc]] });
    return e;
  };
  it('plateau near ln 2 for ≥ 5×10⁴, then < 0.05 within 10⁶; held-out sets below ln 2 / 2', () => {
    const v = judge(2, main(flatThenDrop()));
    expect(v.ok).toBe(true);
    expect(v.numbers).toMatchObject({ plateauFrom: 10_000, plateauTo: 120_000, plateauSeqs: 110_000, plateauLevel: 0.75, below005: 300_000, finalValRl: 0.1, finalTestClass: 0.1, learningTime: 200_000 });
    expect(v.measured).toBe(
      'plateau 110k (10k–120k) at median loss 0.750 (asked: 0.65–0.85); fsl_train < 0.05 from 300k; final fsl_val_rl 0.100, fsl_test_class 0.100 (ln 2 = 0.693; "well below" read as < ln 2 / 2)',
    );
    expect(PLATEAU_LEVEL).toEqual([0.65, 0.85]);
  });
  it('each part at its cut-off', () => {
    const half = Math.LN2 / 2;
    expect([ok(2, main(flatThenDrop(), half - 1e-9)), ok(2, main(flatThenDrop(), half)), ok(2, main(flatThenDrop(), 0.1, half - 1e-9)), ok(2, main(flatThenDrop(), 0.1, half))]).toEqual([true, false, true, false]);
    expect([0.65, 0.85, 0.65 - 1e-6, 0.85 + 1e-6].map((l) => ok(2, main(flatThenDrop(l))))).toEqual([true, true, false, false]);
    // never below 0.05
    const never = judge(2, main(flatThenDrop(0.75, 0.06)));
    expect([never.ok, never.numbers.below005]).toEqual([false, null]);
    expect(never.measured).toContain('fsl_train < 0.05 from never;');
    // below 0.05 only after 10⁶
    const late = flatThenDrop().map(([x, l]) => [x >= 300_000 ? x + 700_001 : x, l] as [number, number]);
    expect(judge(2, main(late)).numbers.below005).toBe(1_000_001);
    expect(ok(2, main(late))).toBe(false);
    const onTime = flatThenDrop().map(([x, l]) => [x >= 300_000 ? x + 700_000 : x, l] as [number, number]);
    expect(ok(2, main(onTime))).toBe(true);
    // a plateau of 5×10⁴ exactly, and just under: the eval one sequence after `to` is the first steep one
    const short = (to: number): [number, number][] => [[0, 1.9], [2000, 1.3], [5000, 0.9], [10_000, 0.75], [20_000, 0.75], [30_000, 0.75], [40_000, 0.75], [50_000, 0.75], [to, 0.75], [to + 1, 0.75], [to + 50_000, 0.2], [to + 150_000, 0.03], [1_000_000, 0.01]];
    expect(judge(2, main(short(60_000))).numbers.plateauSeqs).toBe(50_000);
    expect([ok(2, main(short(60_000))), ok(2, main(short(59_999)))]).toEqual([true, false]);
  });
});

describe('claims 3, 4, 6: accuracies on the full dense set', () => {
  it('3: ≥ 0.99', () => {
    const at = (acc: number) => {
      const e = withMain();
      e.main!.fullSet.full.acc = acc;
      return judge(3, e);
    };
    expect([0.99, 0.99 - 1e-9].map((a) => at(a).ok)).toEqual([true, false]);
    expect(at(0.99)).toEqual({ ok: true, measured: 'accuracy 0.9900 on the synthetic full dense set (78400)', numbers: { acc: 0.99 } });
  });
  it('4: |Δacc| < 0.005 either way', () => {
    const at = (full: number, no: number) => {
      const e = withMain();
      e.main!.fullSet.full.acc = full;
      e.main!.fullSet.noL1Direct.acc = no;
      return judge(4, e);
    };
    expect([at(1, 0.995).ok, at(0.5, 0.505).ok, at(1, 0.995 + 1e-9).ok, at(0.5, 0.505 - 1e-9).ok]).toEqual([false, false, true, true]);
    expect(at(1, 0.996)).toEqual({ ok: true, measured: 'accuracy 1.0000 → 0.9960 (Δ -0.0040) on the synthetic full dense set (78400)', numbers: { acc: 1, accNoL1Direct: 0.996, delta: expect.closeTo(-0.004, 12) } });
  });
  it('6: the worst single-head ablation ≥ 0.97, named', () => {
    const at = (acc: number, head: number) => {
      const e = withMain();
      e.main!.fullSet.ablateOne = [0, 1, 2, 3, 4, 5, 6, 7].map((h) => ({ acc: h === head ? acc : 0.99, loss: 0 }));
      return judge(6, e);
    };
    expect([at(0.97, 0).ok, at(0.97 - 1e-9, 7).ok]).toEqual([true, false]);
    expect(at(0.97, 5)).toEqual({
      ok: true,
      measured: 'accuracy with one head ablated: 0.9900, 0.9900, 0.9900, 0.9900, 0.9900, 0.9700, 0.9900, 0.9900 (min 0.9700, L2H5) on the synthetic full dense set (78400)',
      numbers: { minAcc: 0.97 },
    });
  });
});

describe('claim 5: ≥ 3 strong heads, graded, rising with the loss drop', () => {
  const STR = [0.65, 0.45, 0.6, 0.55, 0.5, 0.5, 0.51, 0.45];
  const at = (strength: number[], learned: number, riseAt = 150_000) => {
    const e = withMain();
    e.main!.ablation.strength = strength;
    e.main!.strengthCurve = [
      { seqs: 0, strength: strength.map(() => 0) },
      { seqs: riseAt, strength: strength.map((s) => s / 2) },
      { seqs: 400_000, strength },
    ];
    e.runs.main = tiny('m', learnsAt(learned));
    return judge(5, e);
  };
  it('the words and numbers', () => {
    expect(at(STR, 250_000)).toEqual({
      ok: true,
      measured:
        'final strengths 0.650, 0.450, 0.600, 0.550, 0.500, 0.500, 0.510, 0.450; 4 heads > 0.5 (L2H0, L2H2, L2H3, L2H6); spread 0.200; they reach half their final strength at 150k, 150k, 150k, 150k vs learning time 250k (largest gap 100k)',
      numbers: { headsAboveHalf: 4, spread: 0.2, learningTime: 250_000, largestRiseGap: 100_000 },
    });
  });
  it('each part at its cut-off', () => {
    // rise within ±10⁵ of the learning time, before or after
    expect([at(STR, 250_001).ok, at(STR, 50_000).ok, at(STR, 49_999).ok, at(STR, 250_000, 350_000).ok, at(STR, 250_000, 350_001).ok]).toEqual([false, true, false, true, false]);
    // three heads above 0.5 (0.5 itself is not above)
    expect(at(STR.map((s, h) => (h === 6 ? 0.5 : s)), 250_000).ok).toBe(true);
    expect(at(STR.map((s, h) => (h === 6 || h === 3 ? 0.5 : s)), 250_000).ok).toBe(false);
    // graded: a spread of 0.2
    expect(at(STR.map((s) => (s === 0.45 ? 0.46 : s)), 250_000).ok).toBe(false);
    // no strong head: no gaps
    const none = at(STR.map(() => 0.4), 250_000);
    expect([none.ok, none.numbers.largestRiseGap, none.numbers.headsAboveHalf]).toEqual([false, 0, 0]);
    expect(none.measured).toBe('final strengths 0.400, 0.400, 0.400, 0.400, 0.400, 0.400, 0.400, 0.400; 0 heads > 0.5 (); spread 0.000; they reach half their final strength at  vs learning time 250k (largest gap 0k)');
  });
  it("a head that never reaches half its final strength on the curve fails", () => {
    const e = withMain();
    e.main!.ablation.strength = STR;
    e.main!.strengthCurve = [{ seqs: 0, strength: STR.map(() => 0) }, { seqs: 250_000, strength: STR.map((s, h) => (h === 0 ? 0.3 : s)) }];
    e.runs.main = tiny('m', learnsAt(250_000));
    expect(judge(5, e).ok).toBe(false);
    e.main!.strengthCurve[1].strength[0] = 0.325;
    expect(judge(5, e).ok).toBe(true);
  });
});

describe('claim 7: only-head accuracy rises with strength (ρ ≥ 0.7), the strongest alone ≥ 0.9', () => {
  const STR = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const at = (ranks: number[], top = 0.9) => {
    const e = withMain();
    e.main!.ablation.strength = STR;
    e.main!.ablation.onlyOne = ranks.map((r) => ({ acc: r === 8 ? top : r / 10, loss: 1 }));
    return judge(7, e);
  };
  // Spearman without ties: 1 − 6 Σd² / (n (n² − 1)), n = 8
  const rho = (sumD2: number) => 1 - (6 * sumD2) / (8 * 63);
  it('Σd² = 24 passes, 26 fails; the strongest head alone at 0.9', () => {
    const pass = at([3, 2, 1, 6, 7, 4, 5, 8]);
    expect(pass.ok).toBe(true);
    expect(pass.numbers).toEqual({ spearman: expect.closeTo(rho(24), 12), strongestHead: 7, strongestAlone: 0.9 });
    expect(pass.measured).toBe('only-head accuracy 0.300, 0.200, 0.100, 0.600, 0.700, 0.400, 0.500, 0.900; Spearman ρ(strength, accuracy) = 0.714; strongest head L2H7 alone: 0.9000');
    const fail = at([3, 2, 1, 6, 7, 5, 4, 8]);
    expect([fail.ok, fail.numbers.spearman]).toEqual([false, expect.closeTo(rho(26), 12)]);
    expect(at([3, 2, 1, 6, 7, 4, 5, 8], 0.9 - 1e-9).ok).toBe(false);
  });
  it('the strongest head is the one with the highest strength, wherever it is', () => {
    const e = withMain();
    e.main!.ablation.strength = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
    e.main!.ablation.onlyOne = [0.95, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((acc) => ({ acc, loss: 1 }));
    expect(judge(7, e)).toMatchObject({ ok: true, numbers: { spearman: 1, strongestHead: 0, strongestAlone: 0.95 } });
    e.main!.ablation.onlyOne[0].acc = 0.85;
    expect(judge(7, e).ok).toBe(false);
  });
});

describe('claim 8: additivity', () => {
  const at = (losses: number[]) => {
    const e = withMain();
    e.main!.additivity.fromStrongest.steps = losses.map((loss, i) => ({ loss, acc: 1 - loss, heads: [i] }));
    return judge(8, e);
  };
  it('monotone up to 10⁻⁴', () => {
    expect(at([0.5, 0.25, 0.25 + 0.00009])).toEqual({ ok: true, measured: 'loss with the k strongest heads active, k = 1..3: 0.5000, 0.2500, 0.2501', numbers: { first: 0.5, last: 0.25009 } });
    expect(at([0.5, 0.25, 0.25 + 0.00011]).ok).toBe(false);
    expect(at([0.5, 0.5 + 0.00011, 0.1]).ok).toBe(false);
    expect(at([0.5]).ok).toBe(true);
  });
});

describe('claim 9: single-head training', () => {
  const at = (times: number[], finals = times.map(() => 0.05)) => {
    const e = withMain();
    times.forEach((t, h) => (e.runs[`only:${h}`] = tiny(`o${h}`, learnsAt(t, 1_000_000, finals[h]))));
    return judge(9, e);
  };
  const T = [150_000, 200_000, 160_000, 170_000, 180_000, 190_000, 155_000, 165_000];
  it('slowest/fastest in [2/1.5, 2·1.5]; every final loss < 0.1', () => {
    expect(at(T)).toEqual({
      ok: true,
      measured: 'final loss 0.050, 0.050, 0.050, 0.050, 0.050, 0.050, 0.050, 0.050; learning times 150k, 200k, 160k, 170k, 180k, 190k, 155k, 165k (slowest/fastest 1.33×; asked ≈ 2×: 1.33–3.00)',
      numbers: { worstFinalLoss: 0.05, slowestOverFastest: 200_000 / 150_000 },
    });
    expect(at(T.map((t, h) => (h === 1 ? 199_999 : t))).ok).toBe(false);
    expect(at(T.map((t, h) => (h === 1 ? 450_000 : t))).ok).toBe(true);
    expect(at(T.map((t, h) => (h === 1 ? 450_001 : t))).ok).toBe(false);
    const finals = T.map(() => 0.05);
    finals[4] = 0.1;
    expect(at(T, finals)).toMatchObject({ ok: false, numbers: { worstFinalLoss: 0.1 } });
    finals[4] = 0.1 - 1e-9;
    expect(at(T, finals).ok).toBe(true);
  });
});

describe('claim 10: perfected-match heads differ and err on different labels', () => {
  const at = (accs: number[], worst: number[], mistakes = accs.map(() => 10)) => {
    const e = withMain();
    e.main!.redundancyPerfect.rows = accs.map((acc, head) => ({
      head,
      acc,
      loss: 1,
      mistakes: mistakes[head],
      fixedFraction: 0,
      perLabelAcc: [],
      mistakesByTarget: [0, 1, 2, 3, 4].map((l) => (l === worst[head] ? 9 : 1)),
      mistakesByPrediction: [],
    }));
    return judge(10, e);
  };
  it('a spread of 0.05 and two distinct worst labels', () => {
    expect(at([0.06, 0.11, 0.08], [0, 1, 1])).toEqual({
      ok: true,
      measured: 'perfected-match accuracy per head 0.060, 0.110, 0.080 (spread 0.050); most-missed label per head 0, 1, 1 (2 distinct)',
      numbers: { accSpread: 0.11 - 0.06, distinctWorstLabels: 2 },
    });
    expect(at([0.06, 0.109, 0.08], [0, 1, 1]).ok).toBe(false);
    expect(at([0.06, 0.11, 0.08], [2, 2, 2]).ok).toBe(false);
    // a head with fewer than 5 mistakes has no most-missed label
    expect(at([0.06, 0.11, 0.08], [0, 1, 1], [10, 4, 4]).measured).toBe('perfected-match accuracy per head 0.060, 0.110, 0.080 (spread 0.050); most-missed label per head 0 (1 distinct)');
    expect(at([0.06, 0.11, 0.08], [0, 1, 1], [10, 5, 4]).ok).toBe(true);
  });
});

describe('claim 11: value- and pattern-preserving ablations', () => {
  const at = (ptV: number, ptP: number, restV: number, restP: number) => {
    const e = withMain();
    e.main!.ablation.full.acc = 1;
    e.main!.table1 = [
      { heads: [1, 2, 5], patternPreserving: ptP, valuePreserving: ptV },
      { heads: [0, 3], patternPreserving: restP, valuePreserving: restV },
    ];
    return judge(11, e);
  };
  it('drops of ≳ 0.2 (read as ≥ 0.2/1.5) where they should hurt, < 0.05 where they should not', () => {
    expect(at(0.8, 0.99, 0.99, 0.8)).toEqual({
      ok: true,
      measured: 'previous-token heads (score at labels ≥ half the best: L1 1,2,5): value-preserving 0.8000, pattern-preserving 0.9900; other heads (L1 0,3): value-preserving 0.9900, pattern-preserving 0.8000; unablated 1.0000',
      numbers: { ptValuePreserving: 0.8, ptPatternPreserving: 0.99, restValuePreserving: 0.99, restPatternPreserving: 0.8 },
    });
    const hurt = 1 - 0.2 / 1.5;
    expect([at(hurt - 1e-9, 0.99, 0.99, 0.8).ok, at(hurt + 1e-9, 0.99, 0.99, 0.8).ok]).toEqual([true, false]);
    expect([at(0.8, 0.99, 0.99, hurt - 1e-9).ok, at(0.8, 0.99, 0.99, hurt + 1e-9).ok]).toEqual([true, false]);
    expect([at(0.8, 0.95 + 1e-9, 0.99, 0.8).ok, at(0.8, 0.95 - 1e-9, 0.99, 0.8).ok]).toEqual([true, false]);
    expect([at(0.8, 0.99, 0.95 + 1e-9, 0.8).ok, at(0.8, 0.99, 0.95 - 1e-9, 0.8).ok]).toEqual([true, false]);
  });
});

describe('claim 12: many-to-many wiring beyond 3 standard errors', () => {
  it('supportThreshold: 3 s.e. of a difference of two accuracies, never under 1 point', () => {
    expect(supportThreshold(0.5, 4000)).toBeCloseTo(3 * Math.sqrt(0.5 / 4000), 15);
    expect(supportThreshold(0.9, 1000)).toBeCloseTo(3 * Math.sqrt(0.18 / 1000), 15);
    expect(supportThreshold(0.99, 78_400)).toBe(0.01);
    expect(supportThreshold(0.5, 45_000)).toBeCloseTo(3 * Math.sqrt(0.5 / 45_000), 15);
  });
  const zero = () => [0, 1, 2, 3, 4, 5, 6, 7].map(() => [0, 0, 0, 0, 0, 0, 0, 0]);
  const at = (pv: [number, number, number][], pp: [number, number, number][], n = 4000) => {
    const e = withMain();
    e.main!.denseSize = n;
    const w = e.main!.wiring;
    w.baseline = w.baseline.map(() => 0.5);
    w.Mpv = zero();
    w.Mpp = zero();
    for (const [i, j, v] of pv) w.Mpv[i][j] = v;
    for (const [i, j, v] of pp) w.Mpp[i][j] = v;
    return judge(12, e);
  };
  const bar = 3 * Math.sqrt(0.5 / 4000);
  it('an IH with two supporters and an L1 head supporting two IHs', () => {
    const d = -(bar + 1e-6);
    expect(at([[3, 0, d], [3, 1, d]], [[5, 0, d]])).toEqual({
      ok: true,
      measured: 'Layer-1 heads supporting each L2 head (Δacc beyond 3 s.e. on 4000 sequences: 0.034, 0.034, 0.034, 0.034, 0.034, 0.034, 0.034, 0.034): 0, 0, 0, 2, 0, 1, 0, 0; L2 heads each L1 head supports: 2, 1, 0, 0, 0, 0, 0, 0',
      numbers: { maxSupportersOfOneIh: 2, maxIhsOfOneL1: 2, denseSize: 4000 },
    });
    expect(at([[3, 0, d], [3, 1, -(bar - 1e-6)]], [[5, 0, d]]).numbers).toEqual({ maxSupportersOfOneIh: 1, maxIhsOfOneL1: 2, denseSize: 4000 });
    expect(at([[3, 0, d], [3, 1, d]], [[5, 0, -(bar - 1e-6)]]).ok).toBe(false);
    expect(at([[3, 0, d], [3, 1, d]], []).ok).toBe(false);
    expect(at([[3, 0, d]], [[5, 0, d]]).ok).toBe(false);
    // a pattern-preserving drop supports as well as a value-preserving one; a gain never does
    expect(at([[3, 0, d], [5, 0, d]], [[3, 1, d]]).ok).toBe(true);
    expect(at([[3, 0, d], [5, 0, d], [3, 1, -d]], [[3, 1, -d]]).ok).toBe(false);
    // the bar follows the dense set's size: on 78,400 sequences 1 point is enough
    expect(at([[3, 0, -0.0101], [3, 1, -0.0101]], [[5, 0, -0.0101]], 78_400).ok).toBe(true);
    expect(at([[3, 0, -0.0101], [3, 1, -0.0101]], [[5, 0, -0.0101]], 4000).ok).toBe(false);
  });
});

describe('claim 21: previous-token clamps', () => {
  const at = (all: number, pt: number, none: number, withPtHeads = true) => {
    const e = withMain();
    if (!withPtHeads) delete e.main;
    e.runs['fig8:all'] = tiny('a', learnsAt(all));
    e.runs['fig8:ptgroup'] = tiny('p', learnsAt(pt));
    e.runs['fig5b:none'] = tiny('n', learnsAt(none));
    return judge(21, e);
  };
  it('all eight ≥ 1.2× later, the PT group ≥ 1.2× earlier than no clamp', () => {
    expect(at(120_000, 80_000, 100_000)).toEqual({
      ok: true,
      measured: "learning time: all eight clamped 120k (1.20× unclamped), the previous-token group clamped 80k (0.80×), unclamped 100k (Table 1's group on the dense set: L1 1,2,5)",
      numbers: { allEight: 120_000, ptGroup: 80_000, unclamped: 100_000 },
    });
    expect(at(119_999, 80_000, 100_000).ok).toBe(false);
    expect([at(150_000, 100_000, 120_000).ok, at(150_000, 100_001, 120_000).ok]).toEqual([true, false]);
    expect(at(120_000, 80_000, 100_000, false).measured).toBe('learning time: all eight clamped 120k (1.20× unclamped), the previous-token group clamped 80k (0.80×), unclamped 100k');
  });
});
