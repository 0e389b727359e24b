/**
 * The @optoscope/core-wasm kernels without Node (`@optoscope/core-wasm/core`): a page fetches build/core.wasm,
 * compiles it and passes the module here; `index.ts` adds the Node loader that reads the file. Loader for the kernels: compile once (shareable with worker threads), instantiate per
 * thread, and carve tensors out of the instance's memory with a bump {@link Arena}.
 *
 * Conventions shared by every kernel: row-major float32 tensors (int32 index arrays, uint8 masks), every pointer a
 * byte offset into `core.memory`, every shape passed explicitly. Forward kernels overwrite their output (matmuls
 * with `acc = 1` add); backward kernels accumulate (`+=`) into every gradient output, so callers zero gradients.
 * Kernels never allocate and never grow memory; outputs may alias inputs only where a kernel says so.
 */
declare global {
  /**
   * The repo compiles with lib ES2022 and @types/node 20, neither of which types WebAssembly. These are the two
   * interfaces this package names; they merge with the fuller lib.dom / newer @types/node declarations (same
   * members) where those are present.
   */
  namespace WebAssembly {
    interface Module {}
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
  }
}

/** The global WebAssembly constructors this loader uses (typed locally, see above). */
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => WebAssembly.Module;
      Instance: new (module: WebAssembly.Module, imports: object) => { readonly exports: object };
    };
  }
).WebAssembly;

/** A byte offset into the core's wasm memory. */
export type Ptr = number;
/** 0 or 1 (booleans convert the same way at the wasm boundary). */
export type Flag = number | boolean;

/** The kernels exported by build/core.wasm, with their exact wasm signatures (sizes are int32, floats f32). */
export interface Kernels {
  /** C[M,N] = (acc ? C : 0) + A[M,K] · B[N,K]ᵀ  (y = x Wᵀ with W stored [out,in]). */
  matmul_nt(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, acc: Flag): void;
  /** C[M,N] = (acc ? C : 0) + A[M,K] · B[K,N]  (dX = dY W). */
  matmul_nn(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, acc: Flag): void;
  /** C[M,N] = (acc ? C : 0) + A[K,M]ᵀ · B[K,N]  (dW = dYᵀ X). */
  matmul_tn(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, acc: Flag): void;

  /** Y[m,:] += b[:]. */
  add_bias(Y: Ptr, b: Ptr, M: number, N: number): void;
  /** db[:] += Σ_m dY[m,:]. */
  sum_rows(db: Ptr, dY: Ptr, M: number, N: number): void;

  /** Per row: mean, rstd = 1/sqrt(biased var + eps), Y = (X−mean)·rstd·g + b. Y must not alias X. */
  layernorm_fwd(Y: Ptr, mean: Ptr, rstd: Ptr, X: Ptr, g: Ptr, b: Ptr, M: number, N: number, eps: number): void;
  /** Accumulates dX, dg, db. */
  layernorm_bwd(dX: Ptr, dg: Ptr, db: Ptr, dY: Ptr, X: Ptr, mean: Ptr, rstd: Ptr, g: Ptr, M: number, N: number): void;

  /**
   * Rotary embedding on interleaved pairs: row r has position p = pos0 + (T > 0 ? r % T : 0); pair i of each
   * head block: y0 = x0·c − x1·s, y1 = x1·c + x0·s with c = cosTab[p·headDim/2 + i], s = sinTab[same].
   * Y may alias X.
   */
  rope_fwd(Y: Ptr, X: Ptr, M: number, width: number, T: number, pos0: number, cosTab: Ptr, sinTab: Ptr, headDim: number): void;
  /** dX += Rᵀ dY (accumulates; dX must not alias dY). */
  rope_bwd(dX: Ptr, dY: Ptr, M: number, width: number, T: number, pos0: number, cosTab: Ptr, sinTab: Ptr, headDim: number): void;

