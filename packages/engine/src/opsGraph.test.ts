/**
 * The graph bookkeeping every op shares across backends (issue 20): the inputs an op records (compile keeps
 * only ops that the output depends on through them), gradients that accumulate when a value feeds two ops,
 * inputs that need no gradient, the detached copy, and the shape checks. ops.test.ts checks each op's
 * backward alone on fresh leaves, where none of this shows.
 *
 * Each case is traced twice over the same data on the float64 reference backend: on the leaves directly,
 * and with every leaf reached through an upstream op (leaf + a constant offset, exact in float64). The two
 * outputs must agree, and the upstream trace's gradients must match central finite differences.
 */
import { describe, expect, it } from 'vitest';
import type { Buf } from './backend.js';
import { createReferenceBackend } from './backends/reference.js';
import { createWasmBackend } from './backends/wasm.js';
import { Graph, type Value } from './graph.js';
import * as op from './ops.js';
import { Rng } from './rng.js';
import { weightedOutput } from './testing/fd.js';

const be = createReferenceBackend();
const OFFSET = 3;
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function idx(values: number[]): Buf {
  const b = be.allocI32(values.length);
  be.write(b, values);
  return b;
}

interface Traced {
  out: Float64Array;
  /** Analytic gradient of Σ w ⊙ out per leaf (null for a constant leaf). */
  grads: (Float64Array | null)[];
  /** Central difference of Σ w ⊙ out in one leaf coordinate. */
  numeric(leaf: number, i: number): number;
}

/** Data on a 1/256 grid, so that (x − OFFSET) + OFFSET is x exactly. */
function data(shapes: number[][], seed: number): number[][] {
  const rng = new Rng(seed);
  return shapes.map((s) => Array.from({ length: size(s) }, () => Math.round(rng.normal() * 256) / 256));
}

function trace(shapes: number[][], constant: number[], build: (g: Graph, xs: Value[]) => Value, upstream: boolean, seed = 1): Traced {
  const xs = data(shapes, seed);
  const g = new Graph(be, { training: true });
  const leaves = shapes.map((shape, i) => {
    const buf = be.allocF(size(shape));
    const grad = constant.includes(i) ? null : be.allocF(size(shape));
    const leaf = g.wrap(buf, shape, grad);
    if (!upstream) {
      be.write(buf, xs[i]);
      return { buf, grad, value: leaf, host: xs[i] };
    }
    const host = xs[i].map((x) => x - OFFSET);
    be.write(buf, host);
    const off = be.allocF(size(shape));
    be.fill(off, OFFSET, size(shape));
    return { buf, grad, value: op.add(g, leaf, g.wrap(off, shape, null)), host };
  });
  const out = build(g, leaves.map((l) => l.value));
  const program = g.compile(null, [out]);
  const w = Array.from({ length: out.size }, (_, i) => Math.cos(1.7 * i + 0.3));
  const objective = weightedOutput(be, program, out, w);
  objective();
  const outValues = Float64Array.from(be.read(out.buf));
  program.backward({ from: { value: out, seed: w } });
  const grads = leaves.map((l) => (l.grad ? Float64Array.from(be.read(l.grad)) : null));
  const h = 1e-5;
  const numeric = (leaf: number, i: number): number => {
    const { buf, host } = leaves[leaf];
    be.write(buf, [host[i] + h], i);
    const lp = objective();
    be.write(buf, [host[i] - h], i);
    const lm = objective();
    be.write(buf, [host[i]], i);
    return (lp - lm) / (2 * h);
  };
  return { out: outValues, grads, numeric };
}

/**
 * The case on the leaves and through an upstream op: the same output (and of the expected size), and every
 * gradient-carrying leaf's gradient equal to finite differences, which must not all be zero.
 */
function check(shapes: number[][], constant: number[], build: (g: Graph, xs: Value[]) => Value, outSize?: number): void {
  const direct = trace(shapes, constant, build, false);
  const up = trace(shapes, constant, build, true);
  if (outSize !== undefined) expect(direct.out.length).toBe(outSize);
  expect(up.out.length).toBe(direct.out.length);
  for (let i = 0; i < direct.out.length; i++) expect(up.out[i], `out[${i}]`).toBeCloseTo(direct.out[i], 10);
  let largest = 0;
  up.grads.forEach((grad, leaf) => {
    if (!grad) return;
    for (let i = 0; i < grad.length; i++) {
      const num = up.numeric(leaf, i);
      largest = Math.max(largest, Math.abs(num));
      expect(grad[i], `leaf ${leaf}[${i}]`).toBeCloseTo(num, 6);
    }
  });
  expect(largest).toBeGreaterThan(1e-3);
}

const attn = { Bn: 2, H: 2, Tq: 3, Tk: 3, D: 2, qPos0: 0 };
const P = [attn.Bn, attn.H, attn.Tq, attn.Tk];

