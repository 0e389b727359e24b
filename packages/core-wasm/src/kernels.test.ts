import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { expectClose, guarded, randF32, rng, scopedArena } from './testing/helpers.js';
import { refLayerNorm, refLayerNormBwd } from './testing/reference.js';

const core = instantiateCore();
const { arena } = core;

const scoped = (fn: () => void) => scopedArena(arena, fn);

const sizes = [1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 64, 100, 192, 515];
const rowShapes: [number, number][] = [[1, 1], [1, 5], [3, 7], [5, 13], [4, 16], [2, 33], [7, 64], [160, 64], [50, 512], [3, 19]];

describe('elementwise', () => {
  it('add (also aliased), axpy, scale, fill, copy', () => {
    const r = rng(1);
    for (const n of sizes) scoped(() => {
      const a = randF32(r, n), b = randF32(r, n), y0 = randF32(r, n);
      const A = guarded(core, 'f32', n, a), B = guarded(core, 'f32', n, b);
      let Y = guarded(core, 'f32', n);
      core.add(Y.ptr, A.ptr, B.ptr, n);
      expect(Array.from(Y.get())).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i]!)));
      Y.checkGuards();
      // aliasing: A = A + B and B = A + B
      const A2 = guarded(core, 'f32', n, a), B2 = guarded(core, 'f32', n, b);
      core.add(A2.ptr, A2.ptr, B.ptr, n);
      core.add(B2.ptr, A.ptr, B2.ptr, n);
      expect(Array.from(A2.get())).toEqual(Array.from(Y.get()));
      expect(Array.from(B2.get())).toEqual(Array.from(Y.get()));

      Y = guarded(core, 'f32', n, y0);
      core.axpy(Y.ptr, A.ptr, -0.375, n);
      expectClose(Y.get(), Array.from(y0, (x, i) => x - 0.375 * a[i]!), { rtol: 1e-6, atol: 1e-7, label: 'axpy' });
      Y.checkGuards();

      Y = guarded(core, 'f32', n);
      core.fill(Y.ptr, 3.25, n);
      expect(Array.from(Y.get())).toEqual(new Array(n).fill(3.25));
      core.fill(Y.ptr, 0, n);
      expect(Array.from(Y.get())).toEqual(new Array(n).fill(0));
      Y.checkGuards();

      Y = guarded(core, 'f32', n);
      core.copy(Y.ptr, A.ptr, n);
      expect(Array.from(Y.get())).toEqual(Array.from(a));
      Y.checkGuards();
      A.checkGuards(); B.checkGuards();
    });
  });

  it('add_bias and sum_rows', () => {
    const r = rng(2);
    for (const [M, N] of rowShapes) scoped(() => {
      const y0 = randF32(r, M * N), bias = randF32(r, N);
      const Y = guarded(core, 'f32', M * N, y0), b = guarded(core, 'f32', N, bias);
      core.add_bias(Y.ptr, b.ptr, M, N);
      expect(Array.from(Y.get())).toEqual(Array.from(y0, (x, i) => Math.fround(x + bias[i % N]!)));
      Y.checkGuards(); b.checkGuards();

      const db0 = randF32(r, N);
      const db = guarded(core, 'f32', N, db0);
      core.sum_rows(db.ptr, Y.ptr, M, N);
      const ref = new Float64Array(N), mag = new Float64Array(N);
      const y = Y.get();
      for (let j = 0; j < N; j++) {
        ref[j] = db0[j]!; mag[j] = Math.abs(db0[j]!);
        for (let m = 0; m < M; m++) { ref[j] += y[m * N + j]!; mag[j] += Math.abs(y[m * N + j]!); }
      }
      expectClose(db.get(), ref, { scale: mag, label: `sum_rows ${M}x${N}` });
      db.checkGuards();
    });
  });

  it('where_fwd / where_bwd (including null gradients and aliasing)', () => {
    const r = rng(3);
    for (const n of sizes) scoped(() => {
      const a = randF32(r, n), b = randF32(r, n), g = randF32(r, n);
      const m = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1 + Math.floor(r() * 255)));
      const A = guarded(core, 'f32', n, a), B = guarded(core, 'f32', n, b), G = guarded(core, 'f32', n, g);
      const mask = guarded(core, 'u8', n, m);
      const Y = guarded(core, 'f32', n);
      core.where_fwd(Y.ptr, mask.ptr, A.ptr, B.ptr, n);
      const want = Array.from(m, (x, i) => (x ? a[i]! : b[i]!));
      expect(Array.from(Y.get())).toEqual(want);
      const A2 = guarded(core, 'f32', n, a);
      core.where_fwd(A2.ptr, mask.ptr, A2.ptr, B.ptr, n);
      expect(Array.from(A2.get())).toEqual(want);
      Y.checkGuards(); mask.checkGuards();

      const da0 = randF32(r, n), db0 = randF32(r, n);
      const dA = guarded(core, 'f32', n, da0), dB = guarded(core, 'f32', n, db0);
      core.where_bwd(dA.ptr, dB.ptr, G.ptr, mask.ptr, n);
      expect(Array.from(dA.get())).toEqual(Array.from(da0, (x, i) => (m[i] ? Math.fround(x + g[i]!) : x)));
      expect(Array.from(dB.get())).toEqual(Array.from(db0, (x, i) => (m[i] ? x : Math.fround(x + g[i]!))));
      const dA2 = guarded(core, 'f32', n, da0), dB2 = guarded(core, 'f32', n, db0);
      core.where_bwd(dA2.ptr, 0, G.ptr, mask.ptr, n);
      core.where_bwd(0, dB2.ptr, G.ptr, mask.ptr, n);
      expect(Array.from(dA2.get())).toEqual(Array.from(dA.get()));
      expect(Array.from(dB2.get())).toEqual(Array.from(dB.get()));
      dA.checkGuards(); dB.checkGuards(); dA2.checkGuards(); dB2.checkGuards();
    });
  });

  it('gather_rows / scatter_add_rows (repeated indices accumulate)', () => {
    const r = rng(4);
    for (const [M, N] of rowShapes) scoped(() => {
      const rows = 1 + Math.floor(r() * 7);
      const x = randF32(r, rows * N), dy = randF32(r, M * N), dx0 = randF32(r, rows * N);
      const idx = Int32Array.from({ length: M }, () => Math.floor(r() * rows));
      const X = guarded(core, 'f32', rows * N, x), I = guarded(core, 'i32', M, idx);
      const Y = guarded(core, 'f32', M * N);
      core.gather_rows(Y.ptr, X.ptr, I.ptr, M, N);
      const want = new Float32Array(M * N);
      for (let m = 0; m < M; m++) want.set(x.subarray(idx[m]! * N, idx[m]! * N + N), m * N);
      expect(Array.from(Y.get())).toEqual(Array.from(want));
      Y.checkGuards();

      const dX = guarded(core, 'f32', rows * N, dx0), dY = guarded(core, 'f32', M * N, dy);
      core.scatter_add_rows(dX.ptr, dY.ptr, I.ptr, M, N);
      const ref = Float64Array.from(dx0), mag = Float64Array.from(dx0, Math.abs);
      for (let m = 0; m < M; m++) for (let j = 0; j < N; j++) {
        ref[idx[m]! * N + j] += dy[m * N + j]!;
        mag[idx[m]! * N + j] += Math.abs(dy[m * N + j]!);
      }
      expectClose(dX.get(), ref, { scale: mag, rtol: 1e-6, label: 'scatter_add_rows' });
      dX.checkGuards(); I.checkGuards();
    });
  });

  it('sum_sq accumulates in f64', () => {
    const r = rng(5);
    for (const n of [...sizes, 100_003]) scoped(() => {
      const x = randF32(r, n, -3, 3);
      const X = guarded(core, 'f32', n, x);
      let ref = 0;
      for (const v of x) ref += v * v;
      const got = core.sum_sq(X.ptr, n);
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-13 * ref);
    });
    scoped(() => {
      // 1 + many tiny squares: an f32 accumulator would lose them all
      const n = 1001;
      const x = new Float32Array(n).fill(1e-4);
      x[0] = 1;
      const X = guarded(core, 'f32', n, x);
      const ref = 1 + 1000 * Math.fround(1e-4) ** 2;
      expect(Math.abs(core.sum_sq(X.ptr, n) - ref)).toBeLessThan(1e-12);
    });
  });
});

