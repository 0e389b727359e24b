// Multi-head attention pieces over [Bn, T, H*D] activations (head h = columns h*D .. h*D+D) and
// [Bn, H, Tq, Tk] score/probability tensors. Short sequences with D % 4 == 0 take direct inlined loops (D = 8, the
// model's head size, its own functions); otherwise each (b, h) pair is a strided GEMM on the shared micro-kernels.
import { gemm_nt, gemm_rc, gemm_cc, row_nn, row_nt } from "./gemm";

/**
 * Below this many query rows (backward: or keys) a head is processed by the small-sequence loops (or, for D % 4 != 0,
 * row by row with the generic row kernels): for the model's 5-token sequences the GEMM's 4x8 tiles would be mostly
 * padding and bookkeeping.
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

// ---- direct small-sequence path (D % 4 == 0) ----
//
// For a few tokens per sequence every (b, h) block is a handful of length-D dot products / row combinations:
// calling the generic row kernels per row costs more than the arithmetic. These inlined loops work on one head
// row (D floats = D/4 f32x4) at a time with no calls and no per-element index arithmetic.

/** Horizontal sums of 4 vectors: [Σs0, Σs1, Σs2, Σs3] (unpcklps/unpckhps/movlhps/movhlps + 3 adds). */
// @ts-ignore: decorator
@inline function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** Σ lanes of v. */
// @ts-ignore: decorator
@inline function hsum1(v: v128): f32 {
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
  return f32x4.extract_lane(v, 0);
}

/** Lane-wise partial products of x·y over D4 bytes (D4 a positive multiple of 16): the dot is the lane sum. */
// @ts-ignore: decorator
@inline function dotv(x: usize, y: usize, D4: usize): v128 {
  let s = f32x4.mul(v128.load(x), v128.load(y));
  for (let o: usize = 16; o < D4; o += 16) s = f32x4.add(s, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  return s;
}

/**
 * One row of dot products: out[j] = alpha·x·y_j (+ out[j] if acc) for j < n, y_j = y + j*ldy, except that
 * j >= lim (the causal mask) gives exactly −1e20 without reading y_j. D4 = 4·D bytes, a positive multiple of 16.
 */
// @ts-ignore: decorator
@inline function dot_row(out: usize, x: usize, y: usize, ldy: usize, n: i32, lim: i32, D4: usize, alpha: f32, acc: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = out + (<usize>j << 2);
    if (j >= lim) {
      v128.store(o, f32x4.splat(MASKED));
      continue;
    }
    const y0 = y + <usize>j * ldy, y1 = y0 + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
    let xv = v128.load(x);
    let s0 = f32x4.mul(xv, v128.load(y0)), s1 = f32x4.mul(xv, v128.load(y1));
    let s2 = f32x4.mul(xv, v128.load(y2)), s3 = f32x4.mul(xv, v128.load(y3));
    for (let d: usize = 16; d < D4; d += 16) {
      xv = v128.load(x + d);
      s0 = f32x4.add(s0, f32x4.mul(xv, v128.load(y0 + d)));
      s1 = f32x4.add(s1, f32x4.mul(xv, v128.load(y1 + d)));
      s2 = f32x4.add(s2, f32x4.mul(xv, v128.load(y2 + d)));
      s3 = f32x4.add(s3, f32x4.mul(xv, v128.load(y3 + d)));
    }
    let r = hsum4(s0, s1, s2, s3);
    if (alpha != 1.0) r = f32x4.mul(r, f32x4.splat(alpha));
    if (acc) r = f32x4.add(r, v128.load(o));
    // lanes j + l >= lim are masked (lim > j here)
    if (j + 4 > lim) r = v128.bitselect(r, f32x4.splat(MASKED), i32x4.gt_s(i32x4.splat(lim - j), i32x4(0, 1, 2, 3)));
    v128.store(o, r);
  }
  for (; j < n; j++) {
    const o = out + (<usize>j << 2);
    if (j >= lim) {
      store<f32>(o, MASKED);
      continue;
    }
    let r = hsum1(dotv(x, y + <usize>j * ldy, D4)) * alpha;
    if (acc) r += load<f32>(o);
    store<f32>(o, r);
  }
}

