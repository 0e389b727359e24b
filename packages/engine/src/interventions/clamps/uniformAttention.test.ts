/**
 * uniformAttention: golden (row t of a clamped head is s/(t+1) on keys 0..t plus (1−s) times the unclamped
 * row; other heads untouched), at s = 1 the head's W_q and W_k get exactly no gradient while its W_v and
 * the other heads' do, a contradiction with another pattern clamp, finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { at, makeRig, maxAbs, qkvIdx } from '../../testing/clampRig.js';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('uniformAttention: golden', () => {
  for (const [ref, s] of [['0:1', 1], ['1:0', 0.5], ['1:1', 0.25]] as const)
    it(`${ref}, s = ${s}: row t = s/(t+1) on keys ≤ t + (1−s)·unclamped row; other heads unchanged`, () => {
      const [layer, head] = ref.split(':').map(Number);
      expectRows({ uniformAttention: { heads: [ref], strength: s } }, `blocks.${layer}.attn.pattern`, (_b, h, t, A0) =>
        A0.map((x, j) => (h !== head ? x : j <= t ? s / (t + 1) + (1 - s) * x : 0)),
      );
    });

  it("at s = 1 the head's queries and keys get no gradient; its values, and the other heads' queries, do", () => {
    const rig = makeRig({ spec: { uniformAttention: { heads: ['1:1'] } }, allPositions: true });
    const g = rig.grads()['blocks.1.attn.qkv.weight'];
    expect(maxAbs(at(g, qkvIdx(rig.cfg, 1, 0)))).toBe(0);
    expect(maxAbs(at(g, qkvIdx(rig.cfg, 1, 1)))).toBe(0);
    expect(maxAbs(at(g, qkvIdx(rig.cfg, 1, 2)))).toBeGreaterThan(1e-8);
    expect(maxAbs(at(g, qkvIdx(rig.cfg, 0, 0)))).toBeGreaterThan(1e-8);
  });

  it('contradicts another clamp that sets the same head\'s pattern', () => {
    expect(() => parseInterventionSpec({ match: { heads: ['1:3'] }, uniformAttention: { heads: ['1:3'] } }, { nLayers: 2, nHeads: 8 })).toThrow(
      /^interventions\.uniformAttention: contradicts match: both set the attention pattern of head "1:3"/,
    );
  });
});

clampSuites('uniformAttention', [
  ['s = 1 on 1:1', { uniformAttention: { heads: ['1:1'] } }],
  ['s = 0.5 on 0:0 and 1:0, with an ablation', { uniformAttention: { heads: ['0:0', '1:0'], strength: 0.5 }, ablate: ['1:1'] }],
], [
  ['s = 1 on 1:3', { uniformAttention: { heads: ['1:3'] } }],
  ['s = 0.3 on 0:2, 0:5', { uniformAttention: { heads: ['0:2', '0:5'], strength: 0.3 } }],
]);