describe('layernorm', () => {
  it('reference backward matches finite differences of the reference forward', () => {
    const r = rng(6);
    const M = 2, N = 5, eps = 1e-5;
    const x = randF32(r, M * N), g = randF32(r, N), b = randF32(r, N), dy = randF32(r, M * N);
    const loss = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>) => {
      const { y } = refLayerNorm(Float32Array.from(xx), Float32Array.from(gg), Float32Array.from(bb), M, N, eps);
      let s = 0;
      for (let i = 0; i < M * N; i++) s += y[i]! * dy[i]!;
      return s;
    };
    // finite differences in float64 (refLayerNorm takes float32 inputs; perturb with exactly representable steps)
    const { dx, dg } = refLayerNormBwd(dy, x, g, M, N, eps);
    const h = 2 ** -12;
    for (let i = 0; i < M * N; i++) {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[i] += h; xm[i] -= h;
      expect((loss(xp, g, b) - loss(xm, g, b)) / (2 * h)).toBeCloseTo(dx[i]!, 4);
    }
    for (let j = 0; j < N; j++) {
      const gp = Float64Array.from(g), gm = Float64Array.from(g);
      gp[j] += h; gm[j] -= h;
      expect((loss(x, gp, b) - loss(x, gm, b)) / (2 * h)).toBeCloseTo(dg[j]!, 4);
    }
  });

  it('forward and backward match float64', () => {
    const r = rng(7);
    for (const [M, N] of rowShapes) scoped(() => {
      const eps = 1e-5;
      const x = randF32(r, M * N, -2, 3), g = randF32(r, N, 0.5, 1.5), b = randF32(r, N);
      const X = guarded(core, 'f32', M * N, x), G = guarded(core, 'f32', N, g), B = guarded(core, 'f32', N, b);
      const Y = guarded(core, 'f32', M * N), mean = guarded(core, 'f32', M), rstd = guarded(core, 'f32', M);
      core.layernorm_fwd(Y.ptr, mean.ptr, rstd.ptr, X.ptr, G.ptr, B.ptr, M, N, eps);
      const ref = refLayerNorm(x, g, b, M, N, eps);
      const ymag = Float64Array.from(ref.y, (_, i) => Math.abs(ref.y[i]!) + 1);
      expectClose(Y.get(), ref.y, { scale: ymag, label: `ln fwd y ${M}x${N}` });
      expectClose(mean.get(), ref.mean, { scale: Float64Array.from(ref.mean, (v) => Math.abs(v) + 1), label: 'ln mean' });
      expectClose(rstd.get(), ref.rstd, { label: 'ln rstd' });
      for (const t of [X, G, B, Y, mean, rstd]) t.checkGuards();

      const dy = randF32(r, M * N), dx0 = randF32(r, M * N), dg0 = randF32(r, N), db0 = randF32(r, N);
      const dY = guarded(core, 'f32', M * N, dy);
      const dX = guarded(core, 'f32', M * N, dx0), dG = guarded(core, 'f32', N, dg0), dB = guarded(core, 'f32', N, db0);
      core.layernorm_bwd(dX.ptr, dG.ptr, dB.ptr, dY.ptr, X.ptr, mean.ptr, rstd.ptr, G.ptr, M, N);
      const rb = refLayerNormBwd(dy, x, g, M, N, eps);
      // scales: |terms| summed (rstd·(|dy·g| + mean|dy·g| + |x̂|·mean|dy·g·x̂|)) for dX, Σ|dy·x̂| for dg, Σ|dy| for db
      const dxMag = new Float64Array(M * N), dgMag = Float64Array.from(dg0, Math.abs), dbMag = Float64Array.from(db0, Math.abs);
      for (let m = 0; m < M; m++) {
        let a1 = 0, a2 = 0;
        for (let j = 0; j < N; j++) {
          const xh = (x[m * N + j]! - ref.mean[m]!) * ref.rstd[m]!;
          a1 += Math.abs(dy[m * N + j]! * g[j]!); a2 += Math.abs(dy[m * N + j]! * g[j]! * xh);
          dgMag[j] += Math.abs(dy[m * N + j]! * xh); dbMag[j] += Math.abs(dy[m * N + j]!);
        }
        for (let j = 0; j < N; j++) {
          const xh = (x[m * N + j]! - ref.mean[m]!) * ref.rstd[m]!;
          dxMag[m * N + j] = Math.abs(dx0[m * N + j]!) + ref.rstd[m]! * (Math.abs(dy[m * N + j]! * g[j]!) + a1 / N + Math.abs(xh) * a2 / N);
        }
      }
      expectClose(dX.get(), Float64Array.from(rb.dx, (v, i) => v + dx0[i]!), { scale: dxMag, rtol: 2e-5, label: `ln dX ${M}x${N}` });
      expectClose(dG.get(), Float64Array.from(rb.dg, (v, i) => v + dg0[i]!), { scale: dgMag, label: `ln dg ${M}x${N}` });
      expectClose(dB.get(), Float64Array.from(rb.db, (v, i) => v + db0[i]!), { scale: dbMag, label: `ln db ${M}x${N}` });
      for (const t of [dX, dG, dB, dY]) t.checkGuards();
    });
  });
});

