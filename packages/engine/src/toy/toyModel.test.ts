import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { itersToFraction, runToy, toyGrad, toyInit, toyLoss, toyPm1, toyPm2, type ToyState } from './toyModel.js';

/** Σ_ijk (T_ijk − a_i b_j c_k)² / (2 n³), the definition the closed form replaces. */
function tripleSumLoss(s: ToyState): number {
  const n = s.a.length;
  let sum = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) {
        const d = s.aT[i]! * s.bT[j]! * s.cT[k]! - s.a[i]! * s.b[j]! * s.c[k]!;
        sum += d * d;
      }
  return (0.5 * sum) / (n * n * n);
}

/** Longest run of consecutive iterations over which the loss stays within ±5% of the run's first value, while > 10× the final loss. */
function longestPlateau(loss: number[]): number {
  const final = loss[loss.length - 1]!;
  let best = 0;
  for (let s = 0; s < loss.length; s++) {
    const ref = loss[s]!;
    if (!(ref > 10 * final && ref > 0.1 * loss[0]!)) continue;
    let e = s;
    while (e + 1 < loss.length && Math.abs(loss[e + 1]! - ref) < 0.05 * ref && loss[e + 1]! > 10 * final) e++;
    best = Math.max(best, e - s);
  }
  return best;
}

describe('toy model of phase changes (spec 6)', () => {
  it('closed-form loss equals the explicit triple sum', () => {
    for (const seed of [1, 2, 3]) {
      const s = toyInit(seed, 6);
      expect(toyLoss(s)).toBeCloseTo(tripleSumLoss(s), 12);
      // and at a partly fitted point
      const t: ToyState = { ...s, b: s.bT.slice(), c: s.c.map((v, i) => 0.5 * v + 0.5 * s.cT[i]!) };
      expect(toyLoss(t)).toBeCloseTo(tripleSumLoss(t), 12);
    }
  });

  it('analytic gradient matches central finite differences', () => {
    const s = toyInit(7, 5);
    const g = toyGrad(s);
    const h = 1e-6;
    for (const v of ['a', 'b', 'c'] as const) {
      for (let i = 0; i < 5; i++) {
        const plus = { ...s, [v]: s[v].slice() };
        const minus = { ...s, [v]: s[v].slice() };
        plus[v][i]! += h;
        minus[v][i]! -= h;
        const fd = (toyLoss(plus) - toyLoss(minus)) / (2 * h);
        expect(Math.abs(fd - g[v][i]!)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('is deterministic per seed and starts from N(0, I) draws of the engine Rng', () => {
    const r1 = runToy({ seed: 3, condition: 'none', iters: 20 });
    const r2 = runToy({ seed: 3, condition: 'none', iters: 20 });
    expect(r1).toEqual(r2);
    expect(r1.loss).toHaveLength(21);
    const rng = new Rng(3);
    expect(toyInit(3).aT[0]).toBe(rng.normal());
  });

  it('with b and c clamped, the loss equals PM2 at every iteration once a·a* ≥ 0 (a short prefix at most differs)', () => {
    // PM2 takes the better sign of a, so it equals the loss exactly when a·a* ≥ 0. Under the b,c clamp the update
    // is a ← a + η(a* − a) with small η, so a random init with a·a* < 0 needs a few iterations to turn round:
    // measured on seeds 1-10, the loss and PM2 differ only at iterations 0..k with k ≤ 8.
    let differing = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const r = runToy({ seed, condition: 'bc' });
      const equal = r.loss.map((l, t) => Math.abs(l - r.pm2[t]!) <= 1e-12 * Math.max(1, l));
      const first = equal.indexOf(true);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(10);
      expect(equal.slice(first).every(Boolean)).toBe(true);
      for (let t = 0; t < r.loss.length; t++) expect(r.pm2[t]!).toBeLessThanOrEqual(r.loss[t]! + 1e-15);
      differing += first;
    }
    expect(differing).toBeGreaterThan(0); // the prefix case is exercised
  });

  it('PM1 and PM2 are zero at the target and PM1 is scale-invariant', () => {
    const s = toyInit(2, 20);
    const perfect = { ...s, a: s.aT.slice(), b: s.bT.slice(), c: s.cT.slice() };
    expect(toyLoss(perfect)).toBe(0);
    expect(toyPm1(perfect)).toBeCloseTo(0, 12);
    expect(toyPm2({ ...perfect, a: perfect.a.map((v) => -3 * v).map((v) => v / 3) })).toBeCloseTo(0, 12);
    expect(toyPm1({ ...s, a: s.aT.map((v) => -2 * v) })).toBeCloseTo(0, 12);
  });

  it('clamping b,c reaches 1% of the initial loss faster than no clamp, and no clamp shows a plateau', () => {
    for (const seed of [1, 3, 4, 5, 7, 8]) {
      const none = runToy({ seed, condition: 'none' });
      const bc = runToy({ seed, condition: 'bc' });
      const tNone = itersToFraction(none.loss) ?? Infinity;
      const tBc = itersToFraction(bc.loss);
      expect(tBc).not.toBeNull();
      expect(tBc!).toBeLessThan(tNone);
      expect(longestPlateau(none.loss)).toBeGreaterThanOrEqual(50);
      // b,c clamped: no plateau, smooth decay (the loss never rises).
      for (let t = 1; t < bc.loss.length && bc.loss[t]! > 1e-9 * bc.loss[0]!; t++) expect(bc.loss[t]!).toBeLessThanOrEqual(bc.loss[t - 1]!);
    }
  });

  it('hidden progress: during the unclamped plateau PM2 falls while the loss is flat', () => {
    const r = runToy({ seed: 1, condition: 'none' });
    const t1 = itersToFraction(r.loss)!;
    // inside the plateau (first 60% of the time to 1%)
    const a = Math.floor(0.2 * t1), b = Math.floor(0.6 * t1);
    expect(Math.abs(r.loss[b]! - r.loss[a]!) / r.loss[a]!).toBeLessThan(0.1);
    expect(r.pm2[b]!).toBeLessThan(r.pm2[a]!);
  });

  it('rejects bad options', () => {
    expect(() => runToy({ seed: 1, condition: 'x' as never })).toThrow(/condition/);
    expect(() => runToy({ seed: 1, condition: 'none', dim: 0 })).toThrow(/dim/);
  });
});
