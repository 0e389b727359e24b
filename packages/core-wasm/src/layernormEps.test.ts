// LayerNorm where eps decides the result. On rows of unit-scale data eps = 1e-5 moves rstd by a few parts in a
// million, below any f32 tolerance, so a kernel that drops or misplaces eps passes the general LayerNorm test. Here
// the rows' variance is at or below eps (down to exactly 0), so eps sets rstd, and each case first proves that
// with its own data: the float64 reference at eps and at eps/2 must differ by far more than the tolerance.
import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { expectClose, guarded, rng, scopedArena } from './testing/helpers.js';
import { refLayerNorm } from './testing/reference.js';

const core = instantiateCore();

/** The model's LayerNorm eps: DEFAULT_MODEL.lnEps in packages/engine/src/params.ts (spec 2.1). */
const MODEL_EPS = 1e-5;

const RTOL = 1e-4;

/**
 * Rows whose variance is a fixed multiple of eps: row m is offset + a·u with u uniform in [-1, 1) (variance a²/3),
 * the multiples cycling through 0 (a constant row), 0.1, 1 and 10. The offset stays small so that the kernel's f32
 * mean is exact to well below the rows' spread.
 */
function tinyVarianceRows(r: () => number, M: number, N: number, eps: number, offset: number): Float32Array {
  const multiples = [0, 0.1, 1, 10];
  const x = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const a = Math.sqrt(3 * eps * multiples[m % multiples.length]!);
    for (let j = 0; j < N; j++) x[m * N + j] = offset + a * (2 * r() - 1);
  }
  return x;
}

function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (RTOL * scale[i]!));
  return worst;
}

// N % 8 == 0 takes the two-rows-at-once statistics path (odd M leaves one row to the per-row path); other N take
// the per-row path with its f32x4 body and scalar tail
const shapes: [number, number][] = [[1, 64], [2, 64], [5, 64], [8, 64], [3, 8], [4, 16], [3, 5], [4, 13], [5, 20], [2, 512]];

describe('layernorm_fwd where eps matters', () => {
  // the model's eps, and others so that a kernel with 1e-5 written in, or eps scaled by anything, fails
  for (const eps of [MODEL_EPS, 1e-3, 2.5e-7]) {
    it(`matches float64 on rows with variance 0 to 10·eps (eps = ${eps})`, () => {
      const r = rng(Math.round(1 / eps));
      for (const [M, N] of shapes) for (const offset of [0, 0.25, -0.125]) scopedArena(core.arena, () => {
        const x = tinyVarianceRows(r, M, N, eps, offset);
        const g = Float32Array.from({ length: N }, () => 0.5 + r()), b = Float32Array.from({ length: N }, () => r() - 0.5);
        const X = guarded(core, 'f32', M * N, x), G = guarded(core, 'f32', N, g), B = guarded(core, 'f32', N, b);
        const Y = guarded(core, 'f32', M * N), mean = guarded(core, 'f32', M), rstd = guarded(core, 'f32', M);
        core.layernorm_fwd(Y.ptr, mean.ptr, rstd.ptr, X.ptr, G.ptr, B.ptr, M, N, eps);

        const ref = refLayerNorm(x, g, b, M, N, eps);
        const yScale = Float64Array.from(ref.y, (v) => Math.abs(v) + 1);
        const label = `${M}x${N} offset ${offset} eps ${eps}`;
        // the data must make eps decisive, or this case could not catch an eps bug
        const halfEps = refLayerNorm(x, g, b, M, N, eps / 2);
        expect(maxScaledDiff(halfEps.rstd, ref.rstd, ref.rstd), `${label}: eps moves rstd`).toBeGreaterThan(100);
        // (a lone row is the constant one, whose y is b at any eps)
        if (M > 1) expect(maxScaledDiff(halfEps.y, ref.y, yScale), `${label}: eps moves y`).toBeGreaterThan(100);

        expectClose(rstd.get(), ref.rstd, { rtol: RTOL, label: `rstd ${label}` });
        expectClose(Y.get(), ref.y, { rtol: RTOL, scale: yScale, label: `y ${label}` });
        expectClose(mean.get(), ref.mean, { rtol: RTOL, scale: Float64Array.from(ref.mean, (v) => Math.abs(v) + 1), label: `mean ${label}` });
        for (const t of [X, G, B, Y, mean, rstd]) t.checkGuards();
      });
    });
  }

  it('a constant row normalises to exactly the bias, with rstd = 1/sqrt(eps)', () => {
    for (const N of [5, 8, 64]) scopedArena(core.arena, () => {
      const M = 3;
      const x = new Float32Array(M * N).fill(0.75), g = new Float32Array(N).fill(2), b = Float32Array.from({ length: N }, (_, j) => j / 8);
      const X = guarded(core, 'f32', M * N, x), G = guarded(core, 'f32', N, g), B = guarded(core, 'f32', N, b);
      const Y = guarded(core, 'f32', M * N), mean = guarded(core, 'f32', M), rstd = guarded(core, 'f32', M);
      core.layernorm_fwd(Y.ptr, mean.ptr, rstd.ptr, X.ptr, G.ptr, B.ptr, M, N, MODEL_EPS);
      expectClose(rstd.get(), new Array(M).fill(1 / Math.sqrt(MODEL_EPS)), { rtol: 1e-6, label: `rstd N=${N}` });
      expect(Array.from(Y.get())).toEqual(Array.from({ length: M * N }, (_, i) => b[i % N]!));
      expect(Array.from(mean.get())).toEqual(new Array(M).fill(0.75));
    });
  });
});
