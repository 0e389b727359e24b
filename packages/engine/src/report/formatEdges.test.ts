// How the report writes numbers and heads (report/format.ts), worked by hand.
import { describe, expect, it } from 'vitest';
import { f3, f4, k, l2Head } from './format.js';

describe('report number words', () => {
  it('sequences in thousands below a million, in millions with two decimals from a million on', () => {
    expect([0, 499, 500, 250_000, 999_499, 999_999].map(k)).toEqual(['0k', '0k', '1k', '250k', '999k', '1000k']);
    expect([1_000_000, 1_204_999, 26_200_000].map(k)).toEqual(['1.00M', '1.20M', '26.20M']);
  });
  it('three and four decimals; Layer-2 heads by the paper\'s names', () => {
    expect([f3(0.12345), f4(0.12345), f3(1), f4(-0.00005)]).toEqual(['0.123', '0.1235', '1.000', '-0.0001']);
    expect([0, 3, 7].map(l2Head)).toEqual(['L2H0', 'L2H3', 'L2H7']);
  });
});
