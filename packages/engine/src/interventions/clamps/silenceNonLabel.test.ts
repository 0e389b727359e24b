/**
 * silenceNonLabel: golden (the query row becomes the unclamped pattern renormalised over the label tokens
 * 1 and 3; every other row and head is untouched), a refused non-final head, finite differences and
 * wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { makeRig, twin } from '../testing/rig.js';
import { clampSuites } from '../testing/clampSuites.js';

describe('silenceNonLabel: golden', () => {
  it('query row of 1:1 = [0, A1, 0, A3, 0]/(A1 + A3) of the unclamped pattern; other rows and heads unchanged', () => {
    const keep = ['blocks.1.attn.pattern'];
    const rig = makeRig({ spec: { silenceNonLabel: { heads: ['1:1'] } }, allPositions: true, keep, training: false });
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
          const z = A0[o + 1] + A0[o + 3];
          const want = h === 1 && t === 4 ? [0, A0[o + 1] / z, 0, A0[o + 3] / z, 0] : Array.from(A0.subarray(o, o + T));
          for (let j = 0; j < T; j++) expect(A[o + j], `b${b} h${h} t${t} j${j}`).toBeCloseTo(want[j], 12);
        }
  });

  it('a head outside the last layer is refused with the entry named', () => {
    expect(() => parseInterventionSpec({ silenceNonLabel: { heads: ['1:3', '0:2'] } }, { nLayers: 2, nHeads: 8 })).toThrow(/^interventions\.silenceNonLabel\.heads\[1\]: head "0:2" is not in the last layer/);
  });
});

clampSuites('silenceNonLabel', [
  ['head 1:0', { silenceNonLabel: { heads: ['1:0'] } }],
  ['both heads, with an ablation in layer 0', { silenceNonLabel: { heads: ['1:0', '1:1'] }, ablate: ['0:1'] }],
], [['heads 1:3, 1:5', { silenceNonLabel: { heads: ['1:3', '1:5'] } }]]);
