/**
 * silenceNonLabel: golden (the query row becomes the unclamped pattern renormalised over the label tokens
 * 1 and 3; every other row and head is untouched), in the last layer and in an earlier one, finite
 * differences and wasm = reference.
 */
import { describe, it } from 'vitest';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('silenceNonLabel: golden', () => {
  it('query row of 1:1 = [0, A1, 0, A3, 0]/(A1 + A3) of the unclamped pattern; other rows and heads unchanged', () => {
    expectRows({ silenceNonLabel: { heads: ['1:1'] } }, 'blocks.1.attn.pattern', (_b, h, t, A0) =>
      h === 1 && t === 4 ? [0, A0[1] / (A0[1] + A0[3]), 0, A0[3] / (A0[1] + A0[3]), 0] : A0,
    );
  });

  it('in layer 0 (any layer): the query row of 0:0 is renormalised over the label tokens; other rows and heads unchanged', () => {
    expectRows({ silenceNonLabel: { heads: ['0:0'] } }, 'blocks.0.attn.pattern', (_b, h, t, A0) =>
      h === 0 && t === 4 ? [0, A0[1] / (A0[1] + A0[3]), 0, A0[3] / (A0[1] + A0[3]), 0] : A0,
    );
  });
});

clampSuites('silenceNonLabel', [
  ['head 1:0', { silenceNonLabel: { heads: ['1:0'] } }],
  ['both heads, with an ablation in layer 0', { silenceNonLabel: { heads: ['1:0', '1:1'] }, ablate: ['0:1'] }],
], [['heads 1:3, 1:5', { silenceNonLabel: { heads: ['1:3', '1:5'] } }]]);
