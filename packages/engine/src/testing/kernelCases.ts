/**
 * Small calls of every kernel of the Backend interface, for checks that run each kernel once on random
 * inputs: webgpuExecutorEdges (against the reference) and referenceEdges (padding left untouched).
 */
import { Rng } from '../rng.js';

/**
 * A kernel case: buffers by name (float: random normal; 'pos': random positive; int: given values), the
 * calls (kernel name, then arguments where a string names a buffer), and the buffers compared afterwards.
 */
export type BufSpec = number | { n: number; pos: true } | { i32: number[] } | { u8: number[] };
export interface KernelCase {
  name: string;
  bufs: Record<string, BufSpec>;
  calls: unknown[][];
  outs: string[];
}
export const nOf = (s: BufSpec) => (typeof s === 'number' ? s : 'n' in s ? s.n : 'i32' in s ? s.i32.length : s.u8.length);
export const values = (s: BufSpec, rng: Rng) =>
  typeof s === 'number' ? Array.from({ length: s }, () => rng.normal()) : 'n' in s ? Array.from({ length: s.n }, () => 0.1 + Math.abs(rng.normal())) : 'i32' in s ? s.i32 : s.u8;

const [Bn, H, Tq, Tk, D] = [2, 2, 3, 3, 4];
const QK = Bn * Tq * H * D;
const SC = Bn * H * Tq * Tk;
export const KERNEL_CASES: KernelCase[] = [
  { name: 'matmulNT, overwrite and accumulate', bufs: { A: 12, B: 20, C: 15, C2: 15 }, calls: [['matmulNT', 'C', 'A', 'B', 3, 5, 4, false], ['matmulNT', 'C2', 'A', 'B', 3, 5, 4, true]], outs: ['C', 'C2'] },
  { name: 'matmulNN, overwrite and accumulate', bufs: { A: 12, B: 20, C: 15, C2: 15 }, calls: [['matmulNN', 'C', 'A', 'B', 3, 5, 4, false], ['matmulNN', 'C2', 'A', 'B', 3, 5, 4, true]], outs: ['C', 'C2'] },
  { name: 'matmulTN, overwrite and accumulate', bufs: { A: 12, B: 20, C: 15, C2: 15 }, calls: [['matmulTN', 'C', 'A', 'B', 3, 5, 4, false], ['matmulTN', 'C2', 'A', 'B', 3, 5, 4, true]], outs: ['C', 'C2'] },
  { name: 'addBias and sumRows', bufs: { Y: 12, b: 4, db: 4 }, calls: [['addBias', 'Y', 'b', 3, 4], ['sumRows', 'db', 'Y', 3, 4]], outs: ['Y', 'db'] },
  {
    name: 'layerNorm forward and backward (every gradient, then dX alone, then db alone)',
    bufs: { Y: 15, mean: 3, rstd: 3, X: 15, g: 5, b: 5, dX: 15, dg: 5, db: 5, dY: 15, dX2: 15, db2: 5 },
    calls: [
      ['layerNormFwd', 'Y', 'mean', 'rstd', 'X', 'g', 'b', 3, 5, 1e-5],
      ['layerNormBwd', 'dX', 'dg', 'db', 'dY', 'X', 'mean', 'rstd', 'g', 3, 5],
      ['layerNormBwd', 'dX2', null, null, 'dY', 'X', 'mean', 'rstd', 'g', 3, 5],
      ['layerNormBwd', null, null, 'db2', 'dY', 'X', 'mean', 'rstd', 'g', 3, 5],
    ],
    outs: ['Y', 'mean', 'rstd', 'dX', 'dg', 'db', 'dX2', 'db2'],
  },
  {
    name: 'rope forward and backward, per-row and fixed positions',
    // 6 rows of 2 heads of 4; tables for 5 positions × 2 frequencies
    bufs: { Y: 48, X: 48, cos: 10, sin: 10, dX: 48, dY: 48, Y2: 16, X2: 16 },
    calls: [['ropeFwd', 'Y', 'X', 6, 8, 3, 1, 'cos', 'sin', 4], ['ropeBwd', 'dX', 'dY', 6, 8, 3, 1, 'cos', 'sin', 4], ['ropeFwd', 'Y2', 'X2', 2, 8, 0, 4, 'cos', 'sin', 4]],
    outs: ['Y', 'dX', 'Y2'],
  },
  {
    name: 'attention scores (causal, offset queries) and their gradients',
    bufs: { S: SC, Q: QK, K: QK, dQ: QK, dK: QK, dS: SC, dK2: QK },
    calls: [['attnScoresFwd', 'S', 'Q', 'K', Bn, H, Tq, Tk, D, 0, 0.5], ['attnScoresBwd', 'dQ', 'dK', 'dS', 'Q', 'K', Bn, H, Tq, Tk, D, 0, 0.5], ['attnScoresBwd', null, 'dK2', 'dS', 'Q', 'K', Bn, H, Tq, Tk, D, 1, 0.25]],
    outs: ['S', 'dQ', 'dK', 'dK2'],
  },
  { name: 'softmax forward and backward', bufs: { P: 12, S: 12, dS: 12, dP: 12 }, calls: [['softmaxFwd', 'P', 'S', 3, 4], ['softmaxBwd', 'dS', 'dP', 'P', 3, 4]], outs: ['P', 'dS'] },
  {
    name: 'attention-weighted values and their gradients',
    bufs: { Z: QK, P: SC, V: QK, dP: SC, dV: QK, dZ: QK, dV2: QK },
    calls: [['attnAvFwd', 'Z', 'P', 'V', Bn, H, Tq, Tk, D], ['attnAvBwd', 'dP', 'dV', 'dZ', 'P', 'V', Bn, H, Tq, Tk, D], ['attnAvBwd', null, 'dV2', 'dZ', 'P', 'V', Bn, H, Tq, Tk, D]],
    outs: ['Z', 'dP', 'dV', 'dV2'],
  },
  { name: 'gelu forward and backward on the first 7 of 9', bufs: { Y: 9, X: 9, dX: 9, dY: 9 }, calls: [['geluFwd', 'Y', 'X', 7], ['geluBwd', 'dX', 'dY', 'X', 7]], outs: ['Y', 'dX'] },
  {
    name: 'gather rows and scatter-add them back',
    bufs: { Y: 15, X: 12, idx: { i32: [2, 0, 2, 3, 1, 1] }, dX: 12, dY: 15 },
    calls: [['gatherRows', 'Y', 'X', 'idx', 5, 3], ['scatterAddRows', 'dX', 'dY', 'idx', 5, 3]],
    outs: ['Y', 'dX'],
  },
  {
    name: 'add, axpy, fill, copy on the first elements',
    bufs: { Y: 7, A: 7, B: 7, Z: 7, F: 7, C: 7, Fi: { i32: [1, 2, 3, 4] } },
    calls: [['add', 'Y', 'A', 'B', 6], ['axpy', 'Z', 'A', -0.75, 5], ['fill', 'F', 2.5, 4], ['copy', 'C', 'B', 3], ['fill', 'Fi', 7, 2]],
    outs: ['Y', 'Z', 'F', 'C', 'Fi'],
  },
  {
    name: 'where forward and backward (one gradient left out)',
    bufs: { Y: 6, mask: { u8: [1, 0, 1, 1, 0, 1] }, A: 6, B: 6, dA: 6, dB: 6, dY: 6, dB2: 6 },
    calls: [['whereFwd', 'Y', 'mask', 'A', 'B', 5], ['whereBwd', 'dA', 'dB', 'dY', 'mask', 5], ['whereBwd', null, 'dB2', 'dY', 'mask', 6]],
    outs: ['Y', 'dA', 'dB', 'dB2'],
  },
  {
    name: 'cross-entropy forward and backward',
    bufs: { loss: 4, P: 15, logits: 15, t: { i32: [0, 4, 2] }, dl: 15 },
    calls: [['crossEntropyFwd', 'loss', 'P', 'logits', 't', 3, 5], ['crossEntropyBwd', 'dl', 'P', 't', 3, 5, 1 / 3]],
    outs: ['loss', 'P', 'dl'],
  },
  {
    name: 'Adam on four buffers (the merged programs), with bias correction',
    bufs: { p: 9, g: 9, m: 9, v: { n: 9, pos: true } },
    calls: [['adamStep', 'p', 'g', 'm', 'v', 8, 1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3]],
    outs: ['p', 'm', 'v'],
  },
  { name: 'sum of squares into a buffer', bufs: { out: 2, X: 9 }, calls: [['sumSqInto', 'out', 'X', 8]], outs: ['out'] },
];

