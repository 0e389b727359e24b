// LayerNorm over the last dimension of [M,N] rows.

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Σ x[j] for j < N, two independent f32x4 chains (the add latency, not throughput, bounds one chain). */
function row_sum(x: usize, N: i32): f32 {
  let s0 = f32x4.splat(0), s1 = s0;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    s0 = f32x4.add(s0, v128.load(x + o));
    s1 = f32x4.add(s1, v128.load(x + o, 16));
  }
  if (j + 4 <= N) {
    s0 = f32x4.add(s0, v128.load(x + (<usize>j << 2)));
    j += 4;
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; j < N; j++) s += load<f32>(x + (<usize>j << 2));
  return s;
}

/** Σ (x[j] − mu)² for j < N. */
function row_sqdev(x: usize, mu: f32, N: i32): f32 {
  const vmu = f32x4.splat(mu);
  let s0 = f32x4.splat(0), s1 = s0;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    const d0 = f32x4.sub(v128.load(x + o), vmu), d1 = f32x4.sub(v128.load(x + o, 16), vmu);
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    s1 = f32x4.add(s1, f32x4.mul(d1, d1));
  }
  if (j + 4 <= N) {
    const d0 = f32x4.sub(v128.load(x + (<usize>j << 2)), vmu);
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    j += 4;
  }
  let q = hsum(f32x4.add(s0, s1));
  for (; j < N; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - mu;
    q += d * d;
  }
  return q;
}

/**
 * Statistics for N % 8 == 0 (the model's widths), two rows at once: both rows' sums, then both rows' squared
 * deviations, run as 4 independent f32x4 chains (one row alone is bound by the add latency of its 2 chains), and
 * the two 1/sqrt share one f32x4 sqrt and divide. Writes mean and rstd; returns the number of rows done (M & ~1).
 */
function layernorm_stats_pairs(mean: usize, rstd: usize, X: usize, M: i32, N: i32, eps: f32): i32 {
  const row = <usize>N << 2;
  const invN: f32 = 1.0 / <f32>N;
  const pairs = M & ~1;
  for (let m = 0; m < pairs; m += 2) {
    const xa = X + <usize>m * row, xb = xa + row;
    let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0;
    for (let o: usize = 0; o < row; o += 32) {
      a0 = f32x4.add(a0, v128.load(xa + o)); a1 = f32x4.add(a1, v128.load(xa + o, 16));
      b0 = f32x4.add(b0, v128.load(xb + o)); b1 = f32x4.add(b1, v128.load(xb + o, 16));
    }
    const mua = hsum(f32x4.add(a0, a1)) * invN, mub = hsum(f32x4.add(b0, b1)) * invN;
    const vma = f32x4.splat(mua), vmb = f32x4.splat(mub);
    a0 = f32x4.splat(0); a1 = a0; b0 = a0; b1 = a0;
    for (let o: usize = 0; o < row; o += 32) {
      const da0 = f32x4.sub(v128.load(xa + o), vma), da1 = f32x4.sub(v128.load(xa + o, 16), vma);
      const db0 = f32x4.sub(v128.load(xb + o), vmb), db1 = f32x4.sub(v128.load(xb + o, 16), vmb);
      a0 = f32x4.add(a0, f32x4.mul(da0, da0)); a1 = f32x4.add(a1, f32x4.mul(da1, da1));
      b0 = f32x4.add(b0, f32x4.mul(db0, db0)); b1 = f32x4.add(b1, f32x4.mul(db1, db1));
    }
    const qa = hsum(f32x4.add(a0, a1)) * invN + eps, qb = hsum(f32x4.add(b0, b1)) * invN + eps;
    const rv = f32x4.div(f32x4.splat(1.0), f32x4.sqrt(f32x4.replace_lane(f32x4.splat(qa), 1, qb)));
    store<f32>(mean + (<usize>m << 2), mua); store<f32>(mean + (<usize>m << 2), mub, 4);
    store<f32>(rstd + (<usize>m << 2), f32x4.extract_lane(rv, 0)); store<f32>(rstd + (<usize>m << 2), f32x4.extract_lane(rv, 1), 4);
  }
  return pairs;
}

/**
 * Y = (X − mean)·rstd·g + b for rows whose mean/rstd are already written, N % 4 == 0, two rows at once (sharing
 * the g and b loads). A pass of its own: with the statistics in memory there is no dependency chain through the
 * rows, so successive rows overlap (in one pass per row, each row waited for its sums, sqrt and divide).
 */
function layernorm_apply(Y: usize, mean: usize, rstd: usize, X: usize, g: usize, b: usize, M: i32, N: i32): void {
  const row = <usize>N << 2;
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const xa = X + <usize>m * row, xb = xa + row, ya = Y + <usize>m * row, yb = ya + row;
    const vma = v128.load32_splat(mean + (<usize>m << 2)), vmb = v128.load32_splat(mean + (<usize>m << 2), 4);
    const vra = v128.load32_splat(rstd + (<usize>m << 2)), vrb = v128.load32_splat(rstd + (<usize>m << 2), 4);
    for (let o: usize = 0; o < row; o += 16) {
      const gg = v128.load(g + o), bb = v128.load(b + o);
      v128.store(ya + o, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xa + o), vma), vra), gg), bb));
      v128.store(yb + o, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xb + o), vmb), vrb), gg), bb));
    }
  }
  if (m < M) {
    const x = X + <usize>m * row, y = Y + <usize>m * row;
    const vm = v128.load32_splat(mean + (<usize>m << 2)), vr = v128.load32_splat(rstd + (<usize>m << 2));
    for (let o: usize = 0; o < row; o += 16) {
      v128.store(y + o, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + o), vm), vr), v128.load(g + o)), v128.load(b + o)));
    }
  }
}

