/**
 * The toy model (toyModel.ts) at its edges, each number worked out here: PM1 of zero and of parallel or
 * orthogonal vectors, two gradient-descent steps of every condition replayed from the closed-form gradient
 * written again here (clamped vectors reset to their targets, 'c' leaving b free), the iteration counts of
 * `itersToFraction` at and around its target, and each option's bounds.
 */
import { describe, expect, it } from 'vitest';
import { itersToFraction, runToy, TOY_CONDITIONS, toyInit, toyPm1, type ToyState } from './toyModel.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const state = (a: number[], aT: number[]): ToyState => ({ a: f64(a), b: f64([1, 0]), c: f64([1, 0]), aT: f64(aT), bT: f64([1, 0]), cT: f64([1, 0]) });

describe('toy model edges', () => {
  it('PM1: 1 for a zero vector or target, 0 when parallel (either sign), 1 when orthogonal, 1 − cos² between', () => {
    expect(toyPm1(state([0, 0], [1, 2]))).toBe(1);
    expect(toyPm1(state([1, 2], [0, 0]))).toBe(1);
    expect(toyPm1(state([2, 4], [1, 2]))).toBeCloseTo(0, 15);
    expect(toyPm1(state([-1, -2], [1, 2]))).toBeCloseTo(0, 15);
    expect(toyPm1(state([2, 0], [0, 3]))).toBe(1);
    // a = (1, 1), a* = (1, 0): cos² = 1/2
    expect(toyPm1(state([1, 1], [3, 0]))).toBeCloseTo(0.5, 15);
    // a = (1, 2), a* = (3, 1): cos² = 25 / (5 · 10)
    expect(toyPm1(state([1, 2], [3, 1]))).toBeCloseTo(0.5, 15);
    expect(toyPm1(state([2, 1], [1, 0]))).toBeCloseTo(1 - 4 / 5, 15);
  });

  for (const condition of TOY_CONDITIONS)
    it(`'${condition}': two steps replayed from the closed-form gradient, clamped vectors at their targets`, () => {
      const dim = 3;
      const lr = 0.7;
      const r = runToy({ seed: 4, dim, lr, iters: 2, condition });
      const s = toyInit(4, dim);
      const v = { a: Array.from(s.a), b: Array.from(s.b), c: Array.from(s.c) };
      const T = { a: Array.from(s.aT), b: Array.from(s.bT), c: Array.from(s.cT) };
      const reset = () => {
        if (condition !== 'none') v.c = [...T.c];
        if (condition === 'bc') v.b = [...T.b];
      };
      const dot = (x: number[], y: number[]) => x.reduce((acc, xi, i) => acc + xi * y[i], 0);
      const loss = () => {
        // the triple sum itself, ½ n⁻³ Σ (a*_i b*_j c*_k − a_i b_j c_k)²
        let sum = 0;
        for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) for (let k = 0; k < dim; k++) sum += (T.a[i] * T.b[j] * T.c[k] - v.a[i] * v.b[j] * v.c[k]) ** 2;
        return (0.5 * sum) / dim ** 3;
      };
      reset();
      const want = [loss()];
      for (let t = 0; t < 2; t++) {
        const g = (x: 'a' | 'b' | 'c', o1: 'a' | 'b' | 'c', o2: 'a' | 'b' | 'c') =>
          v[x].map((xi, i) => (dot(v[o1], v[o1]) * dot(v[o2], v[o2]) * xi - dot(v[o1], T[o1]) * dot(v[o2], T[o2]) * T[x][i]) / dim ** 3);
        const [ga, gb, gc] = [g('a', 'b', 'c'), g('b', 'a', 'c'), g('c', 'a', 'b')];
        v.a = v.a.map((x, i) => x - lr * ga[i]);
        v.b = v.b.map((x, i) => x - lr * gb[i]);
        v.c = v.c.map((x, i) => x - lr * gc[i]);
        reset();
        want.push(loss());
      }
      expect(r.loss).toHaveLength(3);
      expect(r.pm1).toHaveLength(3);
      expect(r.pm2).toHaveLength(3);
      r.loss.forEach((l, t) => expect(l, `loss ${t}`).toBeCloseTo(want[t], 12));
      // PM1 of the last state: 1 − cos²(a, a*)
      const cos2 = dot(v.a, T.a) ** 2 / (dot(v.a, v.a) * dot(T.a, T.a));
      expect(r.pm1[2]).toBeCloseTo(1 - cos2, 12);
    });

  it('the conditions differ: c alone leaves b learning', () => {
    const [none, c, bc] = TOY_CONDITIONS.map((condition) => runToy({ seed: 2, dim: 4, iters: 3, condition }).loss);
    expect(TOY_CONDITIONS).toEqual(['none', 'c', 'bc']);
    expect(c[3]).not.toBe(bc[3]);
    expect(c[3]).not.toBe(none[3]);
  });

  it('zero iterations give the initial state only; bad options are refused with their values', () => {
    const r = runToy({ seed: 1, dim: 2, iters: 0, condition: 'none' });
    expect(r.loss).toHaveLength(1);
    expect(() => runToy({ seed: 1, iters: -1, condition: 'none' })).toThrow('toy: iters must be a non-negative integer, got -1');
    expect(() => runToy({ seed: 1, iters: 1.5, condition: 'none' })).toThrow('toy: iters must be a non-negative integer, got 1.5');
    expect(() => runToy({ seed: 1, dim: 0, condition: 'none' })).toThrow('toy: dim must be a positive integer, got 0');
    expect(() => runToy({ seed: 1, condition: 'b' as never })).toThrow("toy: unknown condition 'b'");
  });

  it('itersToFraction: the first loss at or below fraction × the first, null when never or empty', () => {
    expect(itersToFraction([])).toBeNull();
    expect(itersToFraction([10, 5, 1, 0.1])).toBe(3);
    expect(itersToFraction([10, 5, 0.1, 0.05])).toBe(2); // exactly 1%
    expect(itersToFraction([10, 5, 0.2], 0.5)).toBe(1); // exactly half
    expect(itersToFraction([10, 6, 0.2], 0.5)).toBe(2);
    expect(itersToFraction([10, 9, 8])).toBeNull();
    expect(itersToFraction([0, 1])).toBe(0); // a zero start is at its own target at once
    expect(itersToFraction([4, 2], 0.25)).toBeNull();
    expect(itersToFraction([4, 1], 0.25)).toBe(1);
  });
});
