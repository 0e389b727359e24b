/**
 * headTemperature: golden (the clamped head's pattern is softmax(S/τ) of the unclamped forward's scores,
 * written out here; the layer's other heads are untouched), finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { makeRig, twin } from '../../testing/clampRig.js';
import { clampSuites } from '../../testing/clampSuites.js';

const softmaxRow = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

describe('headTemperature: golden', () => {
  for (const [ref, tau] of [['1:1', 0.5], ['0:0', 3]] as const)
    it(`head ${ref}, τ = ${tau}: its pattern is softmax(S/τ) of the unclamped scores; the other head's pattern is unchanged`, () => {
      const layer = Number(ref[0]);
      const keep = [`blocks.${layer}.attn.scores`, `blocks.${layer}.attn.pattern`];
      const rig = makeRig({ spec: { headTemperature: { heads: [ref], temperature: tau } }, allPositions: true, keep, training: false });
      rig.forward();
      const clean = twin(rig, { allPositions: true, keep, training: false });
      clean.forward();
      const S = clean.read(keep[0]);
      const A0 = clean.read(keep[1]);
      const A = rig.read(keep[1]);
      const [B, H, T] = [rig.batch.size, rig.cfg.nHeads, 5];
      const h = Number(ref[2]);
      let moved = 0;
      for (let b = 0; b < B; b++)
        for (let hh = 0; hh < H; hh++)
          for (let t = 0; t < T; t++) {
            const o = ((b * H + hh) * T + t) * T;
            const row = Array.from(S.subarray(o, o + t + 1));
            const want = hh === h ? softmaxRow(row.map((x) => x / tau)) : Array.from(A0.subarray(o, o + t + 1));
            for (let j = 0; j <= t; j++) expect(A[o + j]).toBeCloseTo(want[j], 12);
            for (let j = t + 1; j < T; j++) expect(A[o + j]).toBe(0);
            if (hh === h) moved = Math.max(moved, Math.abs(A[o] - A0[o]));
          }
      expect(moved).toBeGreaterThan(1e-3); // the temperature changed something
    });
});

clampSuites('headTemperature', [
  ['τ = 0.5 on 1:1', { headTemperature: { heads: ['1:1'], temperature: 0.5 } }],
  ['τ = 2 on 0:0 and 0:1, with an ablation', { headTemperature: { heads: ['0:0', '0:1'], temperature: 2 }, ablate: ['1:0'] }],
], [
  ['τ = 0.5 on 1:3', { headTemperature: { heads: ['1:3'], temperature: 0.5 } }],
  ['τ = 3 on 0:2, 0:5', { headTemperature: { heads: ['0:2', '0:5'], temperature: 3 } }],
]);