/**
 * Per row m: mean[m] = Σx/N, rstd[m] = 1/sqrt(Σ(x−mean)²/N + eps), Y = (X−mean)·rstd·g + b.
 * Y must not alias X.
 */
export function layernorm_fwd(Y: usize, mean: usize, rstd: usize, X: usize, g: usize, b: usize, M: i32, N: i32, eps: f32): void {
  const n4 = N & ~3;
  const row = <usize>N << 2;
  const invN: f32 = 1.0 / <f32>N;
  let m0 = 0;
  if ((N & 7) == 0 && N > 0) {
    m0 = layernorm_stats_pairs(mean, rstd, X, M, N, eps);
    layernorm_apply(Y, mean, rstd, X, g, b, m0, N);
  }
  for (let m = m0; m < M; m++) {
    const x = X + <usize>m * row, y = Y + <usize>m * row;
    const mu = row_sum(x, N) * invN;
    const vmu = f32x4.splat(mu);
    const q = row_sqdev(x, mu, N);
    let j = 0;
    const r: f32 = 1.0 / Mathf.sqrt(q * invN + eps);
    store<f32>(mean + (<usize>m << 2), mu);
    store<f32>(rstd + (<usize>m << 2), r);
    const vr = f32x4.splat(r);
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), vmu), vr);
      v128.store(y + o, f32x4.add(f32x4.mul(xh, v128.load(g + o)), v128.load(b + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, (load<f32>(x + o) - mu) * r * load<f32>(g + o) + load<f32>(b + o));
    }
  }
}

/**
 * LayerNorm backward, accumulating: with x̂ = (x−mean)·rstd and ĝ = dY·g,
 *   db += Σ_m dY, dg += Σ_m dY·x̂, dX += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
 */
export function layernorm_bwd(
  dX: usize, dg: usize, db: usize, dY: usize, X: usize, mean: usize, rstd: usize, g: usize, M: i32, N: i32,
): void {
  const n4 = N & ~3;
  const row = <usize>N << 2;
  const invN: f32 = 1.0 / <f32>N;
  for (let m = 0; m < M; m++) {
    const x = X + <usize>m * row, dy = dY + <usize>m * row, dx = dX + <usize>m * row;
    const mu = load<f32>(mean + (<usize>m << 2)), r = load<f32>(rstd + (<usize>m << 2));
    const vmu = f32x4.splat(mu), vr = f32x4.splat(r);
    let s1 = f32x4.splat(0), s2 = s1, t1 = s1, t2 = s1;
    let j = 0;
    // two chunks per iteration into two pairs of accumulators: one chain per sum is bound by the add latency
    for (; j + 8 <= n4; j += 8) {
      const o = <usize>j << 2;
      const d = v128.load(dy + o), e = v128.load(dy + o, 16);
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), vmu), vr), xk = f32x4.mul(f32x4.sub(v128.load(x + o, 16), vmu), vr);
      const gh = f32x4.mul(d, v128.load(g + o)), gk = f32x4.mul(e, v128.load(g + o, 16));
      s1 = f32x4.add(s1, gh); t1 = f32x4.add(t1, gk);
      s2 = f32x4.add(s2, f32x4.mul(gh, xh)); t2 = f32x4.add(t2, f32x4.mul(gk, xk));
      v128.store(db + o, f32x4.add(v128.load(db + o), d));
      v128.store(db + o, f32x4.add(v128.load(db + o, 16), e), 16);
      v128.store(dg + o, f32x4.add(v128.load(dg + o), f32x4.mul(d, xh)));
      v128.store(dg + o, f32x4.add(v128.load(dg + o, 16), f32x4.mul(e, xk)), 16);
    }
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(dy + o);
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), vmu), vr);
      const gh = f32x4.mul(d, v128.load(g + o));
      s1 = f32x4.add(s1, gh);
      s2 = f32x4.add(s2, f32x4.mul(gh, xh));
      v128.store(db + o, f32x4.add(v128.load(db + o), d));
      v128.store(dg + o, f32x4.add(v128.load(dg + o), f32x4.mul(d, xh)));
    }
    let a1 = hsum(f32x4.add(s1, t1)), a2 = hsum(f32x4.add(s2, t2));
    for (; j < N; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(dy + o);
      const xh = (load<f32>(x + o) - mu) * r;
      const gh = d * load<f32>(g + o);
      a1 += gh;
      a2 += gh * xh;
      store<f32>(db + o, load<f32>(db + o) + d);
      store<f32>(dg + o, load<f32>(dg + o) + d * xh);
    }
    const m1 = a1 * invN, m2 = a2 * invN;
    const vm1 = f32x4.splat(m1), vm2 = f32x4.splat(m2);
    for (j = 0; j < n4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), vmu), vr);
      const gh = f32x4.mul(v128.load(dy + o), v128.load(g + o));
      const t = f32x4.sub(f32x4.sub(gh, vm1), f32x4.mul(xh, vm2));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), f32x4.mul(vr, t)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(x + o) - mu) * r;
      const gh = load<f32>(dy + o) * load<f32>(g + o);
      store<f32>(dx + o, load<f32>(dx + o) + r * (gh - m1 - xh * m2));
    }
  }
}