/** Lane sums of (x0,x1)·(y, y+16): the 8-float dot product, as a vector whose lane sum is the result. */
// @ts-ignore: decorator
@inline function dot8v(x0: v128, x1: v128, y: usize): v128 {
  return f32x4.add(f32x4.mul(x0, v128.load(y)), f32x4.mul(x1, v128.load(y, 16)));
}

/**
 * dot_row for D = 8 (x kept in two registers), with the causal mask handled per region: groups of 4 keys wholly
 * before lim need no select, the group containing lim one bitselect, groups after it only a store.
 * `scaled` (a compile-time constant) says whether alpha is applied.
 */
// @ts-ignore: decorator
@inline function dot_row8(out: usize, x: usize, y: usize, ldy: usize, n: i32, lim: i32, scaled: bool, alpha: f32, acc: i32): void {
  const x0 = v128.load(x), x1 = v128.load(x, 16);
  let j = 0, py = y, o = out;
  for (; j + 4 <= n; j += 4) {
    if (j >= lim) {
      v128.store(o, f32x4.splat(MASKED));
    } else {
      const s0 = dot8v(x0, x1, py), s1 = dot8v(x0, x1, py + ldy), s2 = dot8v(x0, x1, py + 2 * ldy), s3 = dot8v(x0, x1, py + 3 * ldy);
      let r = hsum4(s0, s1, s2, s3);
      if (scaled) r = f32x4.mul(r, f32x4.splat(alpha));
      if (acc) r = f32x4.add(r, v128.load(o));
      if (j + 4 > lim) r = v128.bitselect(r, f32x4.splat(MASKED), i32x4.gt_s(i32x4.splat(lim - j), i32x4(0, 1, 2, 3)));
      v128.store(o, r);
    }
    py += ldy << 2; o += 16;
  }
  for (; j < n; j++) {
    if (j >= lim) {
      store<f32>(o, MASKED);
    } else {
      let r = hsum1(dot8v(x0, x1, py));
      if (scaled) r *= alpha;
      if (acc) r += load<f32>(o);
      store<f32>(o, r);
    }
    py += ldy; o += 4;
  }
}

/** Final write of one group of 4 dot products: scale, accumulate, causal mask (lanes j + l >= lim). */
// @ts-ignore: decorator
@inline function dot_store4(o: usize, r: v128, j: i32, lim: i32, scaled: bool, alpha: f32, acc: i32): void {
  if (scaled) r = f32x4.mul(r, f32x4.splat(alpha));
  if (acc) r = f32x4.add(r, v128.load(o));
  if (j + 4 > lim) r = v128.bitselect(r, f32x4.splat(MASKED), i32x4.gt_s(i32x4.splat(lim - j), i32x4(0, 1, 2, 3)));
  v128.store(o, r);
}

/**
 * dot_row8 for two rows at once (x rows xa, xb; outputs oa, ob; limits la <= lb): each key row is loaded once for
 * both, which removes a quarter of the instructions. Groups masked for both rows are only stored.
 */