describe('graph bookkeeping of every op (reference backend, finite differences)', () => {
  it('linear: through an upstream op, with and without bias, with x or W constant', () => {
    const shapes = [[4, 5], [3, 5], [3]];
    check(shapes, [], (g, [x, W, b]) => op.linear(g, x, W, b), 12);
    check(shapes, [0], (g, [x, W, b]) => op.linear(g, x, W, b));
    check(shapes, [1], (g, [x, W]) => op.linear(g, x, W, null));
    // every input constant and no bias, beside a gradient branch: the output needs no gradient
    check([[4, 5], [3, 5], [4, 3]], [0, 1], (g, [x, W, z]) => op.add(g, op.linear(g, x, W, null), z));
  });

  it('linear: x and W each feeding two linears accumulate both gradients', () => {
    check([[4, 5], [3, 5], [3]], [], (g, [x, W, b]) => op.concatRows(g, op.linear(g, x, W, b), op.linear(g, x, W, null)));
  });

  it('linear refuses x whose last axis is not W’s input width, naming both shapes', () => {
    const g = new Graph(be, { training: false });
    const v = (shape: number[]) => g.wrap(be.allocF(size(shape)), shape, null);
    expect(() => op.linear(g, v([5, 4]), v([2, 5]), null)).toThrow('linear: x 5,4 vs W 2,5');
    expect(() => op.linear(g, v([6, 4]), v([3, 5]), null)).toThrow('linear: x 6,4 vs W 3,5');
  });

  it('layerNorm: through an upstream op, and a constant one beside a gradient branch', () => {
    check([[3, 4], [4], [4]], [], (g, [x, gain, bias]) => op.layerNorm(g, x, gain, bias, 1e-5), 12);
    check([[3, 4], [4], [4], [3, 4]], [0, 1, 2], (g, [x, gain, bias, z]) => op.add(g, op.layerNorm(g, x, gain, bias, 1e-5), z));
  });

  it('rope: through an upstream op, and a constant one beside a gradient branch', () => {
    const ropeOf = (g: Graph, x: Value) => op.rope(g, x, 3, 0, op.ropeTables(g, 3, 4, 10000), 4);
    check([[6, 8]], [], (g, [x]) => ropeOf(g, x), 48);
    check([[6, 8], [6, 8]], [0], (g, [x, z]) => op.add(g, ropeOf(g, x), z));
  });

  it('attention: scores, softmax and apply through upstream ops, with q, k or v constant', () => {
    const full = (g: Graph, [q, k, v]: Value[]) => op.attnApply(g, op.softmax(g, op.attnScores(g, q, k, attn)), v, attn);
    const shapes = [[6, 4], [6, 4], [6, 4]];
    check(shapes, [], full, 24);
    check(shapes, [0], full);
    check(shapes, [1], full);
    check(shapes, [2], full);
    check(shapes, [0, 1], full);
  });

  it('attention: scores, softmax and apply on constants beside a gradient branch', () => {
    // every key visible (qPos0 = Tk − 1): a masked score of −1e20 would drown the finite differences
    const open = { ...attn, qPos0: attn.Tk - 1 };
    check([[6, 4], [6, 4], [...P]], [0, 1], (g, [q, k, z]) => op.add(g, op.attnScores(g, q, k, open), z));
    check([[...P], [...P]], [0], (g, [s, z]) => op.add(g, op.softmax(g, s), z));
    check([[...P], [6, 4], [6, 4]], [0, 1], (g, [p, v, z]) => op.add(g, op.attnApply(g, p, v, attn), z));
    check([[...P], [6, 4]], [1], (g, [p, v]) => op.attnApply(g, p, v, attn));
  });

  it('gelu: the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715·x³))), through an upstream op and constant', () => {
    check([[3, 4]], [], (g, [x]) => op.gelu(g, x), 12);
    check([[3, 4], [3, 4]], [0], (g, [x, z]) => op.add(g, op.gelu(g, x), z));
    const x = data([[3, 4]], 1)[0];
    const out = trace([[3, 4]], [], (g, [v]) => op.gelu(g, v), false).out;
    x.forEach((v, i) => expect(out[i]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 12));
  });

  it('softmax on wasm touches only its own rows: the buffer allocated next to it is unchanged', () => {
    const wasm = createWasmBackend();
    const g = new Graph(wasm, { training: false });
    const S = g.wrap(wasm.allocF(12), [3, 4], null);
    wasm.write(S.buf, Array.from({ length: 12 }, (_, i) => Math.sin(i)));
    const P = op.softmax(g, S);
    const after = wasm.allocF(64);
    wasm.write(after, Array.from({ length: 64 }, (_, i) => i + 0.5));
    const program = g.compile(null, [P]);
    program.forward();
    const p = wasm.read(P.buf);
    for (let r = 0; r < 3; r++) {
      const z = [0, 1, 2, 3].reduce((a, j) => a + Math.exp(Math.sin(4 * r + j)), 0);
      for (let j = 0; j < 4; j++) expect(p[4 * r + j]).toBeCloseTo(Math.exp(Math.sin(4 * r + j)) / z, 6);
    }
    expect(Array.from(wasm.read(after))).toEqual(Array.from({ length: 64 }, (_, i) => i + 0.5));
  });

  it('gatherRows copies the indexed rows (repeats included) and scatters their gradients back', () => {
    const rows = [2, 0, 2, 1];
    check([[3, 2]], [], (g, [x]) => op.gatherRows(g, x, idx(rows), 4), 8);
    const x = data([[3, 2]], 1)[0];
    expect(Array.from(trace([[3, 2]], [], (g, [v]) => op.gatherRows(g, v, idx(rows), 4), false).out)).toEqual(rows.flatMap((r) => x.slice(2 * r, 2 * r + 2)));
    check([[3, 2], [4, 2]], [0], (g, [v, z]) => op.add(g, op.gatherRows(g, v, idx(rows), 4), z));
  });

  it('gatherRows detached: the copy needs no gradient and none flows back through it', () => {
    const g = new Graph(be, { training: true });
    const grad = be.allocF(6);
    const x = g.wrap(be.allocF(6), [3, 2], grad);
    const z = g.wrap(be.allocF(8), [4, 2], be.allocF(8));
    const copy = op.gatherRows(g, x, idx([2, 0, 2, 1]), 4, { detached: true });
    expect(copy.requiresGrad).toBe(false);
    const out = op.add(g, copy, z);
    const program = g.compile(null, [out]);
    program.forward();
    program.backward({ from: { value: out, seed: [1, 2, 3, 4, 5, 6, 7, 8] } });
    expect(Array.from(be.read(grad))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('concatRows and add: through upstream ops, one side constant, and one value on both sides', () => {
    check([[2, 3], [4, 3]], [], (g, [a, b]) => op.concatRows(g, a, b), 18);
    check([[2, 3], [4, 3]], [0], (g, [a, b]) => op.concatRows(g, a, b));
    check([[2, 3], [4, 3]], [1], (g, [a, b]) => op.concatRows(g, a, b));
    check([[2, 3], [2, 3]], [], (g, [a, b]) => op.add(g, a, b), 6);
    check([[2, 3], [2, 3]], [0], (g, [a, b]) => op.add(g, a, b));
    check([[2, 3], [2, 3]], [1], (g, [a, b]) => op.add(g, a, b));
    check([[2, 3]], [], (g, [a]) => op.add(g, a, a));
    check([[2, 3]], [], (g, [a]) => op.concatRows(g, a, a));
    check([[2, 3], [2, 3], [4, 3]], [0, 1], (g, [a, b, z]) => op.add(g, op.concatRows(g, a, b), z));
    check([[2, 3], [2, 3], [2, 3]], [0, 1], (g, [a, b, z]) => op.add(g, op.add(g, a, b), z));
  });

  it('concatRows, add and where refuse mismatched operands, naming both shapes', () => {
    const g = new Graph(be, { training: false });
    const v = (shape: number[]) => g.wrap(be.allocF(size(shape)), shape, null);
    expect(() => op.concatRows(g, v([2, 3]), v([2, 4]))).toThrow('concatRows: widths 2,3 vs 2,4');
    expect(() => op.add(g, v([2, 3]), v([3, 3]))).toThrow('add: sizes 2,3 vs 3,3');
    expect(() => op.where(g, be.allocU8(6), v([2, 3]), v([2, 4]))).toThrow('where: sizes 2,3 vs 2,4');
  });

  it('where: through upstream ops, with the clamp or the computed value constant', () => {
    const mask = be.allocU8(6);
    be.write(mask, [1, 0, 0, 1, 1, 0]);
    for (const constant of [[], [0], [1]]) check([[2, 3], [2, 3]], constant, (g, [c, x]) => op.where(g, mask, c, x), 6);
    check([[2, 3], [2, 3], [2, 3]], [0, 1], (g, [c, x, z]) => op.add(g, op.where(g, mask, c, x), z));
  });

  it('crossEntropyMean: a [1] loss through an upstream op, and a constant one beside a gradient branch', () => {
    const targets = idx([0, 3, 2]);
    check([[3, 4]], [], (g, [z]) => op.crossEntropyMean(g, z, targets).loss, 1);
    check([[3, 4], [1]], [0], (g, [z, y]) => op.add(g, op.crossEntropyMean(g, z, targets).loss, y));
    const g = new Graph(be, { training: true });
    expect(op.crossEntropyMean(g, g.wrap(be.allocF(12), [3, 4], null), targets).loss.shape).toEqual([1]);
  });
});
