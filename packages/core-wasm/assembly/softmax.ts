// Softmax, its backward, and the fused softmax cross-entropy. exp is a f32x4 polynomial (~1 ulp).

// @ts-ignore: decorator
@inline const EXP_LO: f32 = -80.0; // e^x for x < −80 (< 1.9e−35) is flushed to exactly 0

/** Constants of exp4 (see there). */
const EXP_C: usize = memory.data<f32>([
  EXP_LO, 12583039.0 /* 1.5·2^23 + 127 */, 1.44269504088896341 /* log2 e */, 0.693359375, -2.12194440e-4 /* ln 2 */,
  // e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2, P of degree 4 (minimax for relative error, 3e-9: below f32 rounding)
  1.3814540579915047e-3, 8.36874544620514e-3, 4.166838899254799e-2, 1.666652113199234e-1, 4.999999403953552e-1,
  1.0,
]);

/**
 * The address of EXP_C as a run-time value. exp4 reads its constants with load32_splat from this base: V8 has no
 * constant pool for v128 and builds each v128.const from immediates (3 instructions, every time it is used), and a
 * constant address turns each load into a lea plus the load; from a base held in a register each constant is one
 * vbroadcastss. (A mutable global, so Binaryen cannot fold it back into a constant.)
 */
export let expBase: usize = EXP_C;

/**
 * e^x lane-wise for x <= 0 (every caller subtracts the row max first; x above ~88 would overflow the exponent
 * bits): n = round(x·log2 e), r = x − n·ln2 (Cody–Waite), e^r by a degree-6 polynomial, times 2^n built in the
 * exponent bits. Max relative error 8.2e-8 (≈1.4 ulp) over [−80, 0], the same as Cephes' degree-7 expf. Results below
 * e^−80 are flushed to 0, so masked −1e20 scores vanish exactly and no denormal is ever produced (denormal
 * arithmetic costs ~100 cycles per operation on x86). `cb` is expBase.
 */
// @ts-ignore: decorator
@inline export function exp4(x: v128, cb: usize): v128 {
  const lo = v128.load32_splat(cb);
  const under = f32x4.lt(x, lo);
  // pmax is a single instruction (max carries NaN/±0 rules that cost V8 several); a NaN input gives a garbage
  // lane, which is fine: softmax of NaN is meaningless anyway
  x = f32x4.pmax(x, lo);
  // n = round(x·log2e) via the magic-number trick: j = x·log2e + 1.5·2^23 + 127 rounds to an integer, whose float
  // bits are bits(1.5·2^23) + 127 + n
  const MAGIC = v128.load32_splat(cb, 4);
  const j = f32x4.add(f32x4.mul(x, v128.load32_splat(cb, 8)), MAGIC);
  const n = f32x4.sub(j, MAGIC);
  // r = x − n·ln2 in two steps (Cody–Waite)
  let r = f32x4.sub(x, f32x4.mul(n, v128.load32_splat(cb, 12)));
  r = f32x4.sub(r, f32x4.mul(n, v128.load32_splat(cb, 16)));
  // P(r) = c2 + c3 r + c4 r² + c5 r³ + c6 r⁴ in Estrin form (half the dependency depth of Horner)
  const r2 = f32x4.mul(r, r);
  const a = f32x4.add(f32x4.mul(v128.load32_splat(cb, 32), r), v128.load32_splat(cb, 36)); // c3 r + c2
  const b = f32x4.add(f32x4.mul(v128.load32_splat(cb, 24), r), v128.load32_splat(cb, 28)); // c5 r + c4
  const c = f32x4.add(f32x4.mul(v128.load32_splat(cb, 20), r2), b); // c6 r² + c5 r + c4
  const q = f32x4.add(f32x4.mul(c, r2), a);
  const p = f32x4.add(f32x4.add(f32x4.mul(q, r2), r), v128.load32_splat(cb, 40));
  // 2^n: bits(j) << 23 = (bits(1.5·2^23) + 127 + n) << 23 = (n + 127) << 23 (the high bits shift out); n ∈ [−116, 0]
  return v128.andnot(f32x4.mul(p, i32x4.shl(j, 23)), under);
}

