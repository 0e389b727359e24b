/**
 * The plateau statistic (curves.ts) on synthetic curves whose plateau is known by construction: where
 * the initial exponential fall has died out (≈ 3 e-folding lengths) to where the sigmoidal drop begins
 * (≈ 4 sigmoid widths before its centre), so the expected bounds are computed from the curve's
 * parameters, not from the code under test.
 */
import { describe, expect, it } from 'vitest';
import { LEARNED, NO_PLATEAU, plateau, settledBelow, spearman } from './curves.js';
import { lossAt } from './testing.js';

const LN2 = Math.LN2;
const curve = (f: (x: number) => number, total: number, every: number) => Array.from({ length: Math.floor(total / every) + 1 }, (_, i) => ({ seqs: i * every, loss: f(i * every) }));
/** Deterministic noise in [−a, a] (a linear congruential generator), so a test is reproducible. */
function noise(a: number, seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return a * (2 * (s / 2 ** 31) - 1);
  };
}
// testing.ts's shapes: initial fall with e-folding 10⁴, sigmoid of width 1.2×10⁴ around `drop`.
const TAU = 10_000;
const WIDTH = 12_000;

describe('plateau', () => {
  it("finds the paper's Fig. 3a plateau between the initial fall and the sigmoidal drop, at its level", () => {
    const drop = 260_000;
    const p = plateau(curve((x) => lossAt(x, { start: 1.9, drop }), 1e6, 5000));
    expect(p.from).toBeGreaterThanOrEqual(1.5 * TAU);
    expect(p.from).toBeLessThanOrEqual(4 * TAU);
    expect(p.to).toBeGreaterThanOrEqual(drop - 6 * WIDTH);
    expect(p.to).toBeLessThanOrEqual(drop - 2 * WIDTH);
    expect(p.level).toBeCloseTo(LN2 + 0.02, 2);
  });

  it('keeps a slowly falling shoulder (0.85 at 5×10⁴, 0.75 at 8×10⁴, 0.70 at 10⁵) as one plateau that a band test cut at 39k', () => {
    // Fast fall to 0.95 by 3×10⁴, then loss = 0.85 − 0.22·ln(x / 5×10⁴) (0.85, 0.75, 0.70 at the
    // issue's points), then a sigmoid around 2.25×10⁵ (this data's PT-clamped run, claim 13).
    const shoulder = (x: number) => 0.85 - 0.22 * Math.log(Math.max(x, 30_000) / 50_000);
    const f = (x: number) => {
      const base = x < 30_000 ? 1.9 + (shoulder(30_000) - 1.9) * (1 - Math.exp(-x / 6000)) / (1 - Math.exp(-5)) : shoulder(x);
      return 0.001 + (base - 0.001) / (1 + Math.exp((x - 225_000) / WIDTH));
    };
    expect([f(50_000), f(80_000), f(100_000)].map((x) => +x.toFixed(2))).toEqual([0.85, 0.75, 0.7]);
    const p = plateau(curve(f, 600_000, 1000));
    expect(p.from).toBeLessThanOrEqual(50_000);
    expect(p.to).toBeGreaterThanOrEqual(150_000);
    expect(p.length).toBeGreaterThanOrEqual(100_000);
  });

  it('is robust to eval noise: ±0.03 on every eval of a 1000-sequence cadence does not split the plateau', () => {
    const n = noise(0.03);
    const p = plateau(curve((x) => lossAt(x, { start: 1.9, drop: 300_000 }) + (x > 0 ? n() : 0), 600_000, 1000));
    expect(p.from).toBeLessThanOrEqual(4 * TAU);
    expect(p.to).toBeGreaterThanOrEqual(300_000 - 6 * WIDTH);
  });

  it('a smooth decay has no plateau (at most the few thousand sequences where it turns steep), wherever it starts and however slow it is', () => {
    for (const [start, tau] of [
      [0.8, 8_000],
      [0.8, 40_000],
      [1.65, 15_000],
      [1.8, 110_000],
      [1.8, 300_000],
    ])
      expect(plateau(curve((x) => lossAt(x, { start, drop: null, tau }), 800_000, 1000)).length, `${start}, ${tau}`).toBeLessThanOrEqual(NO_PLATEAU / 5);
  });

  it('a plateau that lasts to the last eval counts; a fall too shallow to be steep still ends the initial drop', () => {
    // Never learns: plateau from the end of the fall to the end of the run.
    const never = plateau(curve((x) => lossAt(x, { start: 1.9, drop: 2e6 }), 400_000, 5000));
    expect(never.to).toBe(400_000);
    // 1.2 → ln 2 + 0.02: the initial fall is 0.49, never 0.3 per e-fold, but it is a plateau once 0.3 down.
    const shallow = plateau(curve((x) => lossAt(x, { start: 1.2, drop: 440_000 }), 600_000, 5000));
    expect(shallow.from).toBeLessThanOrEqual(2 * TAU);
    expect(shallow.length).toBeGreaterThanOrEqual(300_000);
  });

  it('stops at the learned level: the converged tail after a drop is not a plateau', () => {
    const p = plateau(curve((x) => lossAt(x, { start: 1.9, drop: 100_000 }), 1e6, 5000));
    expect(p.to).toBeLessThan(100_000);
    expect(curve((x) => lossAt(x, { start: 1.9, drop: 100_000 }), 1e6, 5000).find((q) => q.seqs === p.to)!.loss).toBeGreaterThanOrEqual(LEARNED);
  });
});

describe('other curve statistics', () => {
  it('settledBelow: the first eval from which the loss stays below the level', () => {
    const pts = [0.5, 0.09, 0.2, 0.08, 0.05, 0.07].map((loss, i) => ({ seqs: i * 1000, loss }));
    expect(settledBelow(pts, 0.1)).toBe(3000);
    expect(settledBelow([...pts, { seqs: 6000, loss: 0.3 }], 0.1)).toBe(Infinity);
  });

  it('spearman: ±1 for monotone relations, average ranks for ties, by hand for a small case', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // ranks x: 0,1,2,3; y: 0,2,1,3 → ρ = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·2/60 = 0.8.
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 1, 2], [5, 5, 6])).toBeCloseTo(1, 12);
  });
});
