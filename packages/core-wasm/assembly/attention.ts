// Multi-head attention pieces over [Bn, T, H*D] activations (head h = columns h*D .. h*D+D) and
// [Bn, H, Tq, Tk] score/probability tensors. Each (b, h) pair is a strided GEMM on the shared micro-kernels.
import { gemm_nt, gemm_rc, gemm_cc, row_nn, row_nt } from "./gemm";

/**
 * Below this many query rows a head is processed row by row (one register-blocked row kernel per output row):
 * for the model's 5-token sequences the 4x8 tiles would be mostly padding and bookkeeping.
 */
// @ts-ignore: decorator
@inline const SMALL_T: i32 = 8;

// @ts-ignore: decorator
@inline const MASKED: f32 = -1e20;

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
// @ts-ignore: decorator
@inline function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}
// @ts-ignore: decorator
@inline function clampi(x: i32, lo: i32, hi: i32): i32 {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * S[b,h,i,j] = scale · Σ_d Q[b,i,h*D+d]·K[b,j,h*D+d] for keys j ≤ qPos0 + i, else −1e20 (causal).
 * Q is [Bn,Tq,H*D], K is [Bn,Tk,H*D], S is [Bn,H,Tq,Tk].
 */
export function attn_scores_fwd(S: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32, qPos0: i32, scale: f32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const s = S + <usize>(b * H + h) * <usize>Tq * tk4;
      const q = Q + <usize>b * <usize>Tq * hd4 + (<usize>(h * D) << 2);
      const k = K + <usize>b * <usize>Tk * hd4 + (<usize>(h * D) << 2);
      gemm_nt(s, tk4, q, hd4, k, hd4, Tq, Tk, D, scale, 0, imax(qPos0, 0));
      // mask (also overwrites whatever the skipped tiles left there)
      for (let i = 0; i < Tq; i++) {
        const j0 = imax(clampi(qPos0 + i + 1, 0, Tk), 0);
        const r = s + <usize>i * tk4;
        for (let j = j0; j < Tk; j++) store<f32>(r + (<usize>j << 2), MASKED);
      }
    }
  }
}

/**
 * Accumulates dQ += scale · dS̃ · K and dK += scale · dS̃ᵀ · Q per (b, h), where dS̃ is dS with the causally masked
 * entries (j > qPos0 + i) treated as 0 (they are never read).
 */
