/**
 * The row maximum of every softmax path (rows of 5 four at a time, short rows, long SIMD rows), checked
 * where it matters: softmax is shift-invariant, so a wrong maximum changes nothing until exp overflows.
 * Each row holds its maximum in one column and the rest 120 below it (exp(120) overflows float32), so a
 * path that misses any column when taking the maximum returns Inf/NaN instead of a one-hot row.
 */
import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { guarded, scopedArena } from './testing/helpers.js';

const core = instantiateCore();

describe('softmax_fwd takes every column into the row maximum', () => {
  // n = 5 with rows % 4 = 0..3 (the 4-row path and its tail), the other short widths, and long rows.
  const shapes: [number, number][] = [[1, 1], [2, 2], [3, 3], [4, 4], [4, 5], [5, 5], [6, 5], [7, 5], [6, 6], [7, 7], [8, 8], [9, 9], [12, 12], [17, 17]];
  for (const [rows, n] of shapes)
    it(`${rows} rows of ${n}: the maximum in each column in turn`, () =>
      scopedArena(core.arena, () => {
        for (let shift = 0; shift < n; shift++) {
          const s = new Float32Array(rows * n);
          // Row r has its maximum at column (r + shift) % n; the other entries sit 120 below it.
          for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) s[r * n + j] = j === (r + shift) % n ? 3 : -117;
          const S = guarded(core, 'f32', rows * n, s);
          const P = guarded(core, 'f32', rows * n);
          core.softmax_fwd(P.ptr, S.ptr, rows, n);
          const p = Array.from(P.get());
          const want = Array.from(s, (v) => (v === 3 ? 1 : 0));
          expect(p, `shift ${shift}`).toEqual(want);
          P.checkGuards();
        }
      }));
});
