// Register-tiled f32x4 matrix multiplication.
//
// One 4x8 micro-tile (8 f32x4 accumulators) is the only hot loop. Two variants differ in how the A operand is
// addressed: `kern_rc` (A rows contiguous along k, as in C = A·B and C = A·Bᵀ) and `kern_cc` (the 4 rows of a tile
// contiguous at fixed k, as in C = Aᵀ·B). The B operand is read as 8 consecutive floats per k from a packed [kc][8]
// panel in the static scratch below (zero-padded for the N tail). Both kernels are inlined into their loops.
//
// All pointers and strides here are in BYTES.

// @ts-ignore: decorator
@inline export const KC: i32 = 256; // k block: 4 x KC A-tile (4 KiB) and KC x 8 B-panel (8 KiB) stay in L1
// @ts-ignore: decorator
@inline export const MC: i32 = 128; // rows per i block (multiple of 4): MC x KC A block (128 KiB) stays in L2
// @ts-ignore: decorator
@inline export const NC: i32 = 256; // columns per packed block in gemm_nt (multiple of 8)

/** Packed Bᵀ block for gemm_nt: NC/8 panels of [KC][8]. */
const PACK_B: usize = memory.data(KC * NC * 4, 64);
/** One zero-padded [KC][8] panel for the N tail of gemm_rc / gemm_cc. */
const PACK_BT: usize = memory.data(KC * 8 * 4, 64);
/** One [KC][8] panel of B for gemm_rc / gemm_cc (see pack_b_full). */
const PACK_BF: usize = memory.data(KC * 8 * 4, 64);
/** gemm_cc's A block: MC/4 strips of [KC][4] (see pack_a_strip). */
const PACK_A: usize = memory.data(MC * KC * 4, 64);
/** One zero-padded [KC][4] panel for the M tail of gemm_cc. */
const PACK_AT: usize = memory.data(KC * 4 * 4, 64);
/** 4x8 spill area for partial tiles. */
const TILE: usize = memory.data(32 * 4, 64);

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Writes a finished tile: C = (acc ? C : 0) + alpha * tile, only the top-left mr x nr part. */
// @ts-ignore: decorator
@inline function store_tile(
  c: usize, ldc: usize, alpha: f32, acc: i32, mr: i32, nr: i32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  if (alpha != 1.0) {
    const al = f32x4.splat(alpha);
    c00 = f32x4.mul(c00, al); c01 = f32x4.mul(c01, al);
    c10 = f32x4.mul(c10, al); c11 = f32x4.mul(c11, al);
    c20 = f32x4.mul(c20, al); c21 = f32x4.mul(c21, al);
    c30 = f32x4.mul(c30, al); c31 = f32x4.mul(c31, al);
  }
  if ((mr == 4) & (nr == 8)) {
    if (acc) {
      c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
      v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
      c10 = f32x4.add(c10, v128.load(c)); c11 = f32x4.add(c11, v128.load(c, 16));
      v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
      c20 = f32x4.add(c20, v128.load(c)); c21 = f32x4.add(c21, v128.load(c, 16));
      v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
      c30 = f32x4.add(c30, v128.load(c)); c31 = f32x4.add(c31, v128.load(c, 16));
      v128.store(c, c30); v128.store(c, c31, 16);
    } else {
      v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
      v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
      v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
      v128.store(c, c30); v128.store(c, c31, 16);
    }
    return;
  }
  v128.store(TILE, c00, 0); v128.store(TILE, c01, 16);
  v128.store(TILE, c10, 32); v128.store(TILE, c11, 48);
  v128.store(TILE, c20, 64); v128.store(TILE, c21, 80);
  v128.store(TILE, c30, 96); v128.store(TILE, c31, 112);
  for (let r = 0; r < mr; r++) {
    const t = TILE + (<usize>r << 5);
    if (acc) {
      for (let j = 0; j < nr; j++) {
        const p = c + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + load<f32>(t + (<usize>j << 2)));
      }
    } else {
      for (let j = 0; j < nr; j++) store<f32>(c + (<usize>j << 2), load<f32>(t + (<usize>j << 2)));
    }
    c += ldc;
  }
}

/**
 * 4x8 tile, A rows contiguous along k: a_r points at A(r, 0), B(k, 0..8) at b + k*ldb.
 * Rows r >= mr must still point at readable memory (callers repeat row 0).
 */