// @ts-ignore: decorator
@inline function dot_rows8x2(
  oa: usize, ob: usize, xa: usize, xb: usize, y: usize, ldy: usize, n: i32, la: i32, lb: i32, scaled: bool, alpha: f32, acc: i32,
): void {
  const a0 = v128.load(xa), a1 = v128.load(xa, 16), b0 = v128.load(xb), b1 = v128.load(xb, 16);
  let j = 0, py = y;
  for (; j + 4 <= n; j += 4) {
    if (j >= lb) {
      v128.store(oa, f32x4.splat(MASKED));
      v128.store(ob, f32x4.splat(MASKED));
    } else {
      let y0 = v128.load(py), y1 = v128.load(py, 16);
      const sa0 = f32x4.add(f32x4.mul(a0, y0), f32x4.mul(a1, y1)), sb0 = f32x4.add(f32x4.mul(b0, y0), f32x4.mul(b1, y1));
      py += ldy; y0 = v128.load(py); y1 = v128.load(py, 16);
      const sa1 = f32x4.add(f32x4.mul(a0, y0), f32x4.mul(a1, y1)), sb1 = f32x4.add(f32x4.mul(b0, y0), f32x4.mul(b1, y1));
      py += ldy; y0 = v128.load(py); y1 = v128.load(py, 16);
      const sa2 = f32x4.add(f32x4.mul(a0, y0), f32x4.mul(a1, y1)), sb2 = f32x4.add(f32x4.mul(b0, y0), f32x4.mul(b1, y1));
      py += ldy; y0 = v128.load(py); y1 = v128.load(py, 16);
      const sa3 = f32x4.add(f32x4.mul(a0, y0), f32x4.mul(a1, y1)), sb3 = f32x4.add(f32x4.mul(b0, y0), f32x4.mul(b1, y1));
      py += ldy;
      dot_store4(oa, hsum4(sa0, sa1, sa2, sa3), j, la, scaled, alpha, acc);
      dot_store4(ob, hsum4(sb0, sb1, sb2, sb3), j, lb, scaled, alpha, acc);
      oa += 16; ob += 16;
      continue;
    }
    py += ldy << 2; oa += 16; ob += 16;
  }
  for (; j < n; j++) {
    if (j >= lb) {
      store<f32>(oa, MASKED);
      store<f32>(ob, MASKED);
    } else {
      const y0 = v128.load(py), y1 = v128.load(py, 16);
      let rb = hsum1(f32x4.add(f32x4.mul(b0, y0), f32x4.mul(b1, y1)));
      if (scaled) rb *= alpha;
      if (acc) rb += load<f32>(ob);
      store<f32>(ob, rb);
      if (j >= la) {
        store<f32>(oa, MASKED);
      } else {
        let ra = hsum1(f32x4.add(f32x4.mul(a0, y0), f32x4.mul(a1, y1)));
        if (scaled) ra *= alpha;
        if (acc) ra += load<f32>(oa);
        store<f32>(oa, ra);
      }
    }
    py += ldy; oa += 4; ob += 4;
  }
}

/**
 * One row combination: out[0..D) = alpha·Σ_{t<n} w[t·sw]·y_t (+ out if acc), y_t = y + t*ldy.
 * D4 = 4·D bytes, a positive multiple of 16. n may be 0.
 */
// @ts-ignore: decorator
@inline function comb_row(out: usize, w: usize, sw: usize, y: usize, ldy: usize, n: i32, D4: usize, alpha: f32, acc: i32): void {
  let o: usize = 0;
  for (; o + 32 <= D4; o += 32) {
    let s0 = f32x4.splat(0), s1 = s0;
    let pw = w, py = y + o;
    for (let t = 0; t < n; t++) {
      const x = v128.load32_splat(pw);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(py)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(py, 16)));
      pw += sw; py += ldy;
    }
    if (alpha != 1.0) {
      s0 = f32x4.mul(s0, f32x4.splat(alpha));
      s1 = f32x4.mul(s1, f32x4.splat(alpha));
    }
    if (acc) {
      s0 = f32x4.add(s0, v128.load(out + o));
      s1 = f32x4.add(s1, v128.load(out + o, 16));
    }
    v128.store(out + o, s0);
    v128.store(out + o, s1, 16);
    if (D4 == 32) return;
  }
  if (o < D4) {
    let s0 = f32x4.splat(0);
    let pw = w, py = y + o;
    for (let t = 0; t < n; t++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pw), v128.load(py)));
      pw += sw; py += ldy;
    }
    if (alpha != 1.0) s0 = f32x4.mul(s0, f32x4.splat(alpha));
    if (acc) s0 = f32x4.add(s0, v128.load(out + o));
    v128.store(out + o, s0);
  }
}