export function attn_scores_bwd(
  dQ: usize, dK: usize, dS: usize, Q: usize, K: usize,
  Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32, qPos0: i32, scale: f32,
): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const ds = dS + <usize>(b * H + h) * <usize>Tq * tk4;
      const ho = <usize>(h * D) << 2;
      const q = Q + <usize>b * <usize>Tq * hd4 + ho, dq = dQ + <usize>b * <usize>Tq * hd4 + ho;
      const k = K + <usize>b * <usize>Tk * hd4 + ho, dk = dK + <usize>b * <usize>Tk * hd4 + ho;
      if (Tq < SMALL_T || Tk < SMALL_T) {
        for (let i = 0; i < Tq; i++) {
          const lim = clampi(qPos0 + i + 1, 0, Tk);
          if (lim > 0) row_nn(dq + <usize>i * hd4, ds + <usize>i * tk4, 4, k, hd4, D, lim, scale, 1);
        }
        for (let j = 0; j < Tk; j++) {
          const st = clampi(j - qPos0, 0, Tq);
          if (st < Tq) row_nn(dk + <usize>j * hd4, ds + <usize>st * tk4 + (<usize>j << 2), tk4, q + <usize>st * hd4, hd4, D, Tq - st, scale, 1);
        }
        continue;
      }
      // dQ[i,:] += scale Σ_{j < lim(i)} dS[i,j] K[j,:], lim(i) = clamp(qPos0 + i + 1, 0, Tk), non-decreasing in i
      for (let i0 = 0; i0 < Tq; i0 += 4) {
        const mr = imin(4, Tq - i0);
        const kc = clampi(qPos0 + i0 + 1, 0, Tk);
        if (kc > 0) gemm_rc(dq + <usize>i0 * hd4, hd4, ds + <usize>i0 * tk4, tk4, k, hd4, mr, D, kc, scale, 1);
        for (let r = 1; r < mr; r++) {
          const lim = clampi(qPos0 + i0 + r + 1, 0, Tk);
          if (lim > kc) {
            const i = i0 + r;
            gemm_rc(dq + <usize>i * hd4, hd4, ds + <usize>i * tk4 + (<usize>kc << 2), tk4, k + <usize>kc * hd4, hd4, 1, D, lim - kc, scale, 1);
          }
        }
      }
      // dK[j,:] += scale Σ_{i >= st(j)} dS[i,j] Q[i,:], st(j) = clamp(j − qPos0, 0, Tq), non-decreasing in j
      for (let j0 = 0; j0 < Tk; j0 += 4) {
        const mr = imin(4, Tk - j0);
        const s = clampi(j0 + mr - 1 - qPos0, 0, Tq);
        if (s < Tq) gemm_cc(dk + <usize>j0 * hd4, hd4, ds + <usize>s * tk4 + (<usize>j0 << 2), tk4, q + <usize>s * hd4, hd4, mr, D, Tq - s, scale, 1);
        for (let r = 0; r < mr - 1; r++) {
          const j = j0 + r;
          const st = clampi(j - qPos0, 0, Tq);
          if (st < s) gemm_cc(dk + <usize>j * hd4, hd4, ds + <usize>st * tk4 + (<usize>j << 2), tk4, q + <usize>st * hd4, hd4, 1, D, s - st, scale, 1);
        }
      }
    }
  }
}

/** Z[b,i,h*D+d] = Σ_j P[b,h,i,j]·V[b,j,h*D+d] (Z is [Bn,Tq,H*D], V is [Bn,Tk,H*D], P is [Bn,H,Tq,Tk]). */
export function attn_av_fwd(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const p = P + <usize>(b * H + h) * <usize>Tq * tk4;
      const ho = <usize>(h * D) << 2;
      const z = Z + <usize>b * <usize>Tq * hd4 + ho, v = V + <usize>b * <usize>Tk * hd4 + ho;
      if (Tq < SMALL_T) {
        for (let i = 0; i < Tq; i++) row_nn(z + <usize>i * hd4, p + <usize>i * tk4, 4, v, hd4, D, Tk, 1.0, 0);
      } else {
        gemm_rc(z, hd4, p, tk4, v, hd4, Tq, D, Tk, 1.0, 0);
      }
    }
  }
}

/** dP[b,h,i,j] += Σ_d dZ[b,i,h*D+d]·V[b,j,h*D+d];  dV[b,j,h*D+d] += Σ_i P[b,h,i,j]·dZ[b,i,h*D+d]. */
export function attn_av_bwd(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const po = <usize>(b * H + h) * <usize>Tq * tk4;
      const ho = <usize>(h * D) << 2;
      const dz = dZ + <usize>b * <usize>Tq * hd4 + ho;
      const v = V + <usize>b * <usize>Tk * hd4 + ho, dv = dV + <usize>b * <usize>Tk * hd4 + ho;
      if (Tq < SMALL_T || Tk < SMALL_T) {
        for (let i = 0; i < Tq; i++) row_nt(dP + po + <usize>i * tk4, dz + <usize>i * hd4, v, hd4, Tk, D, 1.0, 1);
        for (let j = 0; j < Tk; j++) row_nn(dv + <usize>j * hd4, P + po + (<usize>j << 2), tk4, dz, hd4, D, Tq, 1.0, 1);
      } else {
        gemm_nt(dP + po, tk4, dz, hd4, v, hd4, Tq, Tk, D, 1.0, 1, -1);
        gemm_cc(dv, hd4, P + po, tk4, dz, hd4, Tk, D, Tq, 1.0, 1);
      }
    }
  }
}
