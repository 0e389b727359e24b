import { describe, expect, it } from 'vitest';
import { emaSmooth } from './smoothing.js';

describe("emaSmooth (TensorBoard's debiased EMA)", () => {
  it('matches the formula worked by hand', () => {
    // w = 0.5 on [1, 0, 4]: last 0.5, 0.25, 2.125; debias 0.5, 0.75, 0.875.
    const s = emaSmooth([1, 0, 4], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(0.25 / 0.75, 12);
    expect(s[2]).toBeCloseTo(2.125 / 0.875, 12);
  });
  it('has no pull towards zero at the start, keeps constants and non-finite values, and 0 is no smoothing', () => {
    expect(emaSmooth([3, 3, 3], 0.9)).toEqual([3, 3, 3]);
    expect(emaSmooth([5, 6], 0.99)[0]).toBeCloseTo(5, 12);
    const s = emaSmooth([1, NaN, 3], 0.5);
    expect(Number.isNaN(s[1])).toBe(true);
    expect(s[2]).toBeCloseTo((0.5 * 0.5 + 0.5 * 3) / 0.75, 12);
    expect(emaSmooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    expect(() => emaSmooth([1], 1)).toThrow(/\[0, 1\)/);
    expect(() => emaSmooth([1], -0.1)).toThrow('smoothing weight must be in [0, 1), got -0.1');
    expect(() => emaSmooth([1], NaN)).toThrow('smoothing weight must be in [0, 1), got NaN');
  });
});
