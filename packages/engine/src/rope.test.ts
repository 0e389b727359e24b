/**
 * RoPE (spec 2.3) against a closed-form rotation written here from the formula, not from the engine's
 * tables: pair i of a head (components 2i, 2i+1) at position p is rotated by the angle
 * p · base^(−2i/D). Every backend reads the same `ropeTables`, so a wrong frequency there is invisible
 * to the backend-against-reference checks; the golden model's head size 2 has only i = 0, which cannot
 * see the frequency at all. Head sizes 2, 8 and 16, per-row positions and a fixed query position.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createReferenceBackend } from './backends/reference.js';
import { createWasmBackend } from './backends/wasm.js';
import { Graph } from './graph.js';
import * as op from './ops.js';
import { Rng } from './rng.js';

const BASE = 10000;

/** y = R(p·θ_i) x for every pair, in float64, straight from the definition. */
function closedForm(x: number[], rows: number, width: number, D: number, posOf: (r: number) => number): number[] {
  const y = new Array<number>(x.length);
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < width; h += D)
      for (let i = 0; i < D / 2; i++) {
        const angle = posOf(r) * Math.pow(BASE, (-2 * i) / D);
        const o = r * width + h + 2 * i;
        y[o] = Math.cos(angle) * x[o] - Math.sin(angle) * x[o + 1];
        y[o + 1] = Math.sin(angle) * x[o] + Math.cos(angle) * x[o + 1];
      }
  return y;
}

function engineRope(be: Backend, x: number[], rows: number, width: number, D: number, T: number, pos0: number, positions: number): number[] {
  const g = new Graph(be, { training: false });
  const buf = be.allocF(x.length);
  be.write(buf, x);
  const y = op.rope(g, g.wrap(buf, [rows, width], null), T, pos0, op.ropeTables(g, positions, D, BASE), D);
  g.compile(null, [y]).forward();
  return Array.from(be.read(y.buf));
}

describe('RoPE against the closed-form rotation', () => {
  const backends: [string, () => Backend, number][] = [
    ['reference (float64)', createReferenceBackend, 1e-12],
    ['wasm (float32)', createWasmBackend, 2e-5],
  ];
  for (const [name, make, tol] of backends)
    for (const D of [2, 8, 16])
      it(`${name}, head size ${D}: per-row positions (T = 5) and a fixed query position (pos0 = 4)`, () => {
        const be = make();
        const rng = new Rng(D);
        const heads = 2;
        const width = heads * D;
        const T = 5;
        const rows = 3 * T;
        const x = Array.from({ length: rows * width }, () => rng.normal());
        const perRow = engineRope(be, x, rows, width, D, T, 0, T);
        const want = closedForm(x, rows, width, D, (r) => r % T);
        expect(Math.max(...perRow.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(tol);
        // The query-only last block: every row sits at position 4.
        const q = engineRope(be, x.slice(0, 2 * width), 2, width, D, 0, 4, T);
        const wantQ = closedForm(x.slice(0, 2 * width), 2, width, D, () => 4);
        expect(Math.max(...q.map((v, i) => Math.abs(v - wantQ[i])))).toBeLessThan(tol);
        // The rotation is not the identity beyond the first pair: the check can see every frequency.
        if (D > 2) expect(Math.abs(perRow[width + D - 1] - x[width + D - 1])).toBeGreaterThan(1e-6);
      });

  it('the frequencies fall as base^(−2i/D): position 1, head size 16, pair i has angle 10000^(−i/8)', () => {
    const be = createReferenceBackend();
    const D = 16;
    // x = (1, 0) in every pair: the output pair is (cos θ_i, sin θ_i), so the angles can be read back.
    const x = Array.from({ length: D }, (_, k) => (k % 2 === 0 ? 1 : 0));
    const y = engineRope(be, x, 1, D, D, 0, 1, 2);
    for (let i = 0; i < D / 2; i++) expect(Math.atan2(y[2 * i + 1], y[2 * i])).toBeCloseTo(Math.pow(10000, -i / 8), 12);
  });
});
