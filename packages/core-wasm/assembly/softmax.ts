// Softmax, its backward, and the fused softmax cross-entropy. exp is a f32x4 polynomial (Cephes expf, ~1 ulp).

// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.0; // e^88 < FLT_MAX; keeps 2^n finite
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -80.0; // e^x for x < −80 (< 1.9e−35) is flushed to exactly 0

/**
 * e^x lane-wise (Cephes expf polynomial, ~1 ulp). Results below e^−80 are flushed to 0, so masked −1e20 scores
 * vanish exactly and no denormal is ever produced (denormal arithmetic costs ~100 cycles per operation on x86).
 */
function exp4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  // pmin/pmax are single instructions (min/max carry NaN/±0 rules that cost V8 several); a NaN input gives a
  // garbage lane, which is fine: softmax of NaN is meaningless anyway
  x = f32x4.pmin(x, f32x4.splat(EXP_HI));
  x = f32x4.pmax(x, f32x4.splat(EXP_LO));
  // n = round(x·log2e) via the 1.5·2^23 trick: the float sum's low mantissa bits hold n
  const MAGIC = f32x4.splat(12582912.0);
  const j = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), MAGIC);
  const n = f32x4.sub(j, MAGIC);
  // r = x − n·ln2 in two steps (Cody–Waite)
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  // 2^n: bits(j) = bits(MAGIC) + n, and (bits(MAGIC) + n + 127) << 23 shifts MAGIC's bits out; n ∈ [−116, 127]
  const e = i32x4.shl(i32x4.add(j, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, e), under);
}

// @ts-ignore: decorator
@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
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
  const vm = f32x4.splat(mx);
  let s0 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = exp4(f32x4.sub(v128.load(x + o), vm));
    v128.store(y + o, e);
    s0 = f32x4.add(s0, e);
  }
  let s = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp1(load<f32>(x + o) - mx);
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
    v128.store(P + o, exp4(v128.load(P + o)));
  }
  for (; i < total; i++) {
    const o = <usize>i << 2;
    store<f32>(P + o, exp1(load<f32>(P + o)));
  }
  for (let r = 0; r < rows; r++) {
    const p = P + <usize>r * row;
    let sum: f32 = 0;
    for (let j = 0; j < n; j++) sum += load<f32>(p + (<usize>j << 2));
    const inv: f32 = 1.0 / sum;
    for (let j = 0; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * inv);
  }
}

/** P[r,:] = softmax(S[r,:]) for rows of n, max-subtracted. P may alias S. */
export function softmax_fwd(P: usize, S: usize, rows: i32, n: i32): void {
  if (n <= 0) return;
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
  for (let r = 0; r < rows; r++) {
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
