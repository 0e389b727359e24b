/**
 * silenceNonLabel: golden (the query row becomes the unclamped pattern renormalised over the label tokens
 * 1 and 3; every other row and head is untouched), a refused non-final head, finite differences and
 * wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('silenceNonLabel: golden', () => {
  it('query row of 1:1 = [0, A1, 0, A3, 0]/(A1 + A3) of the unclamped pattern; other rows and heads unchanged', () => {
    expectRows({ silenceNonLabel: { heads: ['1:1'] } }, 'blocks.1.attn.pattern', (_b, h, t, A0) =>
      h === 1 && t === 4 ? [0, A0[1] / (A0[1] + A0[3]), 0, A0[3] / (A0[1] + A0[3]), 0] : A0,
    );
  });

  it('a head outside the last layer is refused with the entry named', () => {
    expect(() => parseInterventionSpec({ silenceNonLabel: { heads: ['1:3', '0:2'] } }, { nLayers: 2, nHeads: 8 })).toThrow(/^interventions\.silenceNonLabel\.heads\[1\]: head "0:2" is not in the last layer/);
  });
});

clampSuites('silenceNonLabel', [
  ['head 1:0', { silenceNonLabel: { heads: ['1:0'] } }],
  ['both heads, with an ablation in layer 0', { silenceNonLabel: { heads: ['1:0', '1:1'] }, ablate: ['0:1'] }],
], [['heads 1:3, 1:5', { silenceNonLabel: { heads: ['1:3', '1:5'] } }]]);
