// Rotary position embedding on interleaved pairs (columns 2i, 2i+1 of each head block).

/**
 * Shared body: Y = (acc ? Y : 0) + R(sign·θ) X per pair, where R rotates (x0, x1) by the angle with cos c and
 * sin sign·s: y0 = x0·c − x1·s', y1 = x1·c + x0·s'. Every head of a row uses the same angles, so the loop runs over
 * 4-pair chunks of the angle table outside and over heads inside: the interleaved cos/sin vectors of a chunk are
 * built once per row, not once per head.
 */
// @ts-ignore: decorator
@inline function rope_body(Y: usize, X: usize, M: i32, width: i32, T: i32, pos0: i32, cosTab: usize, sinTab: usize, headDim: i32, sign: f32, acc: i32): void {
  const half = headDim >> 1;
  const heads = width / headDim;
  const row = <usize>width << 2, hstride = <usize>headDim << 2;
  const hend = <usize>heads * hstride;
  const h4 = half & ~3; // pairs handled 4 at a time
  const sgn = f32x4(-sign, sign, -sign, sign);
  let t = 0; // r % T
  for (let r = 0; r < M; r++) {
    const p = pos0 + t;
    if (T > 0 && ++t == T) t = 0;
    const ct = cosTab + <usize>p * (<usize>half << 2), st = sinTab + <usize>p * (<usize>half << 2);
    const x = X + <usize>r * row, y = Y + <usize>r * row;
    let i = 0;
    for (; i < h4; i += 4) {
      const ti = <usize>i << 2;
      const c = v128.load(ct + ti), s = v128.load(st + ti);
      // lanes: pairs i, i+1 in the first vector; i+2, i+3 in the second
      const cA = v128.shuffle<f32>(c, c, 0, 0, 1, 1), cB = v128.shuffle<f32>(c, c, 2, 2, 3, 3);
      const sA = f32x4.mul(v128.shuffle<f32>(s, s, 0, 0, 1, 1), sgn), sB = f32x4.mul(v128.shuffle<f32>(s, s, 2, 2, 3, 3), sgn);
      const o = <usize>i << 3;
      let hb: usize = o;
      // two heads per iteration (halves the loop overhead, which is a third of the work at headDim 8)
      for (; hb + hstride < hend; hb += hstride << 1) {
        const xa = x + hb, xb = xa + hstride, ya = y + hb, yb = ya + hstride;
        const x0 = v128.load(xa), x1 = v128.load(xa, 16), x2 = v128.load(xb), x3 = v128.load(xb, 16);
        let y0 = f32x4.add(f32x4.mul(x0, cA), f32x4.mul(v128.shuffle<f32>(x0, x0, 1, 0, 3, 2), sA));
        let y1 = f32x4.add(f32x4.mul(x1, cB), f32x4.mul(v128.shuffle<f32>(x1, x1, 1, 0, 3, 2), sB));
        let y2 = f32x4.add(f32x4.mul(x2, cA), f32x4.mul(v128.shuffle<f32>(x2, x2, 1, 0, 3, 2), sA));
        let y3 = f32x4.add(f32x4.mul(x3, cB), f32x4.mul(v128.shuffle<f32>(x3, x3, 1, 0, 3, 2), sB));
        if (acc) {
          y0 = f32x4.add(y0, v128.load(ya)); y1 = f32x4.add(y1, v128.load(ya, 16));
          y2 = f32x4.add(y2, v128.load(yb)); y3 = f32x4.add(y3, v128.load(yb, 16));
        }
        v128.store(ya, y0); v128.store(ya, y1, 16);
        v128.store(yb, y2); v128.store(yb, y3, 16);
      }
      if (hb < hend) {
        const x0 = v128.load(x + hb), x1 = v128.load(x + hb, 16);
        let y0 = f32x4.add(f32x4.mul(x0, cA), f32x4.mul(v128.shuffle<f32>(x0, x0, 1, 0, 3, 2), sA));
        let y1 = f32x4.add(f32x4.mul(x1, cB), f32x4.mul(v128.shuffle<f32>(x1, x1, 1, 0, 3, 2), sB));
        if (acc) {
          y0 = f32x4.add(y0, v128.load(y + hb));
          y1 = f32x4.add(y1, v128.load(y + hb, 16));
        }
        v128.store(y + hb, y0);
        v128.store(y + hb, y1, 16);
      }
    }
    for (; i < half; i++) {
      const ti = <usize>i << 2;
      const c = load<f32>(ct + ti), s = sign * load<f32>(st + ti);
      const o = <usize>i << 3;
      for (let hb: usize = o; hb < hend; hb += hstride) {
        const a = load<f32>(x + hb), b = load<f32>(x + hb, 4);
        let y0 = a * c - b * s, y1 = b * c + a * s;
        if (acc) {
          y0 += load<f32>(y + hb);
          y1 += load<f32>(y + hb, 4);
        }
        store<f32>(y + hb, y0);
        store<f32>(y + hb, y1, 4);
      }
    }
  }
}

