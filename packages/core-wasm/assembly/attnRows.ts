// The shared pieces of the attention kernels (attnScores.ts, attnValues.ts): constants, and the inlined
// row dot products and row combinations of the small-sequence path, on one head row (D floats) at a time.

/**
 * Below this many query rows (backward: or keys) a head is processed by the small-sequence loops (or, for D % 4 != 0,
 * row by row with the generic row kernels): for the model's 5-token sequences the GEMM's 4x8 tiles would be mostly
 * padding and bookkeeping.
 */
// @ts-ignore: decorator
@inline export const SMALL_T: i32 = 8;

// @ts-ignore: decorator
@inline export const MASKED: f32 = -1e20;

// @ts-ignore: decorator
@inline export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
// @ts-ignore: decorator
@inline export function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}
// @ts-ignore: decorator
@inline export function clampi(x: i32, lo: i32, hi: i32): i32 {
  return x < lo ? lo : x > hi ? hi : x;
}

// ---- direct small-sequence path (D % 4 == 0) ----
//
// For a few tokens per sequence every (b, h) block is a handful of length-D dot products / row combinations:
// calling the generic row kernels per row costs more than the arithmetic. These inlined loops work on one head
// row (D floats = D/4 f32x4) at a time with no calls and no per-element index arithmetic.

/** Horizontal sums of 4 vectors: [Σs0, Σs1, Σs2, Σs3] (unpcklps/unpckhps/movlhps/movhlps + 3 adds). */
// @ts-ignore: decorator
@inline export function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** Σ lanes of v. */
// @ts-ignore: decorator
@inline export function hsum1(v: v128): f32 {
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
  return f32x4.extract_lane(v, 0);
}

/** Lane-wise partial products of x·y over D4 bytes (D4 a positive multiple of 16): the dot is the lane sum. */
// @ts-ignore: decorator
@inline export function dotv(x: usize, y: usize, D4: usize): v128 {
  let s = f32x4.mul(v128.load(x), v128.load(y));
  for (let o: usize = 16; o < D4; o += 16) s = f32x4.add(s, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  return s;
}

/**
 * One row of dot products: out[j] = alpha·x·y_j (+ out[j] if acc) for j < n, y_j = y + j*ldy, except that
 * j >= lim (the causal mask) gives exactly −1e20 without reading y_j. D4 = 4·D bytes, a positive multiple of 16.
 */
// @ts-ignore: decorator
@inline export function dot_row(out: usize, x: usize, y: usize, ldy: usize, n: i32, lim: i32, D4: usize, alpha: f32, acc: i32): void {
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
@inline export function dot8v(x0: v128, x1: v128, y: usize): v128 {
  return f32x4.add(f32x4.mul(x0, v128.load(y)), f32x4.mul(x1, v128.load(y, 16)));
}

/**
 * dot_row for D = 8 (x kept in two registers), with the causal mask handled per region: groups of 4 keys wholly
 * before lim need no select, the group containing lim one bitselect, groups after it only a store.
 * `scaled` (a compile-time constant) says whether alpha is applied.
 */
// @ts-ignore: decorator
@inline export function dot_row8(out: usize, x: usize, y: usize, ldy: usize, n: i32, lim: i32, scaled: bool, alpha: f32, acc: i32): void {
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
@inline export function dot_store4(o: usize, r: v128, j: i32, lim: i32, scaled: bool, alpha: f32, acc: i32): void {
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
@inline export function dot_rows8x2(
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
@inline export function comb_row(out: usize, w: usize, sw: usize, y: usize, ldy: usize, n: i32, D4: usize, alpha: f32, acc: i32): void {
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
@inline export function comb_tile4(
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
@inline export function comb_heads4(out: usize, w: usize, swr: usize, y: usize, ldy: usize, n: i32): void {
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