// @ts-ignore: decorator
@inline function exp1(x: f32, cb: usize): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x), cb), 0);
}

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** max over n contiguous floats (n >= 1). */
function row_max(x: usize, n: i32): f32 {
  let j = 0;
  let m: f32 = -Infinity;
  if (n >= 4) {
    let mv = v128.load(x);
    for (j = 4; j + 4 <= n; j += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>j << 2)));
    mv = f32x4.pmax(mv, v128.shuffle<f32>(mv, mv, 2, 3, 0, 1));
    mv = f32x4.pmax(mv, v128.shuffle<f32>(mv, mv, 1, 0, 3, 2));
    m = f32x4.extract_lane(mv, 0);
  }
  for (; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    m = v > m ? v : m;
  }
  return m;
}

/** y = exp(x − mx) over n floats; returns Σ y (y may alias x). */
function row_exp_sum(y: usize, x: usize, mx: f32, n: i32): f32 {
  const cb = expBase;
  const vm = f32x4.splat(mx);
  let s0 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = exp4(f32x4.sub(v128.load(x + o), vm), cb);
    v128.store(y + o, e);
    s0 = f32x4.add(s0, e);
  }
  let s = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp1(load<f32>(x + o) - mx, cb);
    store<f32>(y + o, e);
    s += e;
  }
  return s;
}

/** y *= a over n floats. */
function row_scale(y: usize, a: f32, n: i32): void {
  const va = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), va));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) * a);
  }
}

/**
 * Short rows (attention over a few keys): exp runs over the whole [rows, n] block at full vector width instead of
 * one partly-filled vector (plus a tail) per row.
 */
function softmax_short(P: usize, S: usize, rows: i32, n: i32): void {
  const cb = expBase;
  const row = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const s = S + <usize>r * row, p = P + <usize>r * row;
    let mx = load<f32>(s);
    for (let j = 1; j < n; j++) {
      const v = load<f32>(s + (<usize>j << 2));
      mx = v > mx ? v : mx;
    }
    for (let j = 0; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) - mx);
  }
  const total = rows * n;
  let i = 0;
  for (; i + 4 <= total; i += 4) {
    const o = <usize>i << 2;
    v128.store(P + o, exp4(v128.load(P + o), cb));
  }
  for (; i < total; i++) {
    const o = <usize>i << 2;
    store<f32>(P + o, exp1(load<f32>(P + o), cb));
  }
  for (let r = 0; r < rows; r++) {
    const p = P + <usize>r * row;
    let sum: f32 = 0;
    for (let j = 0; j < n; j++) sum += load<f32>(p + (<usize>j << 2));
    const inv: f32 = 1.0 / sum;
    for (let j = 0; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * inv);
  }
}

// Rows of 5 (attention over 5 keys): 4 rows = 20 contiguous floats = 5 vectors. Shuffles turn them into 5 columns
// (lane r = row r), so max, exp, sum and scaling run lane-parallel over 4 rows with no horizontal operations and
// no partly filled vectors; the results are shuffled back to rows. Remaining rows (rows % 4) take the general path.