// @ts-ignore: decorator
@inline function kern_rc(
  c: usize, ldc: usize, a0: usize, a1: usize, a2: usize, a3: usize, b: usize, ldb: usize,
  K: i32, alpha: f32, acc: i32, mr: i32, nr: i32,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16); b += ldb;
    let a = v128.load32_splat(a0); c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(a1); c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(a2); c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(a3); c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    a0 += 4; a1 += 4; a2 += 4; a3 += 4;
  }
  store_tile(c, ldc, alpha, acc, mr, nr, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** 4x8 tile, A column-contiguous: A(r, k) at a + k*lda + 4r (all 4 rows readable). */
// @ts-ignore: decorator
@inline function kern_cc(
  c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize,
  K: i32, alpha: f32, acc: i32, mr: i32, nr: i32,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16); b += ldb;
    let x = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12); c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += lda;
  }
  store_tile(c, ldc, alpha, acc, mr, nr, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** Final write of one f32x4 of results: C = (acc ? C : 0) + alpha * v. */
// @ts-ignore: decorator
@inline function store4(c: usize, v: v128, alpha: f32, acc: i32): void {
  if (alpha != 1.0) v = f32x4.mul(v, f32x4.splat(alpha));
  if (acc) v = f32x4.add(v, v128.load(c));
  v128.store(c, v);
}

// @ts-ignore: decorator
@inline function store1(c: usize, v: f32, alpha: f32, acc: i32): void {
  v *= alpha;
  if (acc) v += load<f32>(c);
  store<f32>(c, v);
}

/**
 * One output row: c[j] (+)= alpha · Σ_k a[k*sa] · B(k, j), B(k, j) at b + k*ldb + 4j, for j < N.
 * Used when a 4-row tile would waste most of its work (M < 4, or a single leftover row).
 */
export function row_nn(c: usize, a: usize, sa: usize, b: usize, ldb: usize, N: i32, K: i32, alpha: f32, acc: i32): void {
  let j = 0;
  for (; j + 32 <= N; j += 32) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    let pa = a, pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
      s2 = f32x4.add(s2, f32x4.mul(x, v128.load(pb, 32)));
      s3 = f32x4.add(s3, f32x4.mul(x, v128.load(pb, 48)));
      s4 = f32x4.add(s4, f32x4.mul(x, v128.load(pb, 64)));
      s5 = f32x4.add(s5, f32x4.mul(x, v128.load(pb, 80)));
      s6 = f32x4.add(s6, f32x4.mul(x, v128.load(pb, 96)));
      s7 = f32x4.add(s7, f32x4.mul(x, v128.load(pb, 112)));
      pa += sa; pb += ldb;
    }
    const pc = c + (<usize>j << 2);
    store4(pc, s0, alpha, acc); store4(pc + 16, s1, alpha, acc);
    store4(pc + 32, s2, alpha, acc); store4(pc + 48, s3, alpha, acc);
    store4(pc + 64, s4, alpha, acc); store4(pc + 80, s5, alpha, acc);
    store4(pc + 96, s6, alpha, acc); store4(pc + 112, s7, alpha, acc);
  }
  if (j + 16 <= N) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let pa = a, pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
      s2 = f32x4.add(s2, f32x4.mul(x, v128.load(pb, 32)));
      s3 = f32x4.add(s3, f32x4.mul(x, v128.load(pb, 48)));
      pa += sa; pb += ldb;
    }
    const pc = c + (<usize>j << 2);
    store4(pc, s0, alpha, acc); store4(pc + 16, s1, alpha, acc);
    store4(pc + 32, s2, alpha, acc); store4(pc + 48, s3, alpha, acc);
    j += 16;
  }
  for (; j + 8 <= N; j += 8) {
    let s0 = f32x4.splat(0), s1 = s0;
    let pa = a, pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
      pa += sa; pb += ldb;
    }
    const pc = c + (<usize>j << 2);
    store4(pc, s0, alpha, acc); store4(pc + 16, s1, alpha, acc);
  }
  for (; j + 4 <= N; j += 4) {
    let s0 = f32x4.splat(0);
    let pa = a, pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
      pa += sa; pb += ldb;
    }
    store4(c + (<usize>j << 2), s0, alpha, acc);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    let pa = a, pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      s += load<f32>(pa) * load<f32>(pb);
      pa += sa; pb += ldb;
    }
    store1(c + (<usize>j << 2), s, alpha, acc);
  }
}

/** Horizontal sums of 4 vectors: [Σs0, Σs1, Σs2, Σs3]. */
// @ts-ignore: decorator
@inline function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** Σ_k x[k]·y[k] over contiguous f32, SIMD with scalar tail. */
function dot(x: usize, y: usize, K: i32): f32 {
  let s0 = f32x4.splat(0), s1 = s0;
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const o = <usize>k << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  if (k + 4 <= K) {
    const o = <usize>k << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    k += 4;
  }
  s0 = f32x4.add(s0, s1);
  let s = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
  for (; k < K; k++) s += load<f32>(x + (<usize>k << 2)) * load<f32>(y + (<usize>k << 2));
  return s;
}

