/**
 * The reference backend: plain TypeScript over Float64Array, written for obviousness, not speed. It is the
 * oracle every other backend is checked against, and the one the finite-difference tests run on.
 */
import type { Backend, Buf } from '../backend.js';

type Arr = Float64Array | Int32Array | Uint8Array;
interface RefBuf {
  readonly length: number;
  readonly a: Arr;
}

const MASKED = -1e20;
/** GELU's tanh approximation: √(2/π) and the cubic coefficient. */
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
const arr = (b: Buf): Arr => (b as unknown as RefBuf).a;
const f = (b: Buf): Float64Array => (b as unknown as RefBuf).a as Float64Array;
const wrap = (a: Arr): Buf => ({ length: a.length, a }) as unknown as Buf;

export function createReferenceBackend(): Backend {
  return {
    name: 'reference',
    precision: 'float64',
    allocF: (n) => wrap(new Float64Array(n)),
    allocI32: (n) => wrap(new Int32Array(n)),
    allocU8: (n) => wrap(new Uint8Array(n)),
    slice: (b, offset, n) => wrap(arr(b).subarray(offset, offset + n)),
    write(b, src, offset = 0) {
      const a = arr(b);
      for (let i = 0; i < src.length; i++) a[offset + i] = src[i];
    },
    read(b, out, offset = 0, n) {
      const a = arr(b);
      const len = n ?? a.length - offset;
      const o = out ?? (a instanceof Float64Array ? new Float64Array(len) : new Int32Array(len));
      for (let i = 0; i < len; i++) o[i] = a[offset + i];
      return o;
    },
    mark: () => 0,
    release: () => undefined,

    matmulNT(C, A, B, M, N, K, acc) {
      const c = f(C), a = f(A), b = f(B);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[m * K + k] * b[n * K + k];
          c[m * N + n] = (acc ? c[m * N + n] : 0) + s;
        }
    },
    matmulNN(C, A, B, M, N, K, acc) {
      const c = f(C), a = f(A), b = f(B);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n];
          c[m * N + n] = (acc ? c[m * N + n] : 0) + s;
        }
    },
    matmulTN(C, A, B, M, N, K, acc) {
      const c = f(C), a = f(A), b = f(B);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[k * M + m] * b[k * N + n];
          c[m * N + n] = (acc ? c[m * N + n] : 0) + s;
        }
    },
    addBias(Y, b, M, N) {
      const y = f(Y), bb = f(b);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) y[m * N + n] += bb[n];
    },
    sumRows(db, dY, M, N) {
      const d = f(db), y = f(dY);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) d[n] += y[m * N + n];
    },
    layerNormFwd(Y, mean, rstd, X, g, b, M, N, eps) {
      const y = f(Y), mu = f(mean), rs = f(rstd), x = f(X), gg = f(g), bb = f(b);
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += x[m * N + n];
        const mm = s / N;
        let v = 0;
        for (let n = 0; n < N; n++) v += (x[m * N + n] - mm) ** 2;
        const r = 1 / Math.sqrt(v / N + eps);
        mu[m] = mm;
        rs[m] = r;
        for (let n = 0; n < N; n++) y[m * N + n] = (x[m * N + n] - mm) * r * gg[n] + bb[n];
      }
    },
    layerNormBwd(dX, dg, db, dY, X, mean, rstd, g, M, N) {
      const dy = f(dY), x = f(X), mu = f(mean), rs = f(rstd), gg = f(g);
      for (let m = 0; m < M; m++) {
        // xhat = (x − μ)·r; dxhat = dy·g; dx = r·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)).
        let sumD = 0, sumDX = 0;
        for (let n = 0; n < N; n++) {
          const xh = (x[m * N + n] - mu[m]) * rs[m];
          const d = dy[m * N + n] * gg[n];
          sumD += d;
          sumDX += d * xh;
          if (dg) f(dg)[n] += dy[m * N + n] * xh;
          if (db) f(db)[n] += dy[m * N + n];
        }
        if (dX) {
          const dx = f(dX);
          for (let n = 0; n < N; n++) {
            const xh = (x[m * N + n] - mu[m]) * rs[m];
            const d = dy[m * N + n] * gg[n];
            dx[m * N + n] += rs[m] * (d - sumD / N - (xh * sumDX) / N);
          }
        }
      }
    },
    ropeFwd(Y, X, M, width, T, pos0, cos, sin, headDim) {
      const y = f(Y), x = f(X), c = f(cos), s = f(sin), half = headDim / 2;
      for (let r = 0; r < M; r++) {
        const p = pos0 + (T > 0 ? r % T : 0);
        for (let h = 0; h < width; h += headDim)
          for (let i = 0; i < half; i++) {
            const o = r * width + h + 2 * i;
            const x0 = x[o], x1 = x[o + 1], cc = c[p * half + i], ss = s[p * half + i];
            y[o] = x0 * cc - x1 * ss;
            y[o + 1] = x1 * cc + x0 * ss;
          }
      }
    },
    ropeBwd(dX, dY, M, width, T, pos0, cos, sin, headDim) {
      const dx = f(dX), dy = f(dY), c = f(cos), s = f(sin), half = headDim / 2;
      for (let r = 0; r < M; r++) {
        const p = pos0 + (T > 0 ? r % T : 0);
        for (let h = 0; h < width; h += headDim)
          for (let i = 0; i < half; i++) {
            const o = r * width + h + 2 * i;
            const g0 = dy[o], g1 = dy[o + 1], cc = c[p * half + i], ss = s[p * half + i];
            dx[o] += g0 * cc + g1 * ss;
            dx[o + 1] += -g0 * ss + g1 * cc;
          }
      }
    },
    attnScoresFwd(S, Q, K, Bn, H, Tq, Tk, D, qPos0, scale) {
      const sc = f(S), q = f(Q), k = f(K), W = H * D;
      for (let b = 0; b < Bn; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < Tq; i++)
            for (let j = 0; j < Tk; j++) {
              let s = 0;
              for (let d = 0; d < D; d++) s += q[(b * Tq + i) * W + h * D + d] * k[(b * Tk + j) * W + h * D + d];
              sc[((b * H + h) * Tq + i) * Tk + j] = j <= qPos0 + i ? scale * s : MASKED;
            }
    },
    attnScoresBwd(dQ, dK, dS, Q, K, Bn, H, Tq, Tk, D, qPos0, scale) {
      const ds = f(dS), q = f(Q), k = f(K), W = H * D;
      for (let b = 0; b < Bn; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < Tq; i++)
            for (let j = 0; j <= Math.min(Tk - 1, qPos0 + i); j++) {
              const g = scale * ds[((b * H + h) * Tq + i) * Tk + j];
              for (let d = 0; d < D; d++) {
                const qi = (b * Tq + i) * W + h * D + d, kj = (b * Tk + j) * W + h * D + d;
                if (dQ) f(dQ)[qi] += g * k[kj];
                if (dK) f(dK)[kj] += g * q[qi];
              }
            }
    },
    softmaxFwd(P, S, rows, n) {
      const p = f(P), s = f(S);
      for (let r = 0; r < rows; r++) {
        let mx = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, s[r * n + j]);
        let z = 0;
        for (let j = 0; j < n; j++) z += Math.exp(s[r * n + j] - mx);
        for (let j = 0; j < n; j++) p[r * n + j] = Math.exp(s[r * n + j] - mx) / z;
      }
    },
    softmaxBwd(dS, dP, P, rows, n) {
      const ds = f(dS), dp = f(dP), p = f(P);
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += dp[r * n + j] * p[r * n + j];
        for (let j = 0; j < n; j++) ds[r * n + j] += p[r * n + j] * (dp[r * n + j] - dot);
      }
    },
    attnAvFwd(Z, P, V, Bn, H, Tq, Tk, D) {
      const z = f(Z), p = f(P), v = f(V), W = H * D;
      for (let b = 0; b < Bn; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < Tq; i++)
            for (let d = 0; d < D; d++) {
              let s = 0;
              for (let j = 0; j < Tk; j++) s += p[((b * H + h) * Tq + i) * Tk + j] * v[(b * Tk + j) * W + h * D + d];
              z[(b * Tq + i) * W + h * D + d] = s;
            }
    },
    attnAvBwd(dP, dV, dZ, P, V, Bn, H, Tq, Tk, D) {
      const dz = f(dZ), p = f(P), v = f(V), W = H * D;
      for (let b = 0; b < Bn; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < Tq; i++)
            for (let j = 0; j < Tk; j++) {
              const pi = ((b * H + h) * Tq + i) * Tk + j;
              for (let d = 0; d < D; d++) {
                const zi = (b * Tq + i) * W + h * D + d, vj = (b * Tk + j) * W + h * D + d;
                if (dP) f(dP)[pi] += dz[zi] * v[vj];
                if (dV) f(dV)[vj] += p[pi] * dz[zi];
              }
            }
    },
    geluFwd(Y, X, n) {
      const y = f(Y), x = f(X);
      for (let i = 0; i < n; i++) {
        const u = GELU_C * (x[i] + GELU_A * x[i] ** 3);
        y[i] = 0.5 * x[i] * (1 + Math.tanh(u));
      }
    },
    geluBwd(dX, dY, X, n) {
      const dx = f(dX), dy = f(dY), x = f(X);
      for (let i = 0; i < n; i++) {
        const t = Math.tanh(GELU_C * (x[i] + GELU_A * x[i] ** 3));
        const du = GELU_C * (1 + 3 * GELU_A * x[i] * x[i]);
        dx[i] += dy[i] * (0.5 * (1 + t) + 0.5 * x[i] * (1 - t * t) * du);
      }
    },
    gatherRows(Y, X, idx, M, N) {
      const y = f(Y), x = f(X), ix = arr(idx);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) y[m * N + n] = x[ix[m] * N + n];
    },
    scatterAddRows(dX, dY, idx, M, N) {
      const dx = f(dX), dy = f(dY), ix = arr(idx);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) dx[ix[m] * N + n] += dy[m * N + n];
    },
    add(Y, A, B, n) {
      const y = f(Y), a = f(A), b = f(B);
      for (let i = 0; i < n; i++) y[i] = a[i] + b[i];
    },
    axpy(Y, X, alpha, n) {
      const y = f(Y), x = f(X);
      for (let i = 0; i < n; i++) y[i] += alpha * x[i];
    },
    fill(Y, value, n) {
      f(Y).fill(value, 0, n);
    },
    copy(Y, X, n) {
      const y = f(Y), x = f(X);
      for (let i = 0; i < n; i++) y[i] = x[i];
    },
    whereFwd(Y, mask, A, B, n) {
      const y = f(Y), m = arr(mask), a = f(A), b = f(B);
      for (let i = 0; i < n; i++) y[i] = m[i] ? a[i] : b[i];
    },
    whereBwd(dA, dB, dY, mask, n) {
      const dy = f(dY), m = arr(mask);
      for (let i = 0; i < n; i++) {
        if (m[i]) {
          if (dA) f(dA)[i] += dy[i];
        } else if (dB) f(dB)[i] += dy[i];
      }
    },
    crossEntropyFwd(loss, P, logits, targets, Bn, C) {
      const l = f(loss), p = f(P), z = f(logits), t = arr(targets);
      for (let b = 0; b < Bn; b++) {
        let mx = -Infinity;
        for (let c = 0; c < C; c++) mx = Math.max(mx, z[b * C + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(z[b * C + c] - mx);
        const lse = mx + Math.log(s);
        for (let c = 0; c < C; c++) p[b * C + c] = Math.exp(z[b * C + c] - lse);
        l[b] = lse - z[b * C + t[b]];
      }
    },
    crossEntropyBwd(dlogits, P, targets, Bn, C, scale) {
      const d = f(dlogits), p = f(P), t = arr(targets);
      for (let b = 0; b < Bn; b++)
        for (let c = 0; c < C; c++) d[b * C + c] += scale * (p[b * C + c] - (c === t[b] ? 1 : 0));
    },
    adamStep(P, G, Mo, Vo, n, lr, b1, b2, eps, bc1, bc2) {
      const p = f(P), g = f(G), m = f(Mo), v = f(Vo);
      for (let i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
      }
    },
    sumSq(X, n) {
      const x = f(X);
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i] * x[i];
      return s;
    },
  };
}