/** Column k of 4 flat rows of 5 (lane r = element 5r + k of v0..v4), k = 0..4, written out for each k. */
// @ts-ignore: decorator
@inline function col5_0(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(v0, v1, 0, 0, 5, 5), v128.shuffle<f32>(v2, v3, 2, 2, 7, 7), 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function col5_1(v0: v128, v1: v128, v2: v128, v4: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(v0, v1, 1, 1, 6, 6), v128.shuffle<f32>(v2, v4, 3, 3, 4, 4), 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function col5_2(v0: v128, v1: v128, v3: v128, v4: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(v0, v1, 2, 2, 7, 7), v128.shuffle<f32>(v3, v4, 0, 0, 5, 5), 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function col5_3(v0: v128, v2: v128, v3: v128, v4: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(v0, v2, 3, 3, 4, 4), v128.shuffle<f32>(v3, v4, 1, 1, 6, 6), 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function col5_4(v1: v128, v2: v128, v3: v128, v4: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(v1, v2, 0, 0, 5, 5), v128.shuffle<f32>(v3, v4, 2, 2, 7, 7), 0, 2, 4, 6);
}

/** Inverse of the col5_k: stores columns c0..c4 (lane r = row r) as 4 flat rows of 5 at p. */
// @ts-ignore: decorator
@inline function store_rows5(p: usize, c0: v128, c1: v128, c2: v128, c3: v128, c4: v128): void {
  v128.store(p, v128.shuffle<f32>(v128.shuffle<f32>(c0, c1, 0, 0, 4, 4), v128.shuffle<f32>(c2, c3, 0, 0, 4, 4), 0, 2, 4, 6));
  v128.store(p, v128.shuffle<f32>(v128.shuffle<f32>(c4, c0, 0, 0, 5, 5), v128.shuffle<f32>(c1, c2, 1, 1, 5, 5), 0, 2, 4, 6), 16);
  v128.store(p, v128.shuffle<f32>(v128.shuffle<f32>(c3, c4, 1, 1, 5, 5), v128.shuffle<f32>(c0, c1, 2, 2, 6, 6), 0, 2, 4, 6), 32);
  v128.store(p, v128.shuffle<f32>(v128.shuffle<f32>(c2, c3, 2, 2, 6, 6), v128.shuffle<f32>(c4, c0, 2, 2, 7, 7), 0, 2, 4, 6), 48);
  v128.store(p, v128.shuffle<f32>(v128.shuffle<f32>(c1, c2, 3, 3, 7, 7), v128.shuffle<f32>(c3, c4, 3, 3, 7, 7), 0, 2, 4, 6), 64);
}

/** softmax_fwd for n = 5, 4 rows per step; returns the number of rows done (rows & ~3). */
function softmax5(P: usize, S: usize, rows: i32): i32 {
  const cb = expBase;
  const full = rows & ~3;
  for (let g = 0; g < full; g += 4) {
    const o = <usize>g * 20;
    const s = S + o;
    const v0 = v128.load(s), v1 = v128.load(s, 16), v2 = v128.load(s, 32), v3 = v128.load(s, 48), v4 = v128.load(s, 64);
    let c0 = col5_0(v0, v1, v2, v3), c1 = col5_1(v0, v1, v2, v4), c2 = col5_2(v0, v1, v3, v4);
    let c3 = col5_3(v0, v2, v3, v4), c4 = col5_4(v1, v2, v3, v4);
    const m = f32x4.pmax(f32x4.pmax(f32x4.pmax(c0, c1), f32x4.pmax(c2, c3)), c4);
    c0 = exp4(f32x4.sub(c0, m), cb); c1 = exp4(f32x4.sub(c1, m), cb); c2 = exp4(f32x4.sub(c2, m), cb);
    c3 = exp4(f32x4.sub(c3, m), cb); c4 = exp4(f32x4.sub(c4, m), cb);
    const inv = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), c4));
    store_rows5(P + o, f32x4.mul(c0, inv), f32x4.mul(c1, inv), f32x4.mul(c2, inv), f32x4.mul(c3, inv), f32x4.mul(c4, inv));
  }
  return full;
}

/** softmax_bwd for n = 5, 4 rows per step; returns the number of rows done (rows & ~3). */
function softmax5_bwd(dS: usize, dP: usize, P: usize, rows: i32): i32 {
  const full = rows & ~3;
  for (let g = 0; g < full; g += 4) {
    const o = <usize>g * 20;
    const p = P + o, dp = dP + o, ds = dS + o;
    const p0 = v128.load(p), p1 = v128.load(p, 16), p2 = v128.load(p, 32), p3 = v128.load(p, 48), p4 = v128.load(p, 64);
    const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48), d4 = v128.load(dp, 64);
    const q0 = f32x4.mul(p0, d0), q1 = f32x4.mul(p1, d1), q2 = f32x4.mul(p2, d2), q3 = f32x4.mul(p3, d3), q4 = f32x4.mul(p4, d4);
    // per-row Σ dP·P, lane r = row r
    const t = f32x4.add(
      f32x4.add(f32x4.add(col5_0(q0, q1, q2, q3), col5_1(q0, q1, q2, q4)), f32x4.add(col5_2(q0, q1, q3, q4), col5_3(q0, q2, q3, q4))),
      col5_4(q1, q2, q3, q4),
    );
    // back to the flat layout: element 5r + k gets t[r]
    const t0 = v128.shuffle<f32>(t, t, 0, 0, 0, 0), t1 = v128.shuffle<f32>(t, t, 0, 1, 1, 1);
    const t2 = v128.shuffle<f32>(t, t, 1, 1, 2, 2), t3 = v128.shuffle<f32>(t, t, 2, 2, 2, 3), t4 = v128.shuffle<f32>(t, t, 3, 3, 3, 3);
    v128.store(ds, f32x4.add(v128.load(ds), f32x4.mul(p0, f32x4.sub(d0, t0))));
    v128.store(ds, f32x4.add(v128.load(ds, 16), f32x4.mul(p1, f32x4.sub(d1, t1))), 16);
    v128.store(ds, f32x4.add(v128.load(ds, 32), f32x4.mul(p2, f32x4.sub(d2, t2))), 32);
    v128.store(ds, f32x4.add(v128.load(ds, 48), f32x4.mul(p3, f32x4.sub(d3, t3))), 48);
    v128.store(ds, f32x4.add(v128.load(ds, 64), f32x4.mul(p4, f32x4.sub(d4, t4))), 64);
  }
  return full;
}

