/**
 * The wasm backend: float32 storage in one preallocated arena of the AssemblyScript SIMD core; every
 * kernel is a single JS→wasm call with pointers and shapes (no copies across the boundary).
 */
// Type-only: the core is handed in, so this file loads in a page (the Node loader reads the .wasm from disk).
import type { Core } from '@optoscope/core-wasm/core';
import type { Backend, Buf } from '../backend.js';

type Kind = 'f32' | 'i32' | 'u8';
interface WasmBuf {
  readonly length: number;
  readonly ptr: number;
  readonly kind: Kind;
}

const W = (b: Buf): WasmBuf => b as unknown as WasmBuf;
const p = (b: Buf | null): number => (b ? (b as unknown as WasmBuf).ptr : 0);
const SIZE: Record<Kind, number> = { f32: 4, i32: 4, u8: 1 };

/** The wasm backend over an instantiated core (in a page: `instantiateCore(await WebAssembly.compileStreaming(...))`). */
export function createWasmBackendOn(core: Core): Backend {
  const k = core;
  const arena = core.arena;
  // Whole-memory views, rebuilt only when memory grows (growth detaches old views).
  let heapBuffer: ArrayBuffer | null = null;
  let f32 = new Float32Array(0);
  let i32 = new Int32Array(0);
  let u8 = new Uint8Array(0);
  const views = () => {
    const buffer = core.memory.buffer;
    if (heapBuffer !== buffer) {
      heapBuffer = buffer;
      f32 = new Float32Array(buffer);
      i32 = new Int32Array(buffer);
      u8 = new Uint8Array(buffer);
    }
  };
  const alloc = (n: number, kind: Kind): Buf => {
    const ptr = arena.alloc(Math.max(n, 1) * SIZE[kind], 64);
    views();
    u8.fill(0, ptr, ptr + Math.max(n, 1) * SIZE[kind]); // reused arena space after release() is not zero
    return { length: n, ptr, kind } as unknown as Buf;
  };
  const heapOf = (b: WasmBuf) => (b.kind === 'f32' ? f32 : b.kind === 'i32' ? i32 : u8);
  const index = (b: WasmBuf) => b.ptr / SIZE[b.kind];

  return {
    name: 'wasm',
    precision: 'float32',
    allocF: (n) => alloc(n, 'f32'),
    allocI32: (n) => alloc(n, 'i32'),
    allocU8: (n) => alloc(n, 'u8'),
    slice(b, offset, n) {
      const w = W(b);
      if (offset + n > w.length) throw new Error(`slice [${offset}, ${offset + n}) outside buffer of ${w.length}`);
      return { length: n, ptr: w.ptr + offset * SIZE[w.kind], kind: w.kind } as unknown as Buf;
    },
    write(b, src, offset = 0) {
      views();
      const w = W(b);
      if (offset + src.length > w.length) throw new Error(`write of ${src.length} at ${offset} outside buffer of ${w.length}`);
      heapOf(w).set(src as ArrayLike<number>, index(w) + offset);
    },
    read(b, out, offset = 0, n) {
      views();
      const w = W(b);
      const len = n ?? w.length - offset;
      const o = out ?? (w.kind === 'f32' ? new Float32Array(len) : new Int32Array(len));
      const heap = heapOf(w);
      const start = index(w) + offset;
      if (len <= 16) for (let i = 0; i < len; i++) o[i] = heap[start + i];
      else o.set(heap.subarray(start, start + len));
      return o;
    },
    mark: () => arena.mark(),
    release: (m) => arena.reset(m),

    matmulNT: (C, A, B, M, N, K, acc) => k.matmul_nt(p(C), p(A), p(B), M, N, K, acc ? 1 : 0),
    matmulNN: (C, A, B, M, N, K, acc) => k.matmul_nn(p(C), p(A), p(B), M, N, K, acc ? 1 : 0),
    matmulTN: (C, A, B, M, N, K, acc) => k.matmul_tn(p(C), p(A), p(B), M, N, K, acc ? 1 : 0),
    addBias: (Y, b, M, N) => k.add_bias(p(Y), p(b), M, N),
    sumRows: (db, dY, M, N) => k.sum_rows(p(db), p(dY), M, N),
    layerNormFwd: (Y, mean, rstd, X, g, b, M, N, eps) => k.layernorm_fwd(p(Y), p(mean), p(rstd), p(X), p(g), p(b), M, N, eps),
    layerNormBwd: (dX, dg, db, dY, X, mean, rstd, g, M, N) => k.layernorm_bwd(p(dX), p(dg), p(db), p(dY), p(X), p(mean), p(rstd), p(g), M, N),
    ropeFwd: (Y, X, M, width, T, pos0, cos, sin, hd) => k.rope_fwd(p(Y), p(X), M, width, T, pos0, p(cos), p(sin), hd),
    ropeBwd: (dX, dY, M, width, T, pos0, cos, sin, hd) => k.rope_bwd(p(dX), p(dY), M, width, T, pos0, p(cos), p(sin), hd),
    attnScoresFwd: (S, Q, K, Bn, H, Tq, Tk, D, q0, sc) => k.attn_scores_fwd(p(S), p(Q), p(K), Bn, H, Tq, Tk, D, q0, sc),
    attnScoresBwd: (dQ, dK, dS, Q, K, Bn, H, Tq, Tk, D, q0, sc) => k.attn_scores_bwd(p(dQ), p(dK), p(dS), p(Q), p(K), Bn, H, Tq, Tk, D, q0, sc),
    softmaxFwd: (P, S, rows, n) => k.softmax_fwd(p(P), p(S), rows, n),
    softmaxBwd: (dS, dP, P, rows, n) => k.softmax_bwd(p(dS), p(dP), p(P), rows, n),
    attnAvFwd: (Z, P, V, Bn, H, Tq, Tk, D) => k.attn_av_fwd(p(Z), p(P), p(V), Bn, H, Tq, Tk, D),
    attnAvBwd: (dP, dV, dZ, P, V, Bn, H, Tq, Tk, D) => k.attn_av_bwd(p(dP), p(dV), p(dZ), p(P), p(V), Bn, H, Tq, Tk, D),
    geluFwd: (Y, X, n) => k.gelu_fwd(p(Y), p(X), n),
    geluBwd: (dX, dY, X, n) => k.gelu_bwd(p(dX), p(dY), p(X), n),
    gatherRows: (Y, X, idx, M, N) => k.gather_rows(p(Y), p(X), p(idx), M, N),
    scatterAddRows: (dX, dY, idx, M, N) => k.scatter_add_rows(p(dX), p(dY), p(idx), M, N),
    add: (Y, A, B, n) => k.add(p(Y), p(A), p(B), n),
    axpy: (Y, X, alpha, n) => k.axpy(p(Y), p(X), alpha, n),
    fill: (Y, value, n) => k.fill(p(Y), value, n),
    copy: (Y, X, n) => k.copy(p(Y), p(X), n),
    whereFwd: (Y, mask, A, B, n) => k.where_fwd(p(Y), p(mask), p(A), p(B), n),
    whereBwd: (dA, dB, dY, mask, n) => k.where_bwd(p(dA), p(dB), p(dY), p(mask), n),
    crossEntropyFwd: (loss, P, logits, t, Bn, C) => k.cross_entropy_fwd(p(loss), p(P), p(logits), p(t), Bn, C),
    crossEntropyBwd: (dl, P, t, Bn, C, scale) => k.cross_entropy_bwd(p(dl), p(P), p(t), Bn, C, scale),
    adamStep: (P, G, M, V, n, lr, b1, b2, eps, bc1, bc2) => k.adam_step(p(P), p(G), p(M), p(V), n, lr, b1, b2, eps, bc1, bc2),
    sumSq: (X, n) => k.sum_sq(p(X), n),
  };
}