/**
 * Four output rows of 8 floats at once (a 4x8 register tile): out_r (+)= alpha·Σ_{t<n} w[r·swr + t·swt]·y_t[0..8)
 * for r < 4, out_r = out + r*ldo, y_t = y + t*ldy.
 */
// @ts-ignore: decorator
@inline function comb_tile4(
  out: usize, ldo: usize, w: usize, swr: usize, swt: usize, y: usize, ldy: usize, n: i32, alpha: f32, acc: i32,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const w1 = w + swr, w2 = w1 + swr, w3 = w2 + swr;
  let o: usize = 0;
  for (let t = 0; t < n; t++) {
    const y0 = v128.load(y), y1 = v128.load(y, 16);
    let x = v128.load32_splat(w + o); c00 = f32x4.add(c00, f32x4.mul(x, y0)); c01 = f32x4.add(c01, f32x4.mul(x, y1));
    x = v128.load32_splat(w1 + o); c10 = f32x4.add(c10, f32x4.mul(x, y0)); c11 = f32x4.add(c11, f32x4.mul(x, y1));
    x = v128.load32_splat(w2 + o); c20 = f32x4.add(c20, f32x4.mul(x, y0)); c21 = f32x4.add(c21, f32x4.mul(x, y1));
    x = v128.load32_splat(w3 + o); c30 = f32x4.add(c30, f32x4.mul(x, y0)); c31 = f32x4.add(c31, f32x4.mul(x, y1));
    o += swt; y += ldy;
  }
  if (alpha != 1.0) {
    const va = f32x4.splat(alpha);
    c00 = f32x4.mul(c00, va); c01 = f32x4.mul(c01, va); c10 = f32x4.mul(c10, va); c11 = f32x4.mul(c11, va);
    c20 = f32x4.mul(c20, va); c21 = f32x4.mul(c21, va); c30 = f32x4.mul(c30, va); c31 = f32x4.mul(c31, va);
  }
  if (acc) {
    c00 = f32x4.add(c00, v128.load(out)); c01 = f32x4.add(c01, v128.load(out, 16));
  }
  v128.store(out, c00); v128.store(out, c01, 16); out += ldo;
  if (acc) {
    c10 = f32x4.add(c10, v128.load(out)); c11 = f32x4.add(c11, v128.load(out, 16));
  }
  v128.store(out, c10); v128.store(out, c11, 16); out += ldo;
  if (acc) {
    c20 = f32x4.add(c20, v128.load(out)); c21 = f32x4.add(c21, v128.load(out, 16));
  }
  v128.store(out, c20); v128.store(out, c21, 16); out += ldo;
  if (acc) {
    c30 = f32x4.add(c30, v128.load(out)); c31 = f32x4.add(c31, v128.load(out, 16));
  }
  v128.store(out, c30); v128.store(out, c31, 16);
}

/**
 * Four heads' rows of one query at once (D = 8): out[r·32 + 0..32) = Σ_{t<n} w[r·swr + 4t]·y[t·ldy + r·32 + 0..32)
 * for r < 4, i.e. a 4x8 register tile whose rows are 4 adjacent heads (each with its own weights and values).
 * For one or two query rows per head this replaces four single-row combinations and their per-row overhead.
 */
