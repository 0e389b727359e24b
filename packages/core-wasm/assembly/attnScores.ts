// Attention scores S = scale·Q·Kᵀ with the causal mask, and their backward, over [Bn, T, H*D] activations
// (head h = columns h*D .. h*D+D) and [Bn, H, Tq, Tk] scores. Short sequences with D % 4 == 0 take direct inlined
// loops (D = 8, the model's head size, its own functions); otherwise each (b, h) pair is a strided GEMM on the
// shared micro-kernels.
import { gemm_nt, gemm_rc, gemm_cc, row_nn } from "./gemm";
import { SMALL_T, MASKED, imin, imax, clampi, dot_row, dot_row8, dot_rows8x2, comb_row } from "./attnRows";

// Kernel bodies of the small path, instantiated twice: D4 = 32 (D = 8, the model's head size) and any D % 4 == 0.

// @ts-ignore: decorator
@inline function scores_fwd_small(S: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D4: usize, qPos0: i32, scale: f32): void {
  const hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let s = S;
  for (let b = 0; b < Bn; b++) {
    const qb = Q + <usize>b * <usize>Tq * hd4, kb = K + <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      if (D4 == 32) {
        let q = qb + ho, i = 0;
        for (; i + 2 <= Tq; i += 2) {
          dot_rows8x2(s, s + tk4, q, q + hd4, kb + ho, hd4, Tk, clampi(qPos0 + i + 1, 0, Tk), clampi(qPos0 + i + 2, 0, Tk), true, scale, 0);
          s += tk4 << 1; q += hd4 << 1;
        }
        if (i < Tq) {
          dot_row8(s, q, kb + ho, hd4, Tk, clampi(qPos0 + i + 1, 0, Tk), true, scale, 0);
          s += tk4;
        }
        continue;
      }
      for (let i = 0; i < Tq; i++) {
        dot_row(s, qb + <usize>i * hd4 + ho, kb + ho, hd4, Tk, clampi(qPos0 + i + 1, 0, Tk), D4, scale, 0);
        s += tk4;
      }
    }
  }
}


// Each variant is its own wasm function (Binaryen does not inline functions with loops): V8 allocates registers
// per function, and one function holding every variant spills the hot loops' values.
function scores_fwd_d8(S: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, qPos0: i32, scale: f32): void {
  scores_fwd_small(S, Q, K, Bn, H, Tq, Tk, 32, qPos0, scale);
}
function scores_fwd_d4(S: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32, qPos0: i32, scale: f32): void {
  scores_fwd_small(S, Q, K, Bn, H, Tq, Tk, <usize>D << 2, qPos0, scale);
}
/**
 * attn_scores_bwd for D = 8, by (query, key) pairs: w = dS[i,j] updates dQ[i] (held in registers over the keys
 * of row i, scaled once at the end) and dK[j] (in memory, from scale·Q[i]) together, so each pair costs one
 * broadcast and 8 multiply-adds with no per-row setup (row-by-row combinations spent more on loop setup than on
 * arithmetic at 5 tokens). Two query rows share each key row's loads and dK update.
 */
