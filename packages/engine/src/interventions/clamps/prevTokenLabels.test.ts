/**
 * prevTokenLabels: golden (rows 1 and 3 of the head are the previous-token rows of strength s, rows 0, 2
 * and 4 and the other head equal the unclamped forward), refusal in the last layer and next to the
 * full previous-token clamp on one head, finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { prevTokenMatrix } from '../../testing/clampRig.js';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('prevTokenLabels: golden', () => {
  for (const s of [1, 0.7])
    it(`0:0 at s = ${s}: rows 1, 3 = previous-token rows; rows 0, 2, 4 and head 0:1 unchanged`, () => {
      const P = prevTokenMatrix(s);
      expectRows({ prevTokenLabels: { heads: ['0:0'], strength: s } }, 'blocks.0.attn.pattern', (_b, h, t, A0) => (h === 0 && (t === 1 || t === 3) ? P[t] : A0));
    });

  it('refused in the last layer, and with the full previous-token clamp on the same head', () => {
    const model = { nLayers: 2, nHeads: 8 };
    expect(() => parseInterventionSpec({ prevTokenLabels: { heads: ['1:3'] } }, model)).toThrow(/^interventions\.prevTokenLabels\.heads\[0\]: head "1:3" is in the last layer/);
    expect(() => parseInterventionSpec({ prevToken: { heads: ['0:2'] }, prevTokenLabels: { heads: ['0:2'] } }, model)).toThrow(/^interventions\.prevTokenLabels: contradicts prevToken/);
  });
});

clampSuites('prevTokenLabels', [
  ['0:0, s = 1', { prevTokenLabels: { heads: ['0:0'] } }],
  ['0:0 and 0:1, s = 0.6', { prevTokenLabels: { heads: ['0:0', '0:1'], strength: 0.6 } }],
], [['0:2, s = 0.8', { prevTokenLabels: { heads: ['0:2'], strength: 0.8 } }]]);
