/**
 * The float64 reference backend (backends/reference.ts) where the ops tests do not look: every kernel keeps
 * to its extents (buffers padded with a sentinel keep the padding, and the results equal those on exact
 * sizes), gradients left out (null) are skipped, LayerNorm's ε on a constant row, the causal mask's value
 * and that masked scores pass no gradient (against the formula written out here), and storage reads.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Buf } from '../backend.js';
import { Rng } from '../rng.js';
import { KERNEL_CASES, nOf, values, type KernelCase } from '../testing/kernelCases.js';
import { createReferenceBackend } from './reference.js';

const PAD = 5;
const SENTINEL = 7.25;

/** Runs a case on the reference with every buffer `pad` elements longer; returns every buffer whole. */
function run(c: KernelCase, pad: number): Record<string, number[]> {
  const be: Backend = createReferenceBackend();
  const rng = new Rng(23);
  const b: Record<string, Buf> = {};
  for (const [name, s] of Object.entries(c.bufs)) {
    const n = nOf(s);
    const int = typeof s === 'object' && !('n' in s);
    b[name] = int ? ('i32' in s ? be.allocI32(n + pad) : be.allocU8(n + pad)) : be.allocF(n + pad);
    be.write(b[name], [...values(s, rng), ...Array.from({ length: pad }, () => (int ? 3 : SENTINEL))]);
  }
  for (const [k, ...args] of c.calls) (be as unknown as Record<string, (...a: unknown[]) => void>)[k as string](...args.map((a) => (typeof a === 'string' ? b[a] : a)));
  return Object.fromEntries(Object.entries(b).map(([name, buf]) => [name, Array.from(be.read(buf))]));
}

describe('every kernel keeps to its extents', () => {
  for (const c of KERNEL_CASES.filter((k) => k.calls.every(([name]) => name !== 'sumSqInto')))
    it(c.name, () => {
      const exact = run(c, 0);
      const padded = run(c, PAD);
      for (const [name, s] of Object.entries(c.bufs)) {
        const n = nOf(s);
        const int = typeof s === 'object' && !('n' in s);
        expect(padded[name].slice(n), `padding of ${name}`).toEqual(Array(PAD).fill(int ? 3 : SENTINEL));
        expect(padded[name].slice(0, n), name).toEqual(exact[name]);
      }
    });
});