// @ts-ignore: decorator
@inline function comb_heads4(out: usize, w: usize, swr: usize, y: usize, ldy: usize, n: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const w1 = w + swr, w2 = w1 + swr, w3 = w2 + swr;
  let o: usize = 0;
  for (let t = 0; t < n; t++) {
    let x = v128.load32_splat(w + o);
    c00 = f32x4.add(c00, f32x4.mul(x, v128.load(y))); c01 = f32x4.add(c01, f32x4.mul(x, v128.load(y, 16)));
    x = v128.load32_splat(w1 + o);
    c10 = f32x4.add(c10, f32x4.mul(x, v128.load(y, 32))); c11 = f32x4.add(c11, f32x4.mul(x, v128.load(y, 48)));
    x = v128.load32_splat(w2 + o);
    c20 = f32x4.add(c20, f32x4.mul(x, v128.load(y, 64))); c21 = f32x4.add(c21, f32x4.mul(x, v128.load(y, 80)));
    x = v128.load32_splat(w3 + o);
    c30 = f32x4.add(c30, f32x4.mul(x, v128.load(y, 96))); c31 = f32x4.add(c31, f32x4.mul(x, v128.load(y, 112)));
    o += 4; y += ldy;
  }
  v128.store(out, c00); v128.store(out, c01, 16); v128.store(out, c10, 32); v128.store(out, c11, 48);
  v128.store(out, c20, 64); v128.store(out, c21, 80); v128.store(out, c30, 96); v128.store(out, c31, 112);
}

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

// @ts-ignore: decorator
@inline function av_fwd_small(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D4: usize): void {
  const hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let p = P;
  for (let b = 0; b < Bn; b++) {
    const zb = Z + <usize>b * <usize>Tq * hd4, vb = V + <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      let i = 0;
      if (D4 == 32) {
        for (; i + 4 <= Tq; i += 4) {
          comb_tile4(zb + <usize>i * hd4 + ho, hd4, p, tk4, 4, vb + ho, hd4, Tk, 1.0, 0);
          p += tk4 << 2;
        }
      }
      for (; i < Tq; i++) {
        comb_row(zb + <usize>i * hd4 + ho, p, 4, vb + ho, hd4, Tk, D4, 1.0, 0);
        p += tk4;
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
function av_fwd_d8(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  if (Tq < 4 && (H & 3) == 0) {
    // few query rows (the model's layer 2 has one): 4 heads of one query row per tile
    const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2, hs = <usize>Tq * tk4;
    for (let b = 0; b < Bn; b++) {
      const vb = V + <usize>b * <usize>Tk * hd4, pb = P + <usize>b * <usize>H * hs;
      let z = Z + <usize>b * <usize>Tq * hd4;
      for (let i = 0; i < Tq; i++) {
        const pi = pb + <usize>i * tk4;
        for (let ho: usize = 0; ho < hd4; ho += 128) comb_heads4(z + ho, pi + (ho >> 5) * hs, hs, vb + ho, hd4, Tk);
        z += hd4;
      }
    }
    return;
  }
  av_fwd_small(Z, P, V, Bn, H, Tq, Tk, 32);
}
function av_fwd_d4(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  av_fwd_small(Z, P, V, Bn, H, Tq, Tk, <usize>D << 2);
}
/** attn_av_bwd for D = 8. */
function av_bwd_d8(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  if (Tq >= 3) {
    // separate passes (and functions) for dP and dV: together they keep too many values live and V8 spills
    av_bwd_dp_d8(dP, dZ, V, Bn, H, Tq, Tk);
    av_bwd_dv_d8(dV, dZ, P, Bn, H, Tq, Tk);
  } else {
    av_bwd_rows_d8(dP, dV, dZ, P, V, Bn, H, Tq, Tk);
  }
}

/** dP[b,h,i,j] += dZ[b,i,h,:]·V[b,j,h,:] for D = 8, two query rows at a time. */
function av_bwd_dp_d8(dP: usize, dZ: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let dpr = dP;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const v = V + bk + ho;
      let dz = dZ + bq + ho, i = 0;
      for (; i + 2 <= Tq; i += 2) {
        dot_rows8x2(dpr, dpr + tk4, dz, dz + hd4, v, hd4, Tk, Tk, Tk, false, 1.0, 1);
        dz += hd4 << 1; dpr += tk4 << 1;
      }
      if (i < Tq) {
        dot_row8(dpr, dz, v, hd4, Tk, Tk, false, 1.0, 1);
        dpr += tk4;
      }
    }
  }
}

/** dV[b,j,h,:] += Σ_i P[b,h,i,j]·dZ[b,i,h,:] for D = 8: 4 keys at a time as a register tile over the query rows. */
function av_bwd_dv_d8(dV: usize, dZ: usize, P: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let pr = P;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const dv = dV + bk + ho, dz = dZ + bq + ho;
      let j = 0;
      for (; j + 4 <= Tk; j += 4) comb_tile4(dv + <usize>j * hd4, hd4, pr + (<usize>j << 2), 4, tk4, dz, hd4, Tq, 1.0, 1);
      for (; j < Tk; j++) comb_row(dv + <usize>j * hd4, pr + (<usize>j << 2), tk4, dz, hd4, Tq, 32, 1.0, 1);
      pr += <usize>Tq * tk4;
    }
  }
}