function scores_bwd_d8(dQ: usize, dK: usize, dS: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, qPos0: i32, scale: f32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  const vs = f32x4.splat(scale);
  let ds = dS;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const k = K + bk + ho, dk = dK + bk + ho;
      let q = Q + bq + ho, dq = dQ + bq + ho;
      let i = 0;
      // two query rows at a time: each key row and dK row is loaded (and dK stored) once for both
      for (; i + 2 <= Tq; i += 2) {
        const la = clampi(qPos0 + i + 1, 0, Tk), lb = clampi(qPos0 + i + 2, 0, Tk); // la <= lb
        const qa0 = f32x4.mul(v128.load(q), vs), qa1 = f32x4.mul(v128.load(q, 16), vs);
        const qb0 = f32x4.mul(v128.load(q + hd4), vs), qb1 = f32x4.mul(v128.load(q + hd4, 16), vs);
        let a0 = f32x4.splat(0), a1 = a0, c0 = a0, c1 = a0;
        let pw = ds, pk = k, pdk = dk;
        let j = 0;
        for (; j < la; j++) {
          const wa = v128.load32_splat(pw), wb = v128.load32_splat(pw + tk4);
          const k0 = v128.load(pk), k1 = v128.load(pk, 16);
          a0 = f32x4.add(a0, f32x4.mul(wa, k0)); a1 = f32x4.add(a1, f32x4.mul(wa, k1));
          c0 = f32x4.add(c0, f32x4.mul(wb, k0)); c1 = f32x4.add(c1, f32x4.mul(wb, k1));
          v128.store(pdk, f32x4.add(v128.load(pdk), f32x4.add(f32x4.mul(wa, qa0), f32x4.mul(wb, qb0))));
          v128.store(pdk, f32x4.add(v128.load(pdk, 16), f32x4.add(f32x4.mul(wa, qa1), f32x4.mul(wb, qb1))), 16);
          pw += 4; pk += hd4; pdk += hd4;
        }
        for (; j < lb; j++) {
          const wb = v128.load32_splat(pw + tk4);
          c0 = f32x4.add(c0, f32x4.mul(wb, v128.load(pk))); c1 = f32x4.add(c1, f32x4.mul(wb, v128.load(pk, 16)));
          v128.store(pdk, f32x4.add(v128.load(pdk), f32x4.mul(wb, qb0)));
          v128.store(pdk, f32x4.add(v128.load(pdk, 16), f32x4.mul(wb, qb1)), 16);
          pw += 4; pk += hd4; pdk += hd4;
        }
        v128.store(dq, f32x4.add(v128.load(dq), f32x4.mul(a0, vs)));
        v128.store(dq, f32x4.add(v128.load(dq, 16), f32x4.mul(a1, vs)), 16);
        v128.store(dq + hd4, f32x4.add(v128.load(dq + hd4), f32x4.mul(c0, vs)));
        v128.store(dq + hd4, f32x4.add(v128.load(dq + hd4, 16), f32x4.mul(c1, vs)), 16);
        q += hd4 << 1; dq += hd4 << 1; ds += tk4 << 1;
      }
      if (i < Tq) {
        const lim = clampi(qPos0 + i + 1, 0, Tk);
        const q0 = f32x4.mul(v128.load(q), vs), q1 = f32x4.mul(v128.load(q, 16), vs);
        let a0 = f32x4.splat(0), a1 = a0;
        let pw = ds, pk = k, pdk = dk;
        for (let j = 0; j < lim; j++) {
          const w = v128.load32_splat(pw);
          a0 = f32x4.add(a0, f32x4.mul(w, v128.load(pk)));
          a1 = f32x4.add(a1, f32x4.mul(w, v128.load(pk, 16)));
          v128.store(pdk, f32x4.add(v128.load(pdk), f32x4.mul(w, q0)));
          v128.store(pdk, f32x4.add(v128.load(pdk, 16), f32x4.mul(w, q1)), 16);
          pw += 4; pk += hd4; pdk += hd4;
        }
        v128.store(dq, f32x4.add(v128.load(dq), f32x4.mul(a0, vs)));
        v128.store(dq, f32x4.add(v128.load(dq, 16), f32x4.mul(a1, vs)), 16);
        ds += tk4;
      }
    }
  }
}
/** attn_scores_bwd for D % 4 == 0 with few queries or keys: per row combinations over the unmasked terms. */
function scores_bwd_d4(dQ: usize, dK: usize, dS: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32, qPos0: i32, scale: f32): void {
  const D4 = <usize>D << 2, hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let ds = dS;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      const q = Q + bq + ho, dq = dQ + bq + ho, k = K + bk + ho, dk = dK + bk + ho;
      // dQ[i,:] += scale Σ_{j < lim(i)} dS[i,j] K[j,:]
      for (let i = 0; i < Tq; i++) {
        const lim = clampi(qPos0 + i + 1, 0, Tk);
        if (lim > 0) comb_row(dq + <usize>i * hd4, ds + <usize>i * tk4, 4, k, hd4, lim, D4, scale, 1);
      }
      // dK[j,:] += scale Σ_{i >= st(j)} dS[i,j] Q[i,:]
      for (let j = 0; j < Tk; j++) {
        const st = clampi(j - qPos0, 0, Tq);
        if (st < Tq) comb_row(dk + <usize>j * hd4, ds + <usize>st * tk4 + (<usize>j << 2), tk4, q + <usize>st * hd4, hd4, Tq - st, D4, scale, 1);
      }
      ds += <usize>Tq * tk4;
    }
  }
}
/**
 * S[b,h,i,j] = scale · Σ_d Q[b,i,h*D+d]·K[b,j,h*D+d] for keys j ≤ qPos0 + i, else −1e20 (causal).
 * Q is [Bn,Tq,H*D], K is [Bn,Tk,H*D], S is [Bn,H,Tq,Tk].
 */
export function attn_scores_fwd(S: usize, Q: usize, K: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32, qPos0: i32, scale: f32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  if ((D & 3) == 0 && D > 0 && Tq < SMALL_T) {
    if (D == 8) scores_fwd_d8(S, Q, K, Bn, H, Tq, Tk, qPos0, scale);
    else scores_fwd_d4(S, Q, K, Bn, H, Tq, Tk, D, qPos0, scale);
    return;
  }
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
  if ((D & 3) == 0 && D > 0 && (Tq < SMALL_T || Tk < SMALL_T)) {
    if (D == 8) scores_bwd_d8(dQ, dK, dS, Q, K, Bn, H, Tq, Tk, qPos0, scale);
    else scores_bwd_d4(dQ, dK, dS, Q, K, Bn, H, Tq, Tk, D, qPos0, scale);
    return;
  }
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