/** One output row of A·Bᵀ: c[j] (+)= alpha · Σ_k a[k] · B[j*ldb + 4k] (dot products along k, 4 rows of B at once). */
export function row_nt(c: usize, a: usize, b: usize, ldb: usize, N: i32, K: i32, alpha: f32, acc: i32): void {
  const k4 = K & ~3;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const b0 = b + <usize>j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (let k = 0; k < k4; k += 4) {
      const o = <usize>k << 2;
      const x = v128.load(a + o);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + o)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b1 + o)));
      s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b2 + o)));
      s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b3 + o)));
    }
    let r = hsum4(s0, s1, s2, s3);
    for (let k = k4; k < K; k++) {
      const o = <usize>k << 2;
      const x = v128.load32_splat(a + o);
      let y = v128.load32_zero(b0 + o);
      y = v128.load32_lane(b1 + o, y, 1);
      y = v128.load32_lane(b2 + o, y, 2);
      y = v128.load32_lane(b3 + o, y, 3);
      r = f32x4.add(r, f32x4.mul(x, y));
    }
    store4(c + (<usize>j << 2), r, alpha, acc);
  }
  for (; j < N; j++) store1(c + (<usize>j << 2), dot(a, b + <usize>j * ldb, K), alpha, acc);
}

/** C[M,N] = (acc ? C : 0) when K == 0. */
function zero_or_keep(C: usize, ldc: usize, M: i32, N: i32, acc: i32): void {
  if (acc) return;
  for (let i = 0; i < M; i++) memory.fill(C + <usize>i * ldc, 0, <usize>N << 2);
}

/** Copies B(k0..k0+kc, j0..j0+nr) (nr < 8, rows ldb bytes apart) into PACK_BT as [kc][8], zero-padded. */
function pack_b_tail(B: usize, ldb: usize, kc: i32, nr: i32): void {
  let dst = PACK_BT;
  const zero = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    v128.store(dst, zero); v128.store(dst, zero, 16);
    for (let j = 0; j < nr; j++) store<f32>(dst + (<usize>j << 2), load<f32>(B + (<usize>j << 2)));
    dst += 32; B += ldb;
  }
}

/**
 * Copies B(k0..k0+kc, j0..j0+8) (rows ldb bytes apart) into PACK_BF as [kc][8]: in place, rows N floats apart map
 * an 8-wide panel onto few L1 sets, so it is evicted between the row tiles that reuse it.
 */
function pack_b_full(B: usize, ldb: usize, kc: i32): void {
  let dst = PACK_BF;
  for (let k = 0; k < kc; k++) {
    v128.store(dst, v128.load(B)); v128.store(dst, v128.load(B, 16), 16);
    dst += 32; B += ldb;
  }
}

/**
 * C (+)= alpha · A · B with A(i,k) at A + i*lda + 4k (rows contiguous along k) and B(k,j) at B + k*ldb + 4j.
 * Strides in bytes. Handles any M, N, K >= 0.
 */
export function gemm_rc(
  C: usize, ldc: usize, A: usize, lda: usize, B: usize, ldb: usize,
  M: i32, N: i32, K: i32, alpha: f32, acc: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { zero_or_keep(C, ldc, M, N, acc); return; }
  if (M < 4) {
    for (let i = 0; i < M; i++) row_nn(C + <usize>i * ldc, A + <usize>i * lda, 4, B, ldb, N, K, alpha, acc);
    return;
  }
  const nfull = N & ~7, ntail = N - nfull;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = imin(KC, K - k0);
    const ac = k0 > 0 ? 1 : acc;
    const Ak = A + (<usize>k0 << 2), Bk = B + <usize>k0 * ldb;
    if ((M & 3) == 1) {
      // one leftover row: a row kernel does 1/4 of the work of a padded 4-row tile
      const i = M - 1;
      row_nn(C + <usize>i * ldc, Ak + <usize>i * lda, 4, Bk, ldb, N, kc, alpha, ac);
    }
    const Mt = (M & 3) == 1 ? M - 1 : M;
    if (ntail) pack_b_tail(Bk + (<usize>nfull << 2), ldb, kc, ntail);
    for (let i0 = 0; i0 < Mt; i0 += MC) {
      const iend = imin(Mt, i0 + MC);
      for (let j = 0; j < N; j += 8) {
        const nr = imin(8, N - j);
        if (nr == 8) pack_b_full(Bk + (<usize>j << 2), ldb, kc);
        const bp = nr == 8 ? PACK_BF : PACK_BT;
        const bld: usize = 32;
        for (let i = i0; i < iend; i += 4) {
          const mr = imin(4, iend - i);
          const a0 = Ak + <usize>i * lda;
          const a1 = mr > 1 ? a0 + lda : a0, a2 = mr > 2 ? a1 + lda : a0, a3 = mr > 3 ? a2 + lda : a0;
          kern_rc(C + <usize>i * ldc + (<usize>j << 2), ldc, a0, a1, a2, a3, bp, bld, kc, alpha, ac, mr, nr);
        }
      }
    }
  }
}