  /**
   * S[b,h,i,j] = scale·Q[b,i,h]·K[b,j,h] for j ≤ qPos0 + i, else −1e20. Q [Bn,Tq,H·D], K [Bn,Tk,H·D],
   * S [Bn,H,Tq,Tk].
   */
  attn_scores_fwd(S: Ptr, Q: Ptr, K: Ptr, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number): void;
  /** Accumulates dQ, dK; causally masked entries of dS are ignored. */
  attn_scores_bwd(dQ: Ptr, dK: Ptr, dS: Ptr, Q: Ptr, K: Ptr, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number): void;
  /** Row softmax, max-subtracted. P may alias S. */
  softmax_fwd(P: Ptr, S: Ptr, rows: number, n: number): void;
  /** dS += P ⊙ (dP − Σ_j dP_j P_j). */
  softmax_bwd(dS: Ptr, dP: Ptr, P: Ptr, rows: number, n: number): void;
  /** Z[b,i,h·D+d] = Σ_j P[b,h,i,j]·V[b,j,h·D+d]. */
  attn_av_fwd(Z: Ptr, P: Ptr, V: Ptr, Bn: number, H: number, Tq: number, Tk: number, D: number): void;
  /** Accumulates dP and dV. */
  attn_av_bwd(dP: Ptr, dV: Ptr, dZ: Ptr, P: Ptr, V: Ptr, Bn: number, H: number, Tq: number, Tk: number, D: number): void;

  /** Y = GELU(X), tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Y may alias X. */
  gelu_fwd(Y: Ptr, X: Ptr, n: number): void;
  /** dX += GELU'(X)·dY. */
  gelu_bwd(dX: Ptr, dY: Ptr, X: Ptr, n: number): void;

  /** Y[m,:] = X[idx[m],:] (idx int32). */
  gather_rows(Y: Ptr, X: Ptr, idx: Ptr, M: number, N: number): void;
  /** dX[idx[m],:] += dY[m,:]. */
  scatter_add_rows(dX: Ptr, dY: Ptr, idx: Ptr, M: number, N: number): void;

  /** Y = A + B (Y may alias A or B). */
  add(Y: Ptr, A: Ptr, B: Ptr, n: number): void;
  /** Y += alpha·X. */
  axpy(Y: Ptr, X: Ptr, alpha: number, n: number): void;
  /** Y[:n] = value. */
  fill(Y: Ptr, value: number, n: number): void;
  /** Y[:n] = X[:n] (memmove semantics). */
  copy(Y: Ptr, X: Ptr, n: number): void;
  /** Y[i] = mask[i] ? A[i] : B[i] (mask uint8; Y may alias A or B). */
  where_fwd(Y: Ptr, mask: Ptr, A: Ptr, B: Ptr, n: number): void;
  /** dA += mask·dY, dB += (1−mask)·dY; pass 0 for a gradient that is not needed. */
  where_bwd(dA: Ptr, dB: Ptr, dY: Ptr, mask: Ptr, n: number): void;

  /** P = softmax(logits) per row, loss[b] = logsumexp(logits[b]) − logits[b, targets[b]]. P may alias logits. */
  cross_entropy_fwd(loss: Ptr, P: Ptr, logits: Ptr, targets: Ptr, Bn: number, C: number): void;
  /** dlogits[b,c] += scale·(P[b,c] − [c == targets[b]]). */
  cross_entropy_bwd(dlogits: Ptr, P: Ptr, targets: Ptr, Bn: number, C: number, scale: number): void;

  /** m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g²; p −= lr·(m/bc1)/(sqrt(v/bc2) + eps). */
  adam_step(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number): void;
  /** Σ X² accumulated in f64. */
  sum_sq(X: Ptr, n: number): number;
}

/** Names of every kernel, in the order of {@link Kernels}. */
export const KERNEL_NAMES = [
  'matmul_nt', 'matmul_nn', 'matmul_tn', 'add_bias', 'sum_rows', 'layernorm_fwd', 'layernorm_bwd', 'rope_fwd',
  'rope_bwd', 'attn_scores_fwd', 'attn_scores_bwd', 'softmax_fwd', 'softmax_bwd', 'attn_av_fwd', 'attn_av_bwd',
  'gelu_fwd', 'gelu_bwd', 'gather_rows', 'scatter_add_rows', 'add', 'axpy', 'fill', 'copy', 'where_fwd', 'where_bwd',
  'cross_entropy_fwd', 'cross_entropy_bwd', 'adam_step', 'sum_sq',
] as const satisfies readonly (keyof Kernels)[];