describe('rope', () => {
  function tables(maxPos: number, half: number) {
    const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
    for (let p = 0; p < maxPos; p++) for (let i = 0; i < half; i++) {
      const th = p * Math.pow(10000, -i / half);
      cos[p * half + i] = Math.cos(th); sin[p * half + i] = Math.sin(th);
    }
    return { cos, sin };
  }
  const cases: { M: number; heads: number; hd: number; T: number; pos0: number }[] = [
    { M: 1, heads: 1, hd: 2, T: 0, pos0: 3 }, { M: 7, heads: 3, hd: 6, T: 5, pos0: 0 },
    { M: 10, heads: 2, hd: 16, T: 5, pos0: 2 }, { M: 160, heads: 4, hd: 16, T: 5, pos0: 0 },
    { M: 9, heads: 1, hd: 10, T: 3, pos0: 1 }, { M: 4, heads: 2, hd: 64, T: 0, pos0: 7 }, { M: 6, heads: 5, hd: 14, T: 6, pos0: 0 },
    { M: 160, heads: 8, hd: 8, T: 5, pos0: 0 }, { M: 32, heads: 8, hd: 8, T: 0, pos0: 4 }, { M: 9, heads: 3, hd: 8, T: 4, pos0: 1 },
  ];
  it('rope_fwd (also in place) and rope_bwd match float64', () => {
    const r = rng(8);
    for (const { M, heads, hd, T, pos0 } of cases) scoped(() => {
      const width = heads * hd, half = hd / 2;
      const { cos, sin } = tables(pos0 + Math.max(T, 1) + 1, half);
      const Ct = guarded(core, 'f32', cos.length, cos), St = guarded(core, 'f32', sin.length, sin);
      const x = randF32(r, M * width);
      const X = guarded(core, 'f32', M * width, x), Y = guarded(core, 'f32', M * width);
      core.rope_fwd(Y.ptr, X.ptr, M, width, T, pos0, Ct.ptr, St.ptr, hd);
      const ref = new Float64Array(M * width), refB = new Float64Array(M * width);
      const dx0 = randF32(r, M * width);
      for (let row = 0; row < M; row++) {
        const p = pos0 + (T > 0 ? row % T : 0);
        for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) {
          const c = cos[p * half + i]!, s = sin[p * half + i]!;
          const o = row * width + h * hd + 2 * i;
          const x0 = x[o]!, x1 = x[o + 1]!;
          ref[o] = x0 * c - x1 * s; ref[o + 1] = x1 * c + x0 * s;
          refB[o] = dx0[o]! + x0 * c + x1 * s; refB[o + 1] = dx0[o + 1]! + x1 * c - x0 * s;
        }
      }
      const mag = (i: number) => Math.abs(x[i]!) + Math.abs(x[i ^ 1]!);
      const scale = Float64Array.from(ref, (_, i) => mag(i));
      expectClose(Y.get(), ref, { scale, label: `rope_fwd ${M}x${width}` });
      Y.checkGuards();
      core.rope_fwd(X.ptr, X.ptr, M, width, T, pos0, Ct.ptr, St.ptr, hd);
      expect(Array.from(X.get())).toEqual(Array.from(Y.get()));
      X.set(x);
      const dX = guarded(core, 'f32', M * width, dx0);
      core.rope_bwd(dX.ptr, X.ptr, M, width, T, pos0, Ct.ptr, St.ptr, hd);
      expectClose(dX.get(), refB, { scale: Float64Array.from(refB, (_, i) => mag(i) + Math.abs(dx0[i]!)), label: `rope_bwd ${M}x${width}` });
      dX.checkGuards(); X.checkGuards(); Ct.checkGuards(); St.checkGuards();
    });
  });
});

