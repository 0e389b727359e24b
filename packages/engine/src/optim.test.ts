/**
 * Adam (spec 3.1) against the textbook update written out here in float64, term by term: the first and
 * second moments, both bias corrections, ε outside the square root. Every backend shares `Adam.step`'s
 * arguments (the bias corrections are computed there), so a slip in them is invisible to the
 * backend-against-reference checks. A large learning rate and the first steps, where 1 − β1^t and
 * 1 − β2^t differ by 100x, make any swapped term move the parameters by far more than rounding.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createReferenceBackend } from './backends/reference.js';
import { createWasmBackend } from './backends/wasm.js';
import { Adam, DEFAULT_ADAM, type AdamConfig } from './optim.js';
import { DEFAULT_MODEL, ParamStore } from './params.js';
import { Rng } from './rng.js';

interface Textbook {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  t: number;
}

function textbookStep(s: Textbook, g: Float64Array, c: AdamConfig): void {
  s.t += 1;
  for (let i = 0; i < g.length; i++) {
    s.m[i] = c.beta1 * s.m[i] + (1 - c.beta1) * g[i];
    s.v[i] = c.beta2 * s.v[i] + (1 - c.beta2) * g[i] * g[i];
    const mHat = s.m[i] / (1 - Math.pow(c.beta1, s.t));
    const vHat = s.v[i] / (1 - Math.pow(c.beta2, s.t));
    s.p[i] -= (c.lr * mHat) / (Math.sqrt(vHat) + c.eps);
  }
}

/** max |a − b| / scale, elementwise. */
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale[i]);
  return worst;
};

describe('Adam against the textbook update', () => {
  const cfg: AdamConfig = { ...DEFAULT_ADAM, lr: 1e-2 };
  const cases: [string, () => Backend, number][] = [
    ['reference (float64)', createReferenceBackend, 1e-12],
    ['wasm (float32)', createWasmBackend, 2e-5],
  ];
  for (const [name, make, tol] of cases)
    it(`${name}: moments, bias corrections and parameters over 4 steps`, () => {
      const be = make();
      const params = new ParamStore(be, DEFAULT_MODEL);
      params.init(3);
      const adam = new Adam(params, cfg);
      const n = params.total;
      const s: Textbook = { p: Float64Array.from(be.read(params.values)), m: new Float64Array(n), v: new Float64Array(n), t: 0 };
      const rng = new Rng(11);
      for (let step = 1; step <= 4; step++) {
        // Gradients of very different sizes per coordinate, some exactly zero (ablated heads never move).
        const g = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : rng.normal() * 10 ** ((i % 5) - 3)));
        be.write(params.grads, g);
        const before = Float64Array.from(be.read(params.values));
        // Each moment's error is judged against the size of the terms it sums (a moment can cancel to
        // near zero while its terms do not, and float32 rounds the terms).
        const mScale = Float64Array.from(s.m, (m, i) => Math.abs(cfg.beta1 * m) + Math.abs((1 - cfg.beta1) * g[i]) + 1e-30);
        const vScale = Float64Array.from(s.v, (v, i) => cfg.beta2 * v + (1 - cfg.beta2) * g[i] * g[i] + 1e-30);
        adam.step();
        textbookStep(s, Float64Array.from(be.read(params.grads)), cfg);
        expect(adam.t).toBe(step);
        expect(maxRel(be.read(params.m), s.m, mScale)).toBeLessThan(tol);
        expect(maxRel(be.read(params.v), s.v, vScale)).toBeLessThan(tol);
        // The update itself, relative to its size (the parameters dwarf it).
        const got = be.read(params.values);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const want = s.p[i] - before[i];
          worst = Math.max(worst, Math.abs(got[i] - before[i] - want) / Math.max(1e-3 * cfg.lr, Math.abs(want)));
          if (g[i] === 0 && s.m[i] === 0) expect(got[i]).toBe(before[i]);
        }
        expect(worst).toBeLessThan(name.startsWith('wasm') ? 5e-3 : 1e-9);
        // Keep the textbook on the backend's state, so float32 rounding does not accumulate.
        s.p = Float64Array.from(got);
        s.m = Float64Array.from(be.read(params.m));
        s.v = Float64Array.from(be.read(params.v));
      }
    });

  it('the first step moves every coordinate with a non-zero gradient by lr (within ε), whatever its size', () => {
    // With m̂ = g and v̂ = g² at t = 1, the step is lr·g/(|g| + ε): a swapped bias correction
    // (β1 in the second moment) would make it lr·g/(10·|g|) instead.
    const be = createReferenceBackend();
    const params = new ParamStore(be, DEFAULT_MODEL);
    params.init(1);
    const before = Float64Array.from(be.read(params.values));
    const g = Float64Array.from({ length: params.total }, (_, i) => (i % 2 ? 1 : -1) * 10 ** ((i % 7) - 3));
    be.write(params.grads, g);
    new Adam(params, cfg).step();
    const after = be.read(params.values);
    for (let i = 0; i < params.total; i += 101) expect(before[i] - after[i]).toBeCloseTo((cfg.lr * g[i]) / (Math.abs(g[i]) + cfg.eps), 12);
  });

  for (const [name, make] of [['reference', createReferenceBackend], ['wasm', createWasmBackend]] as const)
    it(`gradNorm is the L2 norm of the whole gradient, summed here in float64 (${name})`, () => {
      const be = make();
      const params = new ParamStore(be, DEFAULT_MODEL);
      const rng = new Rng(5);
      const g = Float64Array.from({ length: params.total }, (_, i) => rng.normal() * 10 ** ((i % 3) - 2));
      be.write(params.grads, g);
      let ss = 0;
      for (const x of be.read(params.grads)) ss += x * x;
      expect(Math.abs(new Adam(params, cfg).gradNorm() - Math.sqrt(ss)) / Math.sqrt(ss)).toBeLessThan(1e-6);
    });
});
