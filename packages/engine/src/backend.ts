/**
 * The backend interface: storage plus a small set of primitive kernels (tinygrad-style). The model and
 * every op are written once against it; `reference` (float64, plain TS, the oracle), `wasm` (the
 * AssemblyScript SIMD core) and later `webgpu` implement it, and one conformance suite checks them all.
 *
 * Conventions (identical on every backend):
 * - Buffers are flat, row-major. `Buf` is opaque: only the backend that made it may read it.
 * - Forward kernels overwrite their output (matmul with `acc` adds). Backward kernels ACCUMULATE into
 *   every gradient output: the autodiff tape zeroes gradients once per step and fan-out just adds.
 * - A `null` gradient output means "not needed" and is skipped.
 * - Kernels never allocate; all storage is created while a program is built.
 */

/** An opaque handle to backend storage (f32/f64 floats, int32 or uint8, by how it was allocated). */
export interface Buf {
  readonly length: number;
  readonly __buf: unique symbol;
}

export type BackendName = 'reference' | 'wasm' | 'webgpu';

/** `--backend auto`'s measurement between wasm and webgpu (backends/autoChoice.ts), kept in run.json. */
export interface BackendTiming {
  /** Milliseconds per training step, median of the timed steps after one warm-up step. */
  wasmMsPerStep: number;
  webgpuMsPerStep: number;
  picked: 'wasm' | 'webgpu';
  /** true when the verdict came from the per-machine cache (no timing this time). */
  cached: boolean;
  measuredAt: string;
}

export interface Kernels {
  /** C[M,N] (+)= A[M,K] · B[N,K]ᵀ (y = x Wᵀ with W stored [out, in]). */
  matmulNT(C: Buf, A: Buf, B: Buf, M: number, N: number, K: number, acc: boolean): void;
  /** C[M,N] (+)= A[M,K] · B[K,N]. */
  matmulNN(C: Buf, A: Buf, B: Buf, M: number, N: number, K: number, acc: boolean): void;
  /** C[M,N] (+)= A[K,M]ᵀ · B[K,N]. */
  matmulTN(C: Buf, A: Buf, B: Buf, M: number, N: number, K: number, acc: boolean): void;
  /** Y[m,:] += b. */
  addBias(Y: Buf, b: Buf, M: number, N: number): void;
  /** db += Σ_m dY[m,:]. */
  sumRows(db: Buf, dY: Buf, M: number, N: number): void;
  layerNormFwd(Y: Buf, mean: Buf, rstd: Buf, X: Buf, g: Buf, b: Buf, M: number, N: number, eps: number): void;
  layerNormBwd(dX: Buf | null, dg: Buf | null, db: Buf | null, dY: Buf, X: Buf, mean: Buf, rstd: Buf, g: Buf, M: number, N: number): void;
  /** Rotary embedding; row r sits at position pos0 + (T > 0 ? r % T : 0). Y may alias X. */
  ropeFwd(Y: Buf, X: Buf, M: number, width: number, T: number, pos0: number, cos: Buf, sin: Buf, headDim: number): void;
  /** dX += Rᵀ dY. */
  ropeBwd(dX: Buf, dY: Buf, M: number, width: number, T: number, pos0: number, cos: Buf, sin: Buf, headDim: number): void;
  /** S[b,h,i,j] = scale·q_i·k_j for j ≤ qPos0+i, else −1e20. Q [Bn,Tq,H·D], K [Bn,Tk,H·D], S [Bn,H,Tq,Tk]. */
  attnScoresFwd(S: Buf, Q: Buf, K: Buf, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number): void;
  attnScoresBwd(dQ: Buf | null, dK: Buf | null, dS: Buf, Q: Buf, K: Buf, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number): void;
  softmaxFwd(P: Buf, S: Buf, rows: number, n: number): void;
  softmaxBwd(dS: Buf, dP: Buf, P: Buf, rows: number, n: number): void;
  /** Z[b,i,h·D+d] = Σ_j P[b,h,i,j] V[b,j,h·D+d]. */
  attnAvFwd(Z: Buf, P: Buf, V: Buf, Bn: number, H: number, Tq: number, Tk: number, D: number): void;
  attnAvBwd(dP: Buf | null, dV: Buf | null, dZ: Buf, P: Buf, V: Buf, Bn: number, H: number, Tq: number, Tk: number, D: number): void;
  /** Y = GELU(X), tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch approximate='tanh'). */
  geluFwd(Y: Buf, X: Buf, n: number): void;
  /** dX += GELU'(X)·dY. */
  geluBwd(dX: Buf, dY: Buf, X: Buf, n: number): void;
  /** Y[m,:] = X[idx[m],:]. */
  gatherRows(Y: Buf, X: Buf, idx: Buf, M: number, N: number): void;
  /** dX[idx[m],:] += dY[m,:]. */
  scatterAddRows(dX: Buf, dY: Buf, idx: Buf, M: number, N: number): void;
  /** Y = A + B (Y may alias A or B). */
  add(Y: Buf, A: Buf, B: Buf, n: number): void;
  /** Y += alpha·X. */
  axpy(Y: Buf, X: Buf, alpha: number, n: number): void;
  fill(Y: Buf, value: number, n: number): void;
  copy(Y: Buf, X: Buf, n: number): void;
  /** Y = mask ? A : B (mask uint8). */
  whereFwd(Y: Buf, mask: Buf, A: Buf, B: Buf, n: number): void;
  whereBwd(dA: Buf | null, dB: Buf | null, dY: Buf, mask: Buf, n: number): void;
  /** P = softmax(logits) per row, loss[b] = −log P[b, t_b]. */
  crossEntropyFwd(loss: Buf, P: Buf, logits: Buf, targets: Buf, Bn: number, C: number): void;
  /** dlogits += scale·(P − onehot(t)). */
  crossEntropyBwd(dlogits: Buf, P: Buf, targets: Buf, Bn: number, C: number, scale: number): void;
  /** One Adam update over n contiguous parameters (spec 3.1: ε outside the square root, bias-corrected). */
  adamStep(p: Buf, g: Buf, m: Buf, v: Buf, n: number, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number): void;
  /** Σ x² (accumulated in float64). */
  sumSq(X: Buf, n: number): number;
}

export interface Backend extends Kernels {
  readonly name: BackendName;
  /** Float precision of the storage: the reference oracle is float64, fast paths float32. */
  readonly precision: 'float64' | 'float32';
  /** Zero-initialised float storage of n elements. */
  allocF(n: number): Buf;
  allocI32(n: number): Buf;
  allocU8(n: number): Buf;
  /** A window of `n` elements starting at element `offset`, sharing storage with `b`. */
  slice(b: Buf, offset: number, n: number): Buf;
  /** Copy host values into `b` starting at element `offset`. */
  write(b: Buf, src: ArrayLike<number>, offset?: number): void;
  /** Copy `b` (or n elements from offset) out to the host, into `out` if given. */
  read(b: Buf, out?: Float64Array | Float32Array | Int32Array, offset?: number, n?: number): Float64Array | Float32Array | Int32Array;
  /** Free everything allocated since `mark()` (programs are built and dropped as a unit). */
  mark(): number;
  release(mark: number): void;
}