function softmaxRef(s: ArrayLike<number>, off: number, n: number): Float64Array {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) mx = Math.max(mx, s[off + j]!);
  const p = new Float64Array(n);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += p[j] = Math.exp(s[off + j]! - mx);
  for (let j = 0; j < n; j++) p[j]! /= sum;
  return p;
}

describe('softmax', () => {
  it('softmax_fwd matches float64, masked (−1e20) entries are exactly 0, P may alias S', () => {
    const r = rng(9);
    // n = 5 takes a 4-rows-at-a-time path (the rest of the rows the general one): rows % 4 = 0, 1, 2, 3
    for (const [rows, n] of [...rowShapes, [4, 5], [33, 160], [1280, 5], [7, 5], [6, 5], [3, 5], [2, 5]] as [number, number][]) scoped(() => {
      const s = randF32(r, rows * n, -8, 8);
      // causal-style masking and a few extreme rows
      for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) if (j > i + 1 && r() < 0.7) s[i * n + j] = -1e20;
      if (rows > 2) { for (let j = 0; j < n; j++) s[n + j] = 80 + 10 * r(); s[2 * n] = 1e4; }
      const S = guarded(core, 'f32', rows * n, s), P = guarded(core, 'f32', rows * n);
      core.softmax_fwd(P.ptr, S.ptr, rows, n);
      const p = P.get();
      for (let i = 0; i < rows; i++) {
        const ref = softmaxRef(s, i * n, n);
        expectClose(p.subarray(i * n, i * n + n), ref, { rtol: 2e-6, atol: 1e-7, label: `softmax row ${i} of ${rows}x${n}` });
        for (let j = 0; j < n; j++) if (s[i * n + j] === -1e20) expect(p[i * n + j]).toBe(0);
      }
      P.checkGuards();
      core.softmax_fwd(S.ptr, S.ptr, rows, n);
      expect(Array.from(S.get())).toEqual(Array.from(p));
    });
  });

  it('softmax_bwd accumulates P ⊙ (dP − Σ dP·P)', () => {
    const r = rng(10);
    for (const [rows, n] of [...rowShapes, [1280, 5], [9, 5], [6, 5], [3, 5]] as [number, number][]) scoped(() => {
      const s = randF32(r, rows * n, -3, 3), dp = randF32(r, rows * n), ds0 = randF32(r, rows * n);
      const p = new Float32Array(rows * n);
      for (let i = 0; i < rows; i++) p.set(softmaxRef(s, i * n, n), i * n);
      const P = guarded(core, 'f32', rows * n, p), dP = guarded(core, 'f32', rows * n, dp), dS = guarded(core, 'f32', rows * n, ds0);
      core.softmax_bwd(dS.ptr, dP.ptr, P.ptr, rows, n);
      const ref = new Float64Array(rows * n), mag = new Float64Array(rows * n);
      for (let i = 0; i < rows; i++) {
        let d = 0, da = 0;
        for (let j = 0; j < n; j++) { d += dp[i * n + j]! * p[i * n + j]!; da += Math.abs(dp[i * n + j]! * p[i * n + j]!); }
        for (let j = 0; j < n; j++) {
          const o = i * n + j;
          ref[o] = ds0[o]! + p[o]! * (dp[o]! - d);
          mag[o] = Math.abs(ds0[o]!) + p[o]! * (Math.abs(dp[o]!) + da);
        }
      }
      expectClose(dS.get(), ref, { scale: mag, label: `softmax_bwd ${rows}x${n}` });
      dS.checkGuards();
    });
  });
});

