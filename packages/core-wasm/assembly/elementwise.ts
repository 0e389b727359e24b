// Elementwise kernels, bias, row sums, gather/scatter, masked select, squared norm.
// Pointers are byte offsets, counts are elements. Every loop is f32x4 with a scalar tail.

/** Y[m,:] += b[:] for m < M (Y is [M,N]). */
export function add_bias(Y: usize, b: usize, M: i32, N: i32): void {
  const n4 = N & ~3;
  for (let m = 0; m < M; m++) {
    const y = Y + <usize>m * (<usize>N << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(b + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + load<f32>(b + o));
    }
  }
}

/** db[:] += Σ_m dY[m,:] (dY is [M,N]). */
export function sum_rows(db: usize, dY: usize, M: i32, N: i32): void {
  const ld = <usize>N << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let p = dY + (<usize>j << 2);
    for (let m = 0; m < M; m++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += ld;
    }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), s0)); v128.store(d, f32x4.add(v128.load(d, 16), s1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), s2), 32); v128.store(d, f32x4.add(v128.load(d, 48), s3), 48);
  }
  for (; j + 4 <= N; j += 4) {
    let s0 = f32x4.splat(0);
    let p = dY + (<usize>j << 2);
    for (let m = 0; m < M; m++) { s0 = f32x4.add(s0, v128.load(p)); p += ld; }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), s0));
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    let p = dY + (<usize>j << 2);
    for (let m = 0; m < M; m++) { s += load<f32>(p); p += ld; }
    const d = db + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + s);
  }
}

/** Y = A + B (Y may alias A or B). */
export function add(Y: usize, A: usize, B: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(Y + o, f32x4.add(v128.load(A + o), v128.load(B + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, load<f32>(A + o) + load<f32>(B + o));
  }
}

/** Y += alpha · X. */
export function axpy(Y: usize, X: usize, alpha: f32, n: i32): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(Y + o, f32x4.add(v128.load(Y + o), f32x4.mul(a, v128.load(X + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, load<f32>(Y + o) + alpha * load<f32>(X + o));
  }
}

/** Y[i] = value for i < n. */
export function fill(Y: usize, value: f32, n: i32): void {
  if (value == 0 && reinterpret<u32>(value) == 0) {
    memory.fill(Y, 0, <usize>n << 2);
    return;
  }
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(Y + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(Y + (<usize>i << 2), value);
}

/** Y = X (n floats; overlapping ranges are fine, memmove semantics). */
export function copy(Y: usize, X: usize, n: i32): void {
  memory.copy(Y, X, <usize>n << 2);
}

/** Lane mask (all ones where the byte is non-zero) from 4 consecutive uint8. */
// @ts-ignore: decorator
@inline function mask4(p: usize): v128 {
  const b = v128.load32_zero(p);
  return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(b)), i32x4.splat(0));
}

/** Y[i] = mask[i] ? A[i] : B[i] (mask uint8; Y may alias A or B). */
export function where_fwd(Y: usize, mask: usize, A: usize, B: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(Y + o, v128.bitselect(v128.load(A + o), v128.load(B + o), mask4(mask + <usize>i)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, load<u8>(mask + <usize>i) ? load<f32>(A + o) : load<f32>(B + o));
  }
}

/** dA += mask·dY, dB += (1−mask)·dY; dA or dB may be 0 (not needed). */
export function where_bwd(dA: usize, dB: usize, dY: usize, mask: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const m = mask4(mask + <usize>i);
    const g = v128.load(dY + o);
    if (dA) v128.store(dA + o, f32x4.add(v128.load(dA + o), v128.bitselect(g, zero, m)));
    if (dB) v128.store(dB + o, f32x4.add(v128.load(dB + o), v128.bitselect(zero, g, m)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dY + o);
    if (load<u8>(mask + <usize>i)) {
      if (dA) store<f32>(dA + o, load<f32>(dA + o) + g);
    } else {
      if (dB) store<f32>(dB + o, load<f32>(dB + o) + g);
    }
  }
}

/** Y[m,:] = X[idx[m],:] (idx int32, rows of N floats). */
export function gather_rows(Y: usize, X: usize, idx: usize, M: i32, N: i32): void {
  const row = <usize>N << 2;
  if ((N & 7) == 0) {
    // short rows: an inline copy beats memory.copy, which V8 runs as a call into the runtime
    let y = Y;
    for (let m = 0; m < M; m++) {
      const x = X + <usize>load<i32>(idx + (<usize>m << 2)) * row;
      for (let o: usize = 0; o < row; o += 32) {
        v128.store(y + o, v128.load(x + o));
        v128.store(y + o, v128.load(x + o, 16), 16);
      }
      y += row;
    }
    return;
  }
  for (let m = 0; m < M; m++) {
    const r = <usize>load<i32>(idx + (<usize>m << 2));
    memory.copy(Y + <usize>m * row, X + r * row, row);
  }
}

/** dX[idx[m],:] += dY[m,:] (repeated indices accumulate). */
export function scatter_add_rows(dX: usize, dY: usize, idx: usize, M: i32, N: i32): void {
  const row = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const r = <usize>load<i32>(idx + (<usize>m << 2));
    const d = dX + r * row, s = dY + <usize>m * row;
    let j = 0;
    for (; j + 16 <= N; j += 16) {
      const o = <usize>j << 2;
      const a0 = f32x4.add(v128.load(d + o), v128.load(s + o)), a1 = f32x4.add(v128.load(d + o, 16), v128.load(s + o, 16));
      const a2 = f32x4.add(v128.load(d + o, 32), v128.load(s + o, 32)), a3 = f32x4.add(v128.load(d + o, 48), v128.load(s + o, 48));
      v128.store(d + o, a0); v128.store(d + o, a1, 16); v128.store(d + o, a2, 32); v128.store(d + o, a3, 48);
    }
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
    }
  }
}

/** Σ X[i]² accumulated in f64. */
export function sum_sq(X: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.load(X + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(x);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; i < n; i++) {
    const x = <f64>load<f32>(X + (<usize>i << 2));
    s += x * x;
  }
  return s;
}
