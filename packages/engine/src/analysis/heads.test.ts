import { describe, expect, it } from 'vitest';
import { pickHeads, ptGroup } from './heads.js';

describe('pickHeads (pitfall 10)', () => {
  it('strongest induction head, best previous-token head at the labels, and every head within half of it', () => {
    const scores = {
      induction: [0.28, 0.16, 0.66, 0.41, 0.79, 0.787, 0.57, 0.25],
      prevToken: [0, 0, 0, 0, 0, 0, 0, 0.9],
      prevTokenAtLabels: [0.762, 0.37, -0.505, -0.533, -0.286, -0.093, 0.656, 0.845],
    };
    // 0.845 / 2 = 0.4225: heads 0 (0.762), 6 (0.656), 7 (0.845); head 1 (0.37) is below.
    expect(pickHeads(scores, 2)).toEqual({ ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] });
    expect(ptGroup([1, 0.5, 0.49])).toEqual([0, 1]);
  });
});
