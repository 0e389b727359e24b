/**
 * forbidPrevToken: golden (row t of the head becomes the unclamped row without key t−1, renormalised:
 * A[t, j]/(1 − A[t, t−1]); rows 0 and, with labelsOnly, 2 and 4 are untouched), a contradiction with the
 * previous-token clamp on one head, finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('forbidPrevToken: golden', () => {
  for (const labelsOnly of [false, true])
    it(`0:1${labelsOnly ? ', labels only' : ''}: row t = unclamped row without key t−1, renormalised; other heads unchanged`, () => {
      expectRows({ forbidPrevToken: { heads: ['0:1'], labelsOnly } }, 'blocks.0.attn.pattern', (_b, h, t, A0) => {
        const hit = h === 1 && t >= 1 && (!labelsOnly || t % 2 === 1);
        return A0.map((x, j) => (!hit ? x : j === t - 1 ? 0 : x / (1 - A0[t - 1])));
      });
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
