import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import * as op from './ops.js';
import { checkGradients } from './testing/fd.js';

// Every op's backward against central finite differences on the float64 reference backend.
const be = createReferenceBackend();
const TOL = 1e-6;

function idx(values: number[]) {
  const b = be.allocI32(values.length);
  be.write(b, values);
  return b;
}

describe('op backward vs finite differences (reference, float64)', () => {
  it('linear with bias', () => {
    const r = checkGradients(be, [[7, 5], [3, 5], [3]], (g, [x, W, b]) => op.linear(g, x, W, b));
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
  it('layerNorm', () => {
    const r = checkGradients(be, [[4, 9], [9], [9]], (g, [x, gain, bias]) => op.layerNorm(g, x, gain, bias, 1e-5));
    expect(r.maxRelErr).toBeLessThan(1e-5);
  });
  it('rope, per-row positions and a fixed query position', () => {
    const r = checkGradients(be, [[10, 16]], (g, [x]) => op.rope(g, x, 5, 0, op.ropeTables(g, 5, 8, 10000), 8));
    expect(r.maxRelErr).toBeLessThan(TOL);
    const r2 = checkGradients(be, [[3, 16]], (g, [x]) => op.rope(g, x, 0, 4, op.ropeTables(g, 5, 8, 10000), 8));
    expect(r2.maxRelErr).toBeLessThan(TOL);
  });
  it('attention scores + softmax + apply (full causal and query-row-only)', () => {
    for (const [Tq, qPos0] of [
      [5, 0],
      [1, 4],
    ]) {
      const dims = { Bn: 2, H: 2, Tq, Tk: 5, D: 4, qPos0 };
      const r = checkGradients(be, [[2 * Tq, 8], [10, 8], [10, 8]], (g, [q, k, v]) =>
        op.attnApply(g, op.softmax(g, op.attnScores(g, q, k, dims)), v, dims),
      );
      expect(r.maxRelErr).toBeLessThan(1e-5);
    }
  });
  it('gatherRows with repeated indices', () => {
    const r = checkGradients(be, [[4, 3]], (g, [x]) => op.gatherRows(g, x, idx([3, 0, 3, 1, 3]), 5));
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
  it('concatRows and add', () => {
    const r = checkGradients(be, [[2, 3], [4, 3], [6, 3]], (g, [a, b, c]) => op.add(g, op.concatRows(g, a, b), c));
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
  it('where: gradient reaches the clamp where masked and the computed value elsewhere', () => {
    const mask = be.allocU8(6);
    be.write(mask, [1, 0, 0, 1, 1, 0]);
    const r = checkGradients(be, [[2, 3], [2, 3]], (g, [clamp, computed]) => op.where(g, mask, clamp, computed));
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
  it('crossEntropyMean', () => {
    const r = checkGradients(be, [[4, 5]], (g, [z]) => op.crossEntropyMean(g, z, idx([0, 4, 2, 2])).loss);
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
  it('a finite-difference check can fail: a wrong backward is caught', () => {
    const r = checkGradients(be, [[3, 4]], (g, [x]) => {
      const y = op.softmax(g, x);
      // Sabotage: a copy op whose backward double-counts.
      const z = g.value(y.shape, true);
      g.push(
        z,
        [y],
        () => be.copy(z.buf, y.buf, y.size),
        () => {
          if (y.grad && z.grad) be.axpy(y.grad, z.grad, 2, y.size);
        },
      );
      return z;
    });
    expect(r.maxRelErr).toBeGreaterThan(1e-2);
  });
});