describe('exp', () => {
  it('is accurate to ~1 ulp over [−80, 0] in both softmax paths, and flushes below e^−80 to exactly 0', () => {
    // softmax([x, 0, −1e20, …]) = [e^x, 1] / (1 + e^x): the first entry exposes exp(x) to within the rounding of
    // one add and one division (n = 5 takes the 4-row path, n = 3 the general one)
    for (const n of [5, 3]) scoped(() => {
      const xs: number[] = [];
      for (let i = 0; i < 4000; i++) xs.push(Math.fround(-80 * (i / 3999) ** 1.5));
      xs.push(-79.99, -80.01, -90, -1e20); // the last three must give exactly 0
      const rows = xs.length;
      const s = new Float32Array(rows * n).fill(-1e20);
      xs.forEach((x, i) => { s[i * n] = x; s[i * n + 1] = 0; });
      const S = guarded(core, 'f32', rows * n, s), P = guarded(core, 'f32', rows * n);
      core.softmax_fwd(P.ptr, S.ptr, rows, n);
      const p = P.get();
      let worst = 0;
      xs.forEach((x, i) => {
        const e = Math.exp(s[i * n]!), want = e / (1 + e);
        if (x < -80) expect(p[i * n], `x = ${x}`).toBe(0);
        else worst = Math.max(worst, Math.abs(p[i * n]! - want) / want);
      });
      expect(worst, `n = ${n}`).toBeLessThan(3e-7); // exp itself: 8.2e-8 (≈1.4 ulp); the rest is the sum and the scaling
    });
  });
});

