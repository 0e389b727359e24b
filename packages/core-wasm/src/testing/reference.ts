// Float64 references for the kernel tests (not part of the build): each computes from the f32 inputs in double
// precision, so a test's tolerance only has to cover the kernel's f32 rounding.

export type Variant = 'nt' | 'nn' | 'tn';

/** Reference in float64, plus Σ|a·b| per output (the scale of f32 accumulation error). */
export function refMatmul(v: Variant, A: Float32Array, B: Float32Array, C0: Float32Array | null, M: number, N: number, K: number) {
  const ref = new Float64Array(M * N), mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, a = 0;
      for (let k = 0; k < K; k++) {
        const x = v === 'tn' ? A[k * M + i]! : A[i * K + k]!;
        const y = v === 'nt' ? B[j * K + k]! : B[k * N + j]!;
        s += x * y;
        a += Math.abs(x * y);
      }
      const c0 = C0 ? C0[i * N + j]! : 0;
      ref[i * N + j] = c0 + s;
      mag[i * N + j] = Math.abs(c0) + a + 1e-20;
    }
  }
  return { ref, mag };
}

export function refLayerNorm(x: Float32Array, g: Float32Array, b: Float32Array, M: number, N: number, eps: number) {
  const y = new Float64Array(M * N), mean = new Float64Array(M), rstd = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += x[m * N + j]!;
    const mu = s / N;
    let q = 0;
    for (let j = 0; j < N; j++) q += (x[m * N + j]! - mu) ** 2;
    const rs = 1 / Math.sqrt(q / N + eps);
    mean[m] = mu; rstd[m] = rs;
    for (let j = 0; j < N; j++) y[m * N + j] = (x[m * N + j]! - mu) * rs * g[j]! + b[j]!;
  }
  return { y, mean, rstd };
}

export function refLayerNormBwd(dy: Float32Array, x: Float32Array, g: Float32Array, M: number, N: number, eps: number) {
  const { mean, rstd } = refLayerNorm(x, g, new Float32Array(N), M, N, eps);
  const dx = new Float64Array(M * N), dg = new Float64Array(N), db = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    let s1 = 0, s2 = 0;
    for (let j = 0; j < N; j++) {
      const xh = (x[m * N + j]! - mean[m]!) * rstd[m]!;
      const gh = dy[m * N + j]! * g[j]!;
      s1 += gh; s2 += gh * xh;
      db[j] += dy[m * N + j]!;
      dg[j] += dy[m * N + j]! * xh;
    }
    for (let j = 0; j < N; j++) {
      const xh = (x[m * N + j]! - mean[m]!) * rstd[m]!;
      dx[m * N + j] = rstd[m]! * (dy[m * N + j]! * g[j]! - s1 / N - xh * (s2 / N));
    }
  }
  return { dx, dg, db };
}
