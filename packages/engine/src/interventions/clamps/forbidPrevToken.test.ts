/**
 * forbidPrevToken: golden (row t of the head becomes the unclamped row without key t−1, renormalised:
 * A[t, j]/(1 − A[t, t−1]); rows 0 and, with labelsOnly, 2 and 4 are untouched), a contradiction with the
 * previous-token clamp on one head, finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { makeRig, twin } from '../testing/rig.js';
import { clampSuites } from '../testing/clampSuites.js';

describe('forbidPrevToken: golden', () => {
  for (const labelsOnly of [false, true])
    it(`0:1${labelsOnly ? ', labels only' : ''}: row t = unclamped row without key t−1, renormalised; other heads unchanged`, () => {
      const keep = ['blocks.0.attn.pattern'];
      const rig = makeRig({ spec: { forbidPrevToken: { heads: ['0:1'], labelsOnly } }, allPositions: true, keep, training: false });
      rig.forward();
      const clean = twin(rig, { allPositions: true, keep, training: false });
      clean.forward();
      const A0 = clean.read(keep[0]);
      const A = rig.read(keep[0]);
      const [B, H, T] = [rig.batch.size, rig.cfg.nHeads, 5];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++) {
            const o = ((b * H + h) * T + t) * T;
            const hit = h === 1 && t >= 1 && (!labelsOnly || t % 2 === 1);
            const want = Array.from(A0.subarray(o, o + T), (x, j) => (!hit ? x : j === t - 1 ? 0 : x / (1 - A0[o + t - 1])));
            for (let j = 0; j < T; j++) expect(A[o + j], `b${b} h${h} t${t} j${j}`).toBeCloseTo(want[j], 12);
          }
    });

  it('contradicts a previous-token clamp on the same head (its pattern is set, the mask would do nothing)', () => {
    expect(() => parseInterventionSpec({ prevToken: { heads: ['0:2'] }, forbidPrevToken: { heads: ['0:2'] } }, { nLayers: 2, nHeads: 8 })).toThrow(
      /^interventions\.forbidPrevToken: has no effect on head "0:2": prevToken sets its attention pattern/,
    );
  });
});

clampSuites('forbidPrevToken', [
  ['0:0, every row', { forbidPrevToken: { heads: ['0:0'] } }],
  ['0:1 and 1:0, label rows only', { forbidPrevToken: { heads: ['0:1', '1:0'], labelsOnly: true } }],
], [
  ['0:2, 0:5, every row', { forbidPrevToken: { heads: ['0:2', '0:5'] } }],
  ['1:3, label rows only', { forbidPrevToken: { heads: ['1:3'], labelsOnly: true } }],
]);