/** Copies the 4 rows at A (A(r, k) at A + k*lda + 4r) for k < kc into dst as [kc][4]. */
function pack_a_strip(A: usize, lda: usize, kc: i32, dst: usize): void {
  for (let k = 0; k < kc; k++) {
    v128.store(dst, v128.load(A));
    dst += 16; A += lda;
  }
}

/**
 * C (+)= alpha · A · B with A(i,k) at A + k*lda + 4i (A stored transposed, [K][M]) and B(k,j) at B + k*ldb + 4j.
 */
export function gemm_cc(
  C: usize, ldc: usize, A: usize, lda: usize, B: usize, ldb: usize,
  M: i32, N: i32, K: i32, alpha: f32, acc: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { zero_or_keep(C, ldc, M, N, acc); return; }
  if (M < 4) {
    for (let i = 0; i < M; i++) row_nn(C + <usize>i * ldc, A + (<usize>i << 2), lda, B, ldb, N, K, alpha, acc);
    return;
  }
  const nfull = N & ~7, ntail = N - nfull;
  const Mt = (M & 3) == 1 ? M - 1 : M;
  const mfull = Mt & ~3, mtail = Mt - mfull;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = imin(KC, K - k0);
    const ac = k0 > 0 ? 1 : acc;
    const Ak = A + <usize>k0 * lda, Bk = B + <usize>k0 * ldb;
    if (Mt != M) row_nn(C + <usize>Mt * ldc, Ak + (<usize>Mt << 2), lda, Bk, ldb, N, kc, alpha, ac);
    if (ntail) pack_b_tail(Bk + (<usize>nfull << 2), ldb, kc, ntail);
    if (mtail) {
      // [kc][4] zero-padded copy of the last mtail rows
      let src = Ak + (<usize>mfull << 2), dst = PACK_AT;
      for (let k = 0; k < kc; k++) {
        v128.store(dst, f32x4.splat(0));
        for (let r = 0; r < mtail; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
        dst += 16; src += lda;
      }
    }
    const astride = <usize>kc << 4;
    for (let i0 = 0; i0 < Mt; i0 += MC) {
      const iend = imin(Mt, i0 + MC);
      // the block's full 4-row strips, each [kc][4] contiguous (in place they are M floats apart per k)
      for (let i = i0; i + 4 <= iend; i += 4) pack_a_strip(Ak + (<usize>i << 2), lda, kc, PACK_A + <usize>((i - i0) >> 2) * astride);
      for (let j = 0; j < N; j += 8) {
        const nr = imin(8, N - j);
        if (nr == 8) pack_b_full(Bk + (<usize>j << 2), ldb, kc);
        const bp = nr == 8 ? PACK_BF : PACK_BT;
        const bld: usize = 32;
        for (let i = i0; i < iend; i += 4) {
          const mr = imin(4, iend - i);
          const ap = mr == 4 ? PACK_A + <usize>((i - i0) >> 2) * astride : PACK_AT;
          const ald: usize = 16;
          kern_cc(C + <usize>i * ldc + (<usize>j << 2), ldc, ap, ald, bp, bld, kc, alpha, ac, mr, nr);
        }
      }
    }
  }
}

/**
 * Packs Bᵀ for B(j,k) at B + j*ldb + 4k, rows j0.. (nc of them), columns k0.. (kc): panel p = columns 8p..8p+7 of
 * the result is stored at PACK_B + p*kc*32 as [kc][8], the last panel zero-padded.
 */
