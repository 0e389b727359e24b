/**
 * One Adam step over n parameters, in place:
 *   m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g²;  p −= lr · (m / bc1) / (sqrt(v / bc2) + eps)
 * with bc1 = 1 − b1^t, bc2 = 1 − b2^t supplied by the caller.
 */
export function adam_step(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32,
): void {
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(1 - b2);
  // one division and one square root per element: lr·(m/bc1)/(sqrt(v/bc2)+eps) = (lr/bc1)·m / (sqrt(v·(1/bc2))+eps)
  const lrc = lr / bc1, ibc2: f32 = 1.0 / bc2;
  const vlrc = f32x4.splat(lrc), vibc2 = f32x4.splat(ibc2), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gg = v128.load(g + o);
    const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gg));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gg, gg)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, vibc2)), veps);
    const upd = f32x4.div(f32x4.mul(vlrc, mm), den);
    v128.store(p + o, f32x4.sub(v128.load(p + o), upd));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gg = load<f32>(g + o);
    const mm = b1 * load<f32>(m + o) + (1 - b1) * gg;
    const vv = b2 * load<f32>(v + o) + (1 - b2) * (gg * gg);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(p + o, load<f32>(p + o) - (lrc * mm) / (Mathf.sqrt(vv * ibc2) + eps));
  }
}
