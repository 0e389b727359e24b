/**
 * The curve helpers the checklist claims read (curves.ts): which eval rows make a curve, the last loss,
 * learning time of a run, and the words "unchanged" and "slows down" with evidence exactly at their cut-off
 * and just outside it (issue 20: a moved threshold must fail a test). Expectations are worked by hand.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/runDir.js';
import { APPROX, LEARNED, curveOf, increasing, lastLoss, learnTime, learningTimeOf, median, onPlateauAtEnd, plateau, ratio, settledBelow, slowsDown, spearman, unchanged } from './curves.js';
import type { RunEvidence } from './evidence.js';

const row = (seqs: number, set: string, loss: number | string | undefined, acc = 0.5): MetricRow => ({ kind: 'eval', seqs, step: seqs / 10, set, loss, acc });
// curveOf reads only `rows`
const runOf = (rows: MetricRow[]) => ({ id: 'r', rows }) as unknown as RunEvidence;

describe('the eval curve of a run', () => {
  const rows = [
    row(2000, 'fsl_train', 0.9, 0.25),
    row(0, 'fsl_train', 2.0, 0.125),
    row(1000, 'ic', 0.5),
    row(1000, 'fsl_train', 1.5, 0.5),
    row(3000, 'fsl_train', undefined),
    row(3000, 'ic', 0.25),
  ];

  it('curveOf keeps one set’s rows that carry a loss, sorted by sequences, default fsl_train', () => {
    expect(curveOf(runOf(rows))).toEqual([
      { seqs: 0, loss: 2.0, acc: 0.125 },
      { seqs: 1000, loss: 1.5, acc: 0.5 },
      { seqs: 2000, loss: 0.9, acc: 0.25 },
    ]);
    expect(curveOf(runOf(rows), 'ic')).toEqual([
      { seqs: 1000, loss: 0.5, acc: 0.5 },
      { seqs: 3000, loss: 0.25, acc: 0.5 },
    ]);
  });

  it('lastLoss is the loss at the largest sequence count of the set (default fsl_train), NaN with no rows', () => {
    expect(lastLoss(runOf(rows))).toBe(0.9);
    expect(lastLoss(runOf(rows), 'ic')).toBe(0.25);
    expect(lastLoss(runOf(rows), 'none')).toBeNaN();
    expect(lastLoss(runOf([]))).toBeNaN();
  });

  it('learning time: the first fsl_train eval below 0.4·ln 2, whatever other sets do; a loss exactly at it is not learned', () => {
    const at = 0.4 * Math.LN2;
    expect(LEARNED).toBe(at);
    const r = runOf([...rows, row(4000, 'fsl_train', at), row(5000, 'fsl_train', at - 1e-12), row(500, 'ic', 0.01)]);
    expect(learnTime(r)).toEqual({ seqs: 5000, learned: true });
    expect(learningTimeOf([{ seqs: 0, loss: 1 }, { seqs: 7000, loss: at }, { seqs: 9000, loss: 0.1 }])).toBe(9000);
    expect(learnTime(runOf(rows))).toEqual({ seqs: 2000, learned: false });
  });
});

describe('the words of the checklist as numbers', () => {
  it('increasing: strictly, every step', () => {
    expect(increasing([1, 2, 3])).toBe(true);
    expect(increasing([5])).toBe(true);
    expect(increasing([1, 1, 2])).toBe(false);
    expect(increasing([1, 3, 2])).toBe(false);
    expect(increasing([2, 1, 3])).toBe(false);
  });

  it('ratio is max over min, in any order', () => {
    expect(ratio([2, 8, 4])).toBe(4);
    expect(ratio([8, 2])).toBe(4);
  });

  it(`unchanged: max/min at most ${APPROX} (exactly ${APPROX} is unchanged, just above is not)`, () => {
    expect(APPROX).toBe(1.5);
    expect(unchanged([20_000, 30_000, 25_000])).toBe(true);
    expect(unchanged([20_000, 30_001, 25_000])).toBe(false);
    expect(unchanged([30_000, 20_000])).toBe(true);
  });

  it(`slowsDown: strictly increasing and last/first at least ${APPROX}`, () => {
    expect(slowsDown([20_000, 25_000, 30_000])).toBe(true);
    expect(slowsDown([20_000, 25_000, 29_999])).toBe(false);
    // the ratio alone is not enough: a dip on the way is not a slow-down
    expect(slowsDown([20_000, 19_000, 40_000])).toBe(false);
    expect(slowsDown([40_000, 20_000])).toBe(false);
  });

  it('median: the middle of the sorted values (upper middle for an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5, 1, 4, 2])).toBe(4);
    expect(median([10, 30, 20, 40, 0])).toBe(20);
  });

  it('spearman: ties share their average rank; a constant side gives 0, not NaN', () => {
    // ranks x: 0, 1.5, 1.5, 3; y: 0, 2, 1, 3 → Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/√22.5
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    expect(spearman([1, 2, 3], [7, 7, 7])).toBe(0);
    expect(spearman([7, 7, 7], [1, 2, 3])).toBe(0);
  });

  it('settledBelow: a loss equal to the level is not below it, and the first eval counts', () => {
    expect(settledBelow([{ seqs: 0, loss: 0.05 }, { seqs: 10, loss: 0.04 }], 0.1)).toBe(0);
    expect(settledBelow([{ seqs: 0, loss: 0.2 }, { seqs: 10, loss: 0.1 }, { seqs: 20, loss: 0.05 }], 0.1)).toBe(20);
    expect(settledBelow([], 0.1)).toBe(Infinity);
  });
});

describe('plateau edges', () => {
  // a fall from 2.0 to 1.0 within the first evals, then flat at 1.0 (not learned) on a 1000-sequence cadence
  const flatAfterFall = (n: number, end: (i: number) => number = () => 1.0) =>
    Array.from({ length: n }, (_, i) => ({ seqs: i * 1000, loss: i === 0 ? 2.0 : i === 1 ? 1.4 : end(i) }));

  it('onPlateauAtEnd: flat and unlearned at the last eval after the initial drop; not when learned or too short', () => {
    expect(onPlateauAtEnd(flatAfterFall(20))).toBe(true);
    // learned at the end
    expect(onPlateauAtEnd(flatAfterFall(20, (i) => (i < 19 ? 1.0 : 0.1)))).toBe(false);
    // falling steeply at the end: 1.0 until 15 000, then down by ln-steps far above 0.3 per e-fold
    expect(onPlateauAtEnd(flatAfterFall(20, (i) => (i < 16 ? 1.0 : 1.0 - 0.2 * (i - 15))))).toBe(false);
    expect(onPlateauAtEnd([{ seqs: 0, loss: 2 }, { seqs: 1000, loss: 1 }])).toBe(false);
    // flat from the first eval: it never left an initial drop
    expect(onPlateauAtEnd(Array.from({ length: 20 }, (_, i) => ({ seqs: i * 1000, loss: 1.0 })))).toBe(false);
  });

  it('fewer than 3 evals, or none past 0 sequences, have no plateau', () => {
    expect(plateau([{ seqs: 0, loss: 2 }, { seqs: 1000, loss: 1 }]).length).toBe(0);
    expect(plateau([{ seqs: 0, loss: 2 }, { seqs: 0, loss: 1 }, { seqs: 0, loss: 1 }]).from).toBeNaN();
    const three = plateau([{ seqs: 0, loss: 2 }, { seqs: 1000, loss: 1 }, { seqs: 100_000, loss: 1 }]);
    expect(three.from).toBe(1000);
    expect(three.to).toBe(100_000);
  });

  // evals 1.5× apart in sequences (ln 1.5 > ln 2^¼, so each slope is fitted over the eval and its neighbours):
  // a step of 0.5 between levels is steep at the two evals beside it (slope 0.5 / (2·ln 1.5) ≈ 0.62 > 0.3),
  // a flat stretch is not (slope 0)
  const geometric = (levels: number[]) => levels.map((loss, k) => ({ seqs: 1000 * 1.5 ** k, loss }));
  const at = (k: number) => 1000 * 1.5 ** k;

  it('of two stretches that enter a drop the longer is the plateau; a later one of equal or shorter length does not replace it', () => {
    // 2.0, then 1.5 at k = 1..8 (non-steep k = 2..7), 1.0 at k = 9..11 (non-steep k = 10 only), then learned
    const long = geometric([2.0, ...Array(8).fill(1.5), 1.0, 1.0, 1.0, 0.1, 0.1, 0.1]);
    expect(plateau(long)).toEqual({ length: at(7) - at(2), from: at(2), to: at(7), level: 1.5 });
    // reversed input: sorted by sequences first
    expect(plateau([...long].reverse())).toEqual(plateau(long));
    // two one-eval stretches (length 0 each): the first stays
    const twoPoints = geometric([2.0, 1.5, 1.5, 1.5, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1]);
    expect(plateau(twoPoints)).toEqual({ length: 0, from: at(2), to: at(2), level: 1.5 });
  });

  it('a stretch that runs into learned evals without a steep drop is no plateau, nor is a learned tail', () => {
    // 0.3 (just above 0.4·ln 2 ≈ 0.277) then 0.25, a step too small to be steep
    expect(plateau(geometric([2.0, 1.0, ...Array(6).fill(0.3), ...Array(6).fill(0.25)])).from).toBeNaN();
    expect(plateau(geometric([2.0, 1.0, ...Array(8).fill(0.1)])).from).toBeNaN();
    // one learned eval at the very end does not make the stretch before it run to the end
    expect(plateau(geometric([2.0, 1.0, ...Array(6).fill(0.3), 0.25])).from).toBeNaN();
  });

  it('a loss exactly at 0.4·ln 2 is not learned: a stretch at that level is a plateau, and on it at the end', () => {
    const curve = geometric([2.0, 1.0, ...Array(8).fill(LEARNED)]);
    expect(plateau(curve)).toEqual({ length: at(9) - at(3), from: at(3), to: at(9), level: LEARNED });
    expect(onPlateauAtEnd(curve)).toBe(true);
    // just below: learned, flat at the end, so not on a plateau
    expect(onPlateauAtEnd(geometric([2.0, 1.0, ...Array(8).fill(LEARNED - 1e-9)]))).toBe(false);
  });

  it('the initial drop ends at its first steep eval even when it falls less than 0.3 in all', () => {
    // 1.8 → 1.6: steep at k = 0 (0.2 / ln 1.5 ≈ 0.49), not at k = 1 (0.2 / (2·ln 1.5) ≈ 0.25); never 0.3 below 1.8
    const c = geometric([1.8, ...Array(8).fill(1.6)]);
    expect(plateau(c)).toEqual({ length: at(8) - at(1), from: at(1), to: at(8), level: 1.6 });
  });

  it('or, with no steep eval, at the first eval 0.3 below the first (exactly 0.3 counts), even if that is the last', () => {
    // 2.0, 1.9, 1.7 at 0, 10³, 10⁵: slopes ≤ 0.1 per e-fold, none steep; 2.0 − 0.3 is 1.7 exactly in float64
    const c = [{ seqs: 0, loss: 2.0 }, { seqs: 1000, loss: 1.9 }, { seqs: 100_000, loss: 1.7 }];
    expect(onPlateauAtEnd(c)).toBe(true);
    expect(plateau(c)).toEqual({ length: 0, from: 100_000, to: 100_000, level: 1.7 });
    expect(onPlateauAtEnd([{ seqs: 0, loss: 2.0 }, { seqs: 1000, loss: 1.9 }, { seqs: 100_000, loss: 1.75 }])).toBe(false);
  });

  it('two evals are too few even when the second is flat and 0.3 below the first', () => {
    expect(plateau([{ seqs: 1000, loss: 1.5 }, { seqs: 10_000, loss: 1.0 }]).from).toBeNaN();
    expect(onPlateauAtEnd([{ seqs: 1000, loss: 1.5 }, { seqs: 10_000, loss: 1.0 }])).toBe(false);
  });
});