function pack_bt(B: usize, ldb: usize, nc: i32, kc: i32): void {
  const np = (nc + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const dst = PACK_B + <usize>p * <usize>kc * 32;
    const j0 = p << 3;
    const nr = imin(8, nc - j0);
    if (nr == 8) {
      // 4x4 transposes: rows j0..j0+3 / j0+4..j0+7, 4 k at a time
      const r0 = B + <usize>j0 * ldb;
      const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb, r4 = r3 + ldb, r5 = r4 + ldb, r6 = r5 + ldb, r7 = r6 + ldb;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const d = dst + (<usize>k << 5);
        let x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
        let t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), 0);
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
        x0 = v128.load(r4 + o); x1 = v128.load(r5 + o); x2 = v128.load(r6 + o); x3 = v128.load(r7 + o);
        t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5); t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5); t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), 16);
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 48);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 80);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 112);
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        const d = dst + (<usize>k << 5);
        store<f32>(d, load<f32>(r0 + o), 0); store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12);
        store<f32>(d, load<f32>(r4 + o), 16); store<f32>(d, load<f32>(r5 + o), 20);
        store<f32>(d, load<f32>(r6 + o), 24); store<f32>(d, load<f32>(r7 + o), 28);
      }
    } else {
      const zero = f32x4.splat(0);
      for (let k = 0; k < kc; k++) {
        const d = dst + (<usize>k << 5);
        v128.store(d, zero); v128.store(d, zero, 16);
      }
      for (let jj = 0; jj < nr; jj++) {
        let src = B + <usize>(j0 + jj) * ldb, d = dst + (<usize>jj << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(src));
          src += 4; d += 32;
        }
      }
    }
  }
}

/**
 * C (+)= alpha · A · Bᵀ with A(i,k) at A + i*lda + 4k and B(j,k) at B + j*ldb + 4k (both rows contiguous along k).
 * Bᵀ is packed block by block into PACK_B. If causalLim >= 0, row i only needs columns j <= causalLim + i: tiles
 * entirely beyond that are skipped (their C entries are left as they were; the caller overwrites them).
 */
export function gemm_nt(
  C: usize, ldc: usize, A: usize, lda: usize, B: usize, ldb: usize,
  M: i32, N: i32, K: i32, alpha: f32, acc: i32, causalLim: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { zero_or_keep(C, ldc, M, N, acc); return; }
  // Few rows: dot products straight from B beat packing Bᵀ. A single leftover row is done the same way.
  const Mt = M < 8 ? 0 : (M & 3) == 1 ? M - 1 : M;
  for (let i = Mt; i < M; i++) {
    const n = causalLim >= 0 ? imin(N, causalLim + i + 1) : N;
    if (n > 0) row_nt(C + <usize>i * ldc, A + <usize>i * lda, B, ldb, n, K, alpha, acc);
  }
  if (Mt == 0) return;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = imin(KC, K - k0);
    const ac = k0 > 0 ? 1 : acc;
    const Ak = A + (<usize>k0 << 2);
    const pstride = <usize>kc * 32;
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = imin(NC, N - j0);
      pack_bt(B + <usize>j0 * ldb + (<usize>k0 << 2), ldb, nc, kc);
      for (let i0 = 0; i0 < Mt; i0 += MC) {
        const iend = imin(Mt, i0 + MC);
        for (let j = 0; j < nc; j += 8) {
          const nr = imin(8, nc - j);
          const bp = PACK_B + <usize>(j >> 3) * pstride;
          const cj = j0 + j;
          for (let i = i0; i < iend; i += 4) {
            const mr = imin(4, iend - i);
            if (causalLim >= 0 && cj > causalLim + i + mr - 1) continue;
            const a0 = Ak + <usize>i * lda;
            const a1 = mr > 1 ? a0 + lda : a0, a2 = mr > 2 ? a1 + lda : a0, a3 = mr > 3 ? a2 + lda : a0;
            kern_rc(C + <usize>i * ldc + (<usize>cj << 2), ldc, a0, a1, a2, a3, bp, 32, kc, alpha, ac, mr, nr);
          }
        }
      }
    }
  }
}

// ---- exported matmuls (row-major f32, shapes in elements) ----

/** C[M,N] = (acc ? C : 0) + A[M,K] · B[N,K]ᵀ. */
export function matmul_nt(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, acc: i32): void {
  const k4 = <usize>K << 2;
  gemm_nt(C, <usize>N << 2, A, k4, B, k4, M, N, K, 1.0, acc, -1);
}

/** C[M,N] = (acc ? C : 0) + A[M,K] · B[K,N]. */
export function matmul_nn(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, acc: i32): void {
  const n4 = <usize>N << 2;
  gemm_rc(C, n4, A, <usize>K << 2, B, n4, M, N, K, 1.0, acc);
}

/** C[M,N] = (acc ? C : 0) + A[K,M]ᵀ · B[K,N]. */
export function matmul_tn(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, acc: i32): void {
  const n4 = <usize>N << 2;
  gemm_cc(C, n4, A, <usize>M << 2, B, n4, M, N, K, 1.0, acc);
}