describe('gelu', () => {
  // The tanh approximation written out in float64: what PyTorch's nn.GELU(approximate='tanh') computes.
  const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const dgelu = (x: number) => {
    const t = Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x * x);
  };
  it('gelu_fwd (also in place) and gelu_bwd match float64 over [−12, 12], tails included, and saturate exactly', () => {
    const r = rng(23);
    for (const n of sizes) scoped(() => {
      const x = randF32(r, n, -12, 12);
      if (n >= 3) x.set([0, -40, 40]);
      const X = guarded(core, 'f32', n, x);
      const Y = guarded(core, 'f32', n);
      core.gelu_fwd(Y.ptr, X.ptr, n);
      // Absolute error of a few ulp of max(|x|, 1): tanh is exact to ~1e-7 absolute, scaled by 0.5·x.
      expectClose(Y.get(), Array.from(x, gelu), { rtol: 2e-6, atol: 2e-7, label: 'gelu_fwd' });
      if (n >= 3) expect(Array.from(Y.get().subarray(0, 3))).toEqual([0, -0, 40]);
      const Xi = guarded(core, 'f32', n, x);
      core.gelu_fwd(Xi.ptr, Xi.ptr, n);
      expect(Array.from(Xi.get())).toEqual(Array.from(Y.get()));
      const dy = randF32(r, n), d0 = randF32(r, n);
      const dY = guarded(core, 'f32', n, dy), dX = guarded(core, 'f32', n, d0);
      core.gelu_bwd(dX.ptr, dY.ptr, X.ptr, n);
      expectClose(dX.get(), Array.from(x, (v, i) => d0[i]! + dy[i]! * dgelu(v)), { rtol: 2e-6, atol: 4e-7, label: 'gelu_bwd' });
      X.checkGuards(); Y.checkGuards(); Xi.checkGuards(); dX.checkGuards(); dY.checkGuards();
    });
  });
});