/**
 * attn_av_bwd for D = 8 and one or two query rows: each row's dot products dP[i,:], then dV[j] += P[i,j]·dZ[i]
 * for every key with dZ[i] in registers.
 */
function av_bwd_rows_d8(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let pr = P, dpr = dP;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const v = V + bk + ho, dv = dV + bk + ho;
      let dz = dZ + bq + ho;
      for (let i = 0; i < Tq; i++) {
        dot_row8(dpr, dz, v, hd4, Tk, Tk, false, 1.0, 1);
        const z0 = v128.load(dz), z1 = v128.load(dz, 16);
        let pw = pr, pdv = dv;
        for (let j = 0; j < Tk; j++) {
          const w = v128.load32_splat(pw);
          v128.store(pdv, f32x4.add(v128.load(pdv), f32x4.mul(w, z0)));
          v128.store(pdv, f32x4.add(v128.load(pdv, 16), f32x4.mul(w, z1)), 16);
          pw += 4; pdv += hd4;
        }
        dz += hd4; pr += tk4; dpr += tk4;
      }
    }
  }
}
/** attn_av_bwd for D % 4 == 0 with few queries or keys: dot-product rows for dP, row combinations for dV. */
function av_bwd_d4(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const D4 = <usize>D << 2, hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let po: usize = 0;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      const dz = dZ + bq + ho, v = V + bk + ho, dv = dV + bk + ho;
      for (let i = 0; i < Tq; i++) dot_row(dP + po + <usize>i * tk4, dz + <usize>i * hd4, v, hd4, Tk, Tk, D4, 1.0, 1);
      for (let j = 0; j < Tk; j++) comb_row(dv + <usize>j * hd4, P + po + (<usize>j << 2), tk4, dz, hd4, Tq, D4, 1.0, 1);
      po += <usize>Tq * tk4;
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

/** Z[b,i,h*D+d] = Σ_j P[b,h,i,j]·V[b,j,h*D+d] (Z is [Bn,Tq,H*D], V is [Bn,Tk,H*D], P is [Bn,H,Tq,Tk]). */
export function attn_av_fwd(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  if ((D & 3) == 0 && D > 0 && Tq < SMALL_T) {
    if (D == 8) av_fwd_d8(Z, P, V, Bn, H, Tq, Tk);
    else av_fwd_d4(Z, P, V, Bn, H, Tq, Tk, D);
    return;
  }
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
  if ((D & 3) == 0 && D > 0 && (Tq < SMALL_T || Tk < SMALL_T)) {
    if (D == 8) av_bwd_d8(dP, dV, dZ, P, V, Bn, H, Tq, Tk);
    else av_bwd_d4(dP, dV, dZ, P, V, Bn, H, Tq, Tk, D);
    return;
  }
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