/** P[r,:] = softmax(S[r,:]) for rows of n, max-subtracted. P may alias S. */
export function softmax_fwd(P: usize, S: usize, rows: i32, n: i32): void {
  if (n <= 0) return;
  if (n == 5) {
    const done = softmax5(P, S, rows);
    if (done < rows) softmax_short(P + <usize>done * 20, S + <usize>done * 20, rows - done, 5);
    return;
  }
  if (n < 8) {
    softmax_short(P, S, rows, n);
    return;
  }
  const row = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const s = S + <usize>r * row, p = P + <usize>r * row;
    const mx = row_max(s, n);
    const sum = row_exp_sum(p, s, mx, n);
    row_scale(p, 1.0 / sum, n);
  }
}

/** dS += P ⊙ (dP − Σ_j dP_j·P_j), per row. */
export function softmax_bwd(dS: usize, dP: usize, P: usize, rows: i32, n: i32): void {
  const row = <usize>n << 2;
  let r0 = 0;
  if (n == 5) r0 = softmax5_bwd(dS, dP, P, rows);
  for (let r = r0; r < rows; r++) {
    const ds = dS + <usize>r * row, dp = dP + <usize>r * row, p = P + <usize>r * row;
    let s0 = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(dp + o), v128.load(p + o)));
    }
    let d = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
    for (; j < n; j++) {
      const o = <usize>j << 2;
      d += load<f32>(dp + o) * load<f32>(p + o);
    }
    const vd = f32x4.splat(d);
    for (j = 0; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const t = f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(dp + o), vd));
      v128.store(ds + o, f32x4.add(v128.load(ds + o), t));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(ds + o, load<f32>(ds + o) + load<f32>(p + o) * (load<f32>(dp + o) - d));
    }
  }
}

/**
 * Per row b of logits [Bn, C]: P[b,:] = softmax(logits[b,:]), loss[b] = logsumexp(logits[b,:]) − logits[b, t]
 * (= −log P[b, t], computed from the log-sum-exp, never from log P) with t = targets[b] (int32).
 * P may alias logits.
 */
export function cross_entropy_fwd(loss: usize, P: usize, logits: usize, targets: usize, Bn: i32, C: i32): void {
  const row = <usize>C << 2;
  for (let b = 0; b < Bn; b++) {
    const x = logits + <usize>b * row, p = P + <usize>b * row;
    const t = load<i32>(targets + (<usize>b << 2));
    const xt = load<f32>(x + (<usize>t << 2));
    const mx = row_max(x, C);
    const sum = row_exp_sum(p, x, mx, C);
    store<f32>(loss + (<usize>b << 2), <f32>((<f64>mx - <f64>xt) + Math.log(<f64>sum)));
    row_scale(p, 1.0 / sum, C);
  }
}

/** dlogits[b,c] += scale·(P[b,c] − [c == targets[b]]). */
export function cross_entropy_bwd(dlogits: usize, P: usize, targets: usize, Bn: i32, C: i32, scale: f32): void {
  const row = <usize>C << 2;
  const vs = f32x4.splat(scale);
  for (let b = 0; b < Bn; b++) {
    const d = dlogits + <usize>b * row, p = P + <usize>b * row;
    const ot = <usize>load<i32>(targets + (<usize>b << 2)) << 2;
    const dt = load<f32>(d + ot);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const o = <usize>j << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(vs, v128.load(p + o))));
    }
    for (; j < C; j++) {
      const o = <usize>j << 2;
      store<f32>(d + o, load<f32>(d + o) + scale * load<f32>(p + o));
    }
    store<f32>(d + ot, dt + scale * (load<f32>(p + ot) - 1.0));
  }
}
