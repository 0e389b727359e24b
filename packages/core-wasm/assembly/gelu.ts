// GELU with the tanh approximation (PyTorch's nn.GELU(approximate='tanh')) and its backward, f32x4 with a lane-wise
// tail, over softmax.ts's exp polynomial. Pointers are byte offsets, counts are elements.
import { exp4, expBase } from "./softmax";

// @ts-ignore: decorator
@inline const GELU_C: f32 = 0.7978845608028654; // √(2/π)
// @ts-ignore: decorator
@inline const GELU_A: f32 = 0.044715;

/** GELU's constants, read with load32_splat from a base held in a register (see softmax.ts, expBase: V8 rebuilds
 * every f32x4.splat of a constant from immediates each time it is used, three instructions apiece). */
const GELU_K: usize = memory.data<f32>([GELU_C, GELU_A, -2.0, 1.0, 3 * GELU_A]);
export let geluBase: usize = GELU_K;

/** u = √(2/π)·(x + 0.044715·x³), lane-wise. */
// @ts-ignore: decorator
@inline function inner4(x: v128, kb: usize): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return f32x4.mul(v128.load32_splat(kb), f32x4.add(x, f32x4.mul(v128.load32_splat(kb, 4), x3)));
}

/**
 * With e = e^(−2|u|) ∈ (0, 1] (exp4 only ever sees arguments ≤ 0, its domain, and nothing overflows):
 *   1 + tanh(u) = 2·s/(1 + e) with s = e for u < 0 and 1 otherwise, and 1 − tanh²(u) = 4e/(1 + e)².
 * Neither form subtracts nearly equal numbers, so GELU's far negative tail and its derivative near saturation
 * keep their relative precision (1 + tanh and 1 − tanh² computed from a rounded tanh would not).
 */
// @ts-ignore: decorator
@inline function e4(u: v128, cb: usize, kb: usize): v128 {
  return exp4(f32x4.mul(f32x4.abs(u), v128.load32_splat(kb, 8)), cb); // e^(−2|u|)
}

// @ts-ignore: decorator
@inline function inv4(e: v128, kb: usize): v128 {
  const one = v128.load32_splat(kb, 12);
  return f32x4.div(one, f32x4.add(one, e)); // 1/(1 + e)
}

// @ts-ignore: decorator
@inline function s4(u: v128, e: v128, kb: usize): v128 {
  return v128.bitselect(e, v128.load32_splat(kb, 12), f32x4.lt(u, f32x4.splat(0))); // e for u < 0, else 1
}

// @ts-ignore: decorator
@inline function gelu4(x: v128, cb: usize, kb: usize): v128 {
  const u = inner4(x, kb);
  const e = e4(u, cb, kb);
  return f32x4.mul(f32x4.mul(x, s4(u, e, kb)), inv4(e, kb)); // 0.5·x·(1 + tanh u)
}

/** GELU'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(u), in the forms above. */
// @ts-ignore: decorator
@inline function dgelu4(x: v128, cb: usize, kb: usize): v128 {
  const u = inner4(x, kb);
  const e = e4(u, cb, kb);
  const inv = inv4(e, kb);
  const s = s4(u, e, kb);
  const du = f32x4.mul(v128.load32_splat(kb), f32x4.add(v128.load32_splat(kb, 12), f32x4.mul(v128.load32_splat(kb, 16), f32x4.mul(x, x))));
  // 0.5·x·(1 − t²)·du = 2·x·e·inv²·du
  const b = f32x4.mul(f32x4.mul(f32x4.mul(f32x4.add(x, x), e), f32x4.mul(inv, inv)), du);
  return f32x4.add(f32x4.mul(s, inv), b);
}

/** Y = GELU(X) elementwise (Y may alias X). */
export function gelu_fwd(Y: usize, X: usize, n: i32): void {
  const cb = expBase, kb = geluBase;
  let i = 0;
  // two independent vectors per iteration: each is one long dependency chain (cubic, exp, divide)
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const x0 = v128.load(X + o), x1 = v128.load(X + o, 16);
    const y0 = gelu4(x0, cb, kb), y1 = gelu4(x1, cb, kb);
    v128.store(Y + o, y0); v128.store(Y + o, y1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(Y + o, gelu4(v128.load(X + o), cb, kb));
  }
  // The tail runs the same lane arithmetic, so every element rounds as it would inside a vector.
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(X + o)), cb, kb), 0));
  }
}

/** dX += GELU'(X)·dY (dX must not alias X). */
export function gelu_bwd(dX: usize, dY: usize, X: usize, n: i32): void {
  const cb = expBase, kb = geluBase;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const g0 = dgelu4(v128.load(X + o), cb, kb), g1 = dgelu4(v128.load(X + o, 16), cb, kb);
    v128.store(dX + o, f32x4.add(v128.load(dX + o), f32x4.mul(v128.load(dY + o), g0)));
    v128.store(dX + o, f32x4.add(v128.load(dX + o, 16), f32x4.mul(v128.load(dY + o, 16), g1)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dX + o, f32x4.add(v128.load(dX + o), f32x4.mul(v128.load(dY + o), dgelu4(v128.load(X + o), cb, kb))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = f32x4.extract_lane(dgelu4(f32x4.splat(load<f32>(X + o)), cb, kb), 0);
    store<f32>(dX + o, load<f32>(dX + o) + load<f32>(dY + o) * g);
  }
}