describe('cross entropy', () => {
  it('cross_entropy_fwd: P = softmax, loss from log-sum-exp (stable for large logits)', () => {
    const r = rng(11);
    for (const [Bn, C] of [[1, 1], [1, 2], [3, 5], [32, 5], [7, 13], [5, 64], [2, 1000]] as [number, number][]) scoped(() => {
      const lg = randF32(r, Bn * C, -6, 6);
      if (Bn > 1) for (let j = 0; j < C; j++) lg[C + j] = 500 + 30 * r(); // huge logits: naive exp overflows
      const tg = Int32Array.from({ length: Bn }, () => Math.floor(r() * C));
      const L = guarded(core, 'f32', Bn * C, lg), T = guarded(core, 'i32', Bn, tg);
      const loss = guarded(core, 'f32', Bn), P = guarded(core, 'f32', Bn * C);
      core.cross_entropy_fwd(loss.ptr, P.ptr, L.ptr, T.ptr, Bn, C);
      const lref = new Float64Array(Bn), lmag = new Float64Array(Bn);
      for (let b = 0; b < Bn; b++) {
        let mx = -Infinity;
        for (let j = 0; j < C; j++) mx = Math.max(mx, lg[b * C + j]!);
        let s = 0;
        for (let j = 0; j < C; j++) s += Math.exp(lg[b * C + j]! - mx);
        lref[b] = mx + Math.log(s) - lg[b * C + tg[b]!]!;
        lmag[b] = Math.abs(mx) + Math.abs(lg[b * C + tg[b]!]!) + 1;
        expectClose(P.get().subarray(b * C, b * C + C), softmaxRef(lg, b * C, C), { rtol: 2e-6, atol: 1e-7, label: `ce P row ${b}` });
      }
      expectClose(loss.get(), lref, { scale: lmag, rtol: 1e-6, label: `ce loss ${Bn}x${C}` });
      loss.checkGuards(); P.checkGuards();
      // P may alias the logits
      core.cross_entropy_fwd(loss.ptr, L.ptr, L.ptr, T.ptr, Bn, C);
      expect(Array.from(L.get())).toEqual(Array.from(P.get()));
    });
  });

  it('cross_entropy_bwd accumulates scale·(P − onehot)', () => {
    const r = rng(12);
    for (const [Bn, C] of [[1, 1], [3, 5], [32, 5], [7, 13], [2, 1000]] as [number, number][]) scoped(() => {
      const p = randF32(r, Bn * C, 0, 1), d0 = randF32(r, Bn * C);
      const tg = Int32Array.from({ length: Bn }, () => Math.floor(r() * C));
      const P = guarded(core, 'f32', Bn * C, p), T = guarded(core, 'i32', Bn, tg), dL = guarded(core, 'f32', Bn * C, d0);
      core.cross_entropy_bwd(dL.ptr, P.ptr, T.ptr, Bn, C, 0.125);
      const ref = Float64Array.from(d0, (v, i) => v + 0.125 * (p[i]! - (i % C === tg[Math.floor(i / C)] ? 1 : 0)));
      expectClose(dL.get(), ref, { scale: Float64Array.from(d0, (v, i) => Math.abs(v) + 0.125 * (p[i]! + 1)), rtol: 1e-6, label: 'ce bwd' });
      dL.checkGuards();
    });
  });
});

describe('adam_step', () => {
  it('matches the float64 update', () => {
    const r = rng(13);
    for (const n of [...sizes, 4099]) scoped(() => {
      const p0 = randF32(r, n), g = randF32(r, n, -0.1, 0.1), m0 = randF32(r, n, -0.01, 0.01), v0 = randF32(r, n, 0, 1e-3);
      const P = guarded(core, 'f32', n, p0), G = guarded(core, 'f32', n, g), Mm = guarded(core, 'f32', n, m0), V = guarded(core, 'f32', n, v0);
      const lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, t = 7;
      const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
      core.adam_step(P.ptr, G.ptr, Mm.ptr, V.ptr, n, lr, b1, b2, eps, bc1, bc2);
      const f = Math.fround;
      const mRef = Float64Array.from(m0, (m, i) => f(b1) * m + (1 - f(b1)) * g[i]!);
      const vRef = Float64Array.from(v0, (v, i) => f(b2) * v + (1 - f(b2)) * g[i]! * g[i]!);
      const step = Float64Array.from(mRef, (m, i) => (f(lr) * (m / f(bc1))) / (Math.sqrt(vRef[i]! / f(bc2)) + f(eps)));
      const mMag = Float64Array.from(m0, (m, i) => Math.abs(m) + Math.abs(g[i]!) * (1 - f(b1)));
      expectClose(Mm.get(), mRef, { scale: mMag, rtol: 1e-6, label: 'adam m' });
      expectClose(V.get(), vRef, { rtol: 1e-6, label: 'adam v' });
      expectClose(P.get(), Float64Array.from(p0, (x, i) => x - step[i]!), { scale: Float64Array.from(p0, (x, i) => Math.abs(x) + Math.abs(step[i]!)), rtol: 1e-6, label: 'adam p' });
      for (const x of [P, G, Mm, V]) x.checkGuards();
    });
  });
});