describe('kernel details', () => {
  it('element-wise kernels touch only the first n elements', () => {
    const be = createReferenceBackend();
    const buf = (v: number[]) => {
      const b = be.allocF(v.length);
      be.write(b, v);
      return b;
    };
    const five = () => buf([1, 2, 3, 4, 5]);
    const mask = be.allocU8(5);
    be.write(mask, [1, 0, 1, 1, 1]);
    const outs: Buf[] = [];
    const y = () => (outs.push(buf([9, 9, 9, 9, 9])), outs.at(-1)!);
    be.add(y(), five(), five(), 3);
    be.axpy(y(), five(), 2, 3);
    be.copy(y(), five(), 3);
    be.whereFwd(y(), mask, five(), five(), 3);
    be.whereBwd(y(), y(), five(), mask, 3);
    be.geluFwd(y(), five(), 3);
    be.geluBwd(y(), five(), five(), 3);
    be.fill(y(), 0, 3);
    for (const o of outs) expect(Array.from(be.read(o)).slice(3)).toEqual([9, 9]);
    const [p, g, m, v] = [five(), five(), five(), five()];
    be.adamStep(p, g, m, v, 3, 0.1, 0.9, 0.999, 1e-8, 0.1, 0.001);
    for (const b of [p, m, v]) expect(Array.from(be.read(b)).slice(3)).toEqual([4, 5]);
    expect(be.sumSq(five(), 3)).toBe(14);
  });

  it('matmuls against the sums written out here, overwriting and accumulating', () => {
    const be = createReferenceBackend();
    const [M, N, K] = [2, 3, 2];
    const a = [1, 2, 3, 4]; // [M, K] (TN: [K, M])
    const bNT = [1, 0, 2, -1, 0.5, 3]; // [N, K]
    const bNN = [1, 0, 2, -1, 0.5, 3]; // [K, N]
    const c0 = [10, 20, 30, 40, 50, 60];
    const run = (k: 'matmulNT' | 'matmulNN' | 'matmulTN', bv: number[], acc: boolean) => {
      const [A, B, C] = [a, bv, c0].map((v) => {
        const x = be.allocF(v.length);
        be.write(x, v);
        return x;
      });
      be[k](C, A, B, M, N, K, acc);
      return Array.from(be.read(C));
    };
    const want = (get: (m: number, n: number, k: number) => number, acc: boolean) =>
      Array.from({ length: M * N }, (_, e) => {
        const [m, n] = [Math.floor(e / N), e % N];
        let s = acc ? c0[e] : 0;
        for (let k = 0; k < K; k++) s += get(m, n, k);
        return s;
      });
    for (const acc of [false, true]) {
      expect(run('matmulNT', bNT, acc)).toEqual(want((m, n, k) => a[m * K + k] * bNT[n * K + k], acc));
      expect(run('matmulNN', bNN, acc)).toEqual(want((m, n, k) => a[m * K + k] * bNN[k * N + n], acc));
      expect(run('matmulTN', bNN, acc)).toEqual(want((m, n, k) => a[k * M + m] * bNN[k * N + n], acc));
    }
  });

  it('LayerNorm of a constant row: y = b, mean = the constant, rstd = 1/√ε', () => {
    const be = createReferenceBackend();
    const [Y, mean, rstd, X, g, b] = [4, 1, 1, 4, 4, 4].map((n) => be.allocF(n));
    be.write(X, [3, 3, 3, 3]);
    be.write(g, [2, -1, 0.5, 4]);
    be.write(b, [0.1, 0.2, 0.3, 0.4]);
    be.layerNormFwd(Y, mean, rstd, X, g, b, 1, 4, 1e-5);
    expect(Array.from(be.read(Y))).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(be.read(mean)[0]).toBe(3);
    expect(be.read(rstd)[0]).toBeCloseTo(1 / Math.sqrt(1e-5), 6);
  });

  it('masked scores are −1e20 and pass no gradient: dQ and dK as the formula over unmasked pairs', () => {
    const be = createReferenceBackend();
    const [Bn, H, Tq, Tk, D, q0, scale] = [1, 1, 2, 3, 2, 1, 0.5];
    const rng = new Rng(9);
    const q = Array.from({ length: Tq * D }, () => rng.normal());
    const k = Array.from({ length: Tk * D }, () => rng.normal());
    const ds = Array.from({ length: Tq * Tk }, () => rng.normal());
    const [Q, K, S, dS, dQ, dK] = [Tq * D, Tk * D, Tq * Tk, Tq * Tk, Tq * D, Tk * D].map((n) => be.allocF(n));
    be.write(Q, q);
    be.write(K, k);
    be.write(dS, ds);
    be.attnScoresFwd(S, Q, K, Bn, H, Tq, Tk, D, q0, scale);
    const s = be.read(S);
    // query i sits at position q0 + i: key j is visible when j ≤ q0 + i
    expect(s[2]).toBe(-1e20); // i = 0, j = 2
    expect(s[0]).toBeCloseTo(scale * (q[0] * k[0] + q[1] * k[1]), 12);
    expect(s[5]).toBeCloseTo(scale * (q[2] * k[4] + q[3] * k[5]), 12);
    be.attnScoresBwd(dQ, dK, dS, Q, K, Bn, H, Tq, Tk, D, q0, scale);
    const wantQ = new Array(Tq * D).fill(0);
    const wantK = new Array(Tk * D).fill(0);
    for (let i = 0; i < Tq; i++)
      for (let j = 0; j <= Math.min(Tk - 1, q0 + i); j++)
        for (let d = 0; d < D; d++) {
          wantQ[i * D + d] += scale * ds[i * Tk + j] * k[j * D + d];
          wantK[j * D + d] += scale * ds[i * Tk + j] * q[i * D + d];
        }
    Array.from(be.read(dQ)).forEach((v, i) => expect(v).toBeCloseTo(wantQ[i], 12));
    Array.from(be.read(dK)).forEach((v, i) => expect(v).toBeCloseTo(wantK[i], 12));
  });
});

describe('storage', () => {
  it('name, precision, reads from an offset, into a longer array, and windows', () => {
    const be = createReferenceBackend();
    expect([be.name, be.precision, be.mark()]).toEqual(['reference', 'float64', 0]);
    const b = be.allocF(6);
    be.write(b, [1, 2, 3, 4, 5, 6]);
    expect(Array.from(be.read(b, undefined, 2))).toEqual([3, 4, 5, 6]);
    const out = new Float64Array(5).fill(9);
    expect(be.read(b, out, 1, 2)).toBe(out);
    expect(Array.from(out)).toEqual([2, 3, 9, 9, 9]);
    const s = be.slice(b, 1, 3);
    be.write(s, [20], 2);
    expect(Array.from(be.read(b))).toEqual([1, 2, 3, 20, 5, 6]);
    const i = be.allocI32(2);
    be.write(i, [4, -4]);
    expect(be.read(i)).toBeInstanceOf(Int32Array);
    expect(be.read(be.allocU8(2))).toBeInstanceOf(Int32Array);
  });
});