export interface Core extends Kernels {
  /** The instance's memory; its buffer is replaced (old views detach) whenever the arena grows it. */
  readonly memory: WebAssembly.Memory;
  /** Bump allocator over `memory`, starting after the module's static data and GEMM scratch. */
  readonly arena: Arena;
}

const PAGE = 65536;
/** wasm32 memories are at most 65536 pages (4 GiB). */
const MAX_BYTES = 65536 * PAGE;

function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

/**
 * Bump allocator over the wasm memory, starting at the module's `__heap_base`.
 *
 * Allocation may grow the memory, which DETACHES every typed-array view of the old buffer: fetch views with
 * {@link f32}/{@link i32}/{@link u8} after the last allocation (or re-fetch them) rather than holding them across
 * `alloc` calls. Pointers stay valid across growth. Allocations are always zero-filled.
 */
export class Arena {
  /** First byte the arena hands out (the module's heap base rounded up to 64). */
  readonly base: number;
  private top: number;
  /** Bytes above this have never been handed out (fresh pages are zero). */
  private highWater: number;

  constructor(readonly memory: WebAssembly.Memory, heapBase: number) {
    this.base = alignUp(heapBase, 64);
    this.top = this.base;
    this.highWater = this.base;
  }

  /** Reserves nBytes at a multiple of `align` (a power of two) and returns the byte pointer. Zero-filled. */
  alloc(nBytes: number, align = 64): Ptr {
    if (!Number.isInteger(nBytes) || nBytes < 0) throw new RangeError(`Arena.alloc: bad size ${nBytes}`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
      throw new RangeError(`Arena.alloc: alignment ${align} is not a power of two`);
    }
    const ptr = alignUp(this.top, align);
    const end = ptr + nBytes;
    if (end > MAX_BYTES) throw new RangeError(`Arena.alloc: ${end} bytes exceed the 4 GiB wasm32 limit`);
    const size = this.memory.buffer.byteLength;
    if (end > size) this.memory.grow(Math.ceil((end - size) / PAGE));
    if (ptr < this.highWater) new Uint8Array(this.memory.buffer, ptr, Math.min(end, this.highWater) - ptr).fill(0);
    this.top = end;
    if (end > this.highWater) this.highWater = end;
    return ptr;
  }

  /** Room for n float32 (64-byte aligned). */
  allocF32(n: number): Ptr {
    return this.alloc(n * 4);
  }
  /** Room for n int32 (64-byte aligned). */
  allocI32(n: number): Ptr {
    return this.alloc(n * 4);
  }
  /** Room for n uint8 (64-byte aligned). */
  allocU8(n: number): Ptr {
    return this.alloc(n);
  }

  /** A Float32Array view of n floats at ptr, on the current buffer (invalidated by the next growth). */
  f32(ptr: Ptr, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  /** An Int32Array view of n ints at ptr, on the current buffer. */
  i32(ptr: Ptr, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
  /** A Uint8Array view of n bytes at ptr, on the current buffer. */
  u8(ptr: Ptr, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** The current top, to hand back to {@link reset} later. */
  mark(): number {
    return this.top;
  }
  /** Frees everything allocated since `mark` was taken (pointers past it become invalid). */
  reset(mark: number = this.base): void {
    if (!Number.isInteger(mark) || mark < this.base || mark > this.top) throw new RangeError(`Arena.reset: bad mark ${mark}`);
    this.top = mark;
  }

  /** Bytes between the arena base and the current top (alignment padding included). */
  get bytesUsed(): number {
    return this.top - this.base;
  }
}

interface RawExports extends Kernels {
  memory: WebAssembly.Memory;
  heap_base(): number;
}

/** Instantiates the kernels (synchronously) with a fresh memory and arena. */
export function instantiateCore(module: WebAssembly.Module): Core {
  const instance = new WA.Instance(module, {});
  const ex = instance.exports as unknown as RawExports;
  const core: Record<string, unknown> = {
    memory: ex.memory,
    arena: new Arena(ex.memory, ex.heap_base()),
  };
  for (const name of KERNEL_NAMES) core[name] = ex[name];
  return core as unknown as Core;
}
