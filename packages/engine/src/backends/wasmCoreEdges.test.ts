/**
 * The wasm backend's glue (wasmCore.ts), fast: storage (windows, bounds, zeroed reuse, views surviving memory
 * growth, short and long reads) and every kernel against the float64 reference backend: the shared op cases
 * (forward and every input gradient) and, for the kernels no op case reaches or whose flags matter (matmul
 * accumulation, null gradients, Adam, axpy, fill, copy, sumSq), direct calls on small random inputs.
 */
import { instantiateCore } from '@optoscope/core-wasm';
import { describe, expect, it } from 'vitest';
import type { Backend, Buf } from '../backend.js';
import { Rng } from '../rng.js';
import { OP_CASES, relErr, runOp } from '../testing/conformance.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';
import { createWasmBackendOn } from './wasmCore.js';

const wasm = () => createWasmBackendOn(instantiateCore());

describe('storage', () => {
  it('createWasmBackend instantiates a core of its own when none is given', () => {
    const a = createWasmBackend();
    const b = createWasmBackend();
    const x = a.allocF(2);
    a.write(x, [1, 2]);
    expect(a.name).toBe('wasm');
    expect(Array.from(b.read(b.allocF(2)))).toEqual([0, 0]);
    expect(Array.from(a.read(x))).toEqual([1, 2]);
  });

  it('f32, i32 and u8 buffers: written and read back, from an offset, into a given array', () => {
    const be = wasm();
    expect([be.name, be.precision]).toEqual(['wasm', 'float32']);
    const a = be.allocF(20);
    const x = Float32Array.from({ length: 20 }, (_, i) => i * 1.5 - 3);
    be.write(a, x);
    expect(be.read(a)).toEqual(x); // > 16 elements
    expect(be.read(a, undefined, 3, 5)).toEqual(x.subarray(3, 8)); // ≤ 16
    expect(be.read(a, undefined, 4)).toEqual(x.subarray(4)); // 16 exactly
    const out = new Float32Array(2);
    expect(be.read(a, out, 18)).toBe(out);
    expect(Array.from(out)).toEqual([24, 25.5]);
    // into a longer array: only the elements read are written
    const longer = new Float32Array(5).fill(-1);
    be.read(a, longer, 1, 2);
    expect(Array.from(longer)).toEqual([-1.5, 0, -1, -1, -1]);
    const i = be.allocI32(3);
    be.write(i, [-5, 7, 2 ** 31 - 1]);
    const iv = be.read(i);
    expect(iv).toBeInstanceOf(Int32Array);
    expect(Array.from(iv)).toEqual([-5, 7, 2 ** 31 - 1]);
    const u = be.allocU8(5);
    be.write(u, [1, 0, 255, 3], 1);
    expect(Array.from(be.read(u))).toEqual([0, 1, 0, 255, 3]);
    // neighbours untouched: u8 writes land byte-wise, not in 4-byte slots
    expect(Array.from(be.read(i))).toEqual([-5, 7, 2 ** 31 - 1]);
    expect(be.allocF(0).length).toBe(0);
  });

  it('slices are windows that share storage; writes and slices outside are refused', () => {
    const be = wasm();
    const b = be.allocF(8);
    const s = be.slice(b, 2, 4);
    const ss = be.slice(s, 1, 2); // elements 3, 4 of b
    be.write(ss, [7, 8]);
    be.write(s, [9], 3); // element 5
    expect(Array.from(be.read(b))).toEqual([0, 0, 0, 7, 8, 9, 0, 0]);
    const bi = be.allocI32(4);
    be.write(be.slice(bi, 2, 2), [11, 12]);
    expect(Array.from(be.read(bi))).toEqual([0, 0, 11, 12]);
    expect(be.slice(b, 8, 0).length).toBe(0);
    expect(() => be.slice(b, 5, 4)).toThrow('slice [5, 9) outside buffer of 8');
    expect(() => be.write(s, [1, 2, 3], 2)).toThrow('write of 3 at 2 outside buffer of 4');
    be.write(s, [1, 2], 2); // exactly to the end
    expect(Array.from(be.read(s))).toEqual([0, 7, 1, 2]);
  });

  it('space reused after release is zeroed again, for every kind', () => {
    const be = wasm();
    const m = be.mark();
    expect(typeof m).toBe('number');
    be.write(be.allocF(6), [1, 2, 3, 4, 5, 6]);
    expect(be.mark()).toBeGreaterThan(m);
    be.write(be.allocI32(3), [7, 8, 9]);
    be.release(m);
    expect(be.mark()).toBe(m);
    expect(Array.from(be.read(be.allocF(6)))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(be.read(be.allocI32(3)))).toEqual([0, 0, 0]);
    be.release(m);
    be.write(be.allocU8(8), [1, 1, 1, 1, 1, 1, 1, 1]);
    be.release(m);
    expect(Array.from(be.read(be.allocU8(8)))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('buffers made before the memory grew still read and write (views are rebuilt)', () => {
    const core = instantiateCore();
    const be = createWasmBackendOn(core);
    const a = be.allocF(4);
    be.write(a, [1, 2, 3, 4]);
    const before = core.memory.buffer.byteLength;
    const big = be.allocF(64 << 20 >> 2); // 64 MiB: more than the initial memory
    expect(core.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(be.read(a))).toEqual([1, 2, 3, 4]);
    be.write(a, [5, 6, 7, 8]);
    expect(Array.from(be.read(a))).toEqual([5, 6, 7, 8]);
    be.write(big, [3], big.length - 1);
    expect(be.read(big, undefined, big.length - 1, 1)[0]).toBe(3);
  });
});

describe('kernels against the float64 reference', () => {
  for (const c of OP_CASES)
    it(`op ${c.name}: forward and every input gradient`, () => {
      const a = runOp(wasm(), c, 11);
      const r = runOp(createReferenceBackend(), c, 11);
      expect(relErr(a.out, r.out)).toBeLessThan(2e-5);
      a.grads.forEach((g, i) => expect(relErr(g, r.grads[i])).toBeLessThan(2e-5));
    });

  /** The same random inputs on both backends; `f` calls kernels; the named outputs are compared. */
  function both(shapes: Record<string, number>, f: (be: Backend, b: Record<string, Buf>) => void, outs: string[]) {
    const res = [wasm(), createReferenceBackend()].map((be) => {
      const rng = new Rng(5);
      const b: Record<string, Buf> = {};
      for (const [k, n] of Object.entries(shapes)) {
        b[k] = be.allocF(n);
        be.write(b[k], Array.from({ length: n }, () => rng.normal()));
      }
      f(be, b);
      return outs.map((k) => Array.from(be.read(b[k])));
    });
    outs.forEach((k, i) => expect(relErr(res[0][i], res[1][i]), k).toBeLessThan(2e-5));
    return res[1];
  }

  it('matmuls overwrite without acc and add with it, each orientation', () => {
    const [M, N, K] = [3, 5, 4];
    both({ A: M * K, B: N * K, C1: M * N, C2: M * N }, (be, b) => {
      be.matmulNT(b.C1, b.A, b.B, M, N, K, false);
      be.matmulNT(b.C2, b.A, b.B, M, N, K, true);
    }, ['C1', 'C2']);
    both({ A: M * K, B: K * N, C1: M * N, C2: M * N }, (be, b) => {
      be.matmulNN(b.C1, b.A, b.B, M, N, K, false);
      be.matmulNN(b.C2, b.A, b.B, M, N, K, true);
    }, ['C1', 'C2']);
    both({ A: K * M, B: K * N, C1: M * N, C2: M * N }, (be, b) => {
      be.matmulTN(b.C1, b.A, b.B, M, N, K, false);
      be.matmulTN(b.C2, b.A, b.B, M, N, K, true);
    }, ['C1', 'C2']);
  });

  it('element-wise kernels: add, axpy, fill, copy, sumSq', () => {
    both({ A: 9, B: 9, Y: 9, Z: 9, F: 9, C: 9 }, (be, b) => {
      be.add(b.Y, b.A, b.B, 9);
      be.axpy(b.Z, b.A, -0.75, 9);
      be.fill(b.F, 2.5, 7);
      be.copy(b.C, b.B, 6);
    }, ['Y', 'Z', 'F', 'C']);
    const be = wasm();
    const x = be.allocF(5);
    be.write(x, [1, -2, 3, 4, 100]);
    expect(be.sumSq(x, 4)).toBe(30);
  });

  it('Adam: parameters and both moments after a step with bias correction', () => {
    both({ P: 11, G: 11, M: 11, V: 11 }, (be, b) => {
      const v = be.read(b.V).map(Math.abs);
      be.write(b.V, v);
      be.adamStep(b.P, b.G, b.M, b.V, 11, 1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3);
    }, ['P', 'M', 'V']);
  });

  it('backward kernels with a gradient output left out (null) still fill the others', () => {
    const [Bn, H, Tq, Tk, D] = [2, 2, 3, 3, 4];
    both({ dK: Bn * Tk * H * D, dS: Bn * H * Tq * Tk, Q: Bn * Tq * H * D, K: Bn * Tk * H * D }, (be, b) => {
      be.attnScoresBwd(null, b.dK, b.dS, b.Q, b.K, Bn, H, Tq, Tk, D, 0, 0.5);
    }, ['dK']);
    both({ dV: Bn * Tk * H * D, dZ: Bn * Tq * H * D, P: Bn * H * Tq * Tk, V: Bn * Tk * H * D }, (be, b) => {
      be.attnAvBwd(null, b.dV, b.dZ, b.P, b.V, Bn, H, Tq, Tk, D);
    }, ['dV']);
    const [M, N] = [3, 6];
    both({ dg: N, dY: M * N, X: M * N, mean: M, rstd: M, g: N }, (be, b) => {
      be.write(b.rstd, be.read(b.rstd).map((r) => 1 + Math.abs(r)));
      be.layerNormBwd(null, b.dg, null, b.dY, b.X, b.mean, b.rstd, b.g, M, N);
    }, ['dg']);
  });
});