/** The same, heads outside and angle chunks inside: better for a single wide head (the loop above pays per chunk). */
// @ts-ignore: decorator
@inline function rope_per_head(Y: usize, X: usize, M: i32, width: i32, T: i32, pos0: i32, cosTab: usize, sinTab: usize, headDim: i32, sign: f32, acc: i32): void {
  const half = headDim >> 1;
  const heads = width / headDim;
  const row = <usize>width << 2;
  const h4 = half & ~3; // pairs handled 4 at a time
  const sgn = f32x4(-sign, sign, -sign, sign);
  for (let r = 0; r < M; r++) {
    const p = pos0 + (T > 0 ? r % T : 0);
    const ct = cosTab + <usize>p * (<usize>half << 2), st = sinTab + <usize>p * (<usize>half << 2);
    const x = X + <usize>r * row, y = Y + <usize>r * row;
    for (let h = 0; h < heads; h++) {
      const hb = <usize>(h * headDim) << 2;
      const xh = x + hb, yh = y + hb;
      let i = 0;
      for (; i < h4; i += 4) {
        const ti = <usize>i << 2;
        const c = v128.load(ct + ti), s = v128.load(st + ti);
        const o = <usize>i << 3;
        const x0 = v128.load(xh + o), x1 = v128.load(xh + o, 16);
        // lanes: pairs i, i+1 in x0; i+2, i+3 in x1
        const cA = v128.shuffle<f32>(c, c, 0, 0, 1, 1), cB = v128.shuffle<f32>(c, c, 2, 2, 3, 3);
        const sA = f32x4.mul(v128.shuffle<f32>(s, s, 0, 0, 1, 1), sgn), sB = f32x4.mul(v128.shuffle<f32>(s, s, 2, 2, 3, 3), sgn);
        let y0 = f32x4.add(f32x4.mul(x0, cA), f32x4.mul(v128.shuffle<f32>(x0, x0, 1, 0, 3, 2), sA));
        let y1 = f32x4.add(f32x4.mul(x1, cB), f32x4.mul(v128.shuffle<f32>(x1, x1, 1, 0, 3, 2), sB));
        if (acc) {
          y0 = f32x4.add(y0, v128.load(yh + o));
          y1 = f32x4.add(y1, v128.load(yh + o, 16));
        }
        v128.store(yh + o, y0);
        v128.store(yh + o, y1, 16);
      }
      for (; i < half; i++) {
        const ti = <usize>i << 2;
        const c = load<f32>(ct + ti), s = sign * load<f32>(st + ti);
        const o = <usize>i << 3;
        const a = load<f32>(xh + o), b = load<f32>(xh + o, 4);
        let y0 = a * c - b * s, y1 = b * c + a * s;
        if (acc) {
          y0 += load<f32>(yh + o);
          y1 += load<f32>(yh + o, 4);
        }
        store<f32>(yh + o, y0);
        store<f32>(yh + o, y1, 4);
      }
    }
  }
}

/**
 * Y = RoPE(X): row r has position p = pos0 + (T > 0 ? r % T : 0); pair i of each head block is rotated by
 * c = cosTab[p·headDim/2 + i], s = sinTab[same]: y0 = x0·c − x1·s, y1 = x1·c + x0·s. Y may alias X.
 */
export function rope_fwd(Y: usize, X: usize, M: i32, width: i32, T: i32, pos0: i32, cosTab: usize, sinTab: usize, headDim: i32): void {
  if (width >= 2 * headDim) rope_body(Y, X, M, width, T, pos0, cosTab, sinTab, headDim, 1.0, 0);
  else rope_per_head(Y, X, M, width, T, pos0, cosTab, sinTab, headDim, 1.0, 0);
}

/** dX += Rᵀ dY (rotation by −θ): dx0 += dy0·c + dy1·s, dx1 += dy1·c − dy0·s. dX must not alias dY. */
export function rope_bwd(dX: usize, dY: usize, M: i32, width: i32, T: i32, pos0: i32, cosTab: usize, sinTab: usize, headDim: i32): void {
  if (width >= 2 * headDim) rope_body(dX, dY, M, width, T, pos0, cosTab, sinTab, headDim, -1.0, 1);
  else rope_per_head(dX, dY, M, width, T, pos0, cosTab, sinTab, headDim, -1.0, 1);
}
