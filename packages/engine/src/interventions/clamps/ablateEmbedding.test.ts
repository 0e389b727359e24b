/**
 * ablateEmbedding: golden (the forward equals an unclamped model whose embedding parameters are zero:
 * loss, logits and every non-embedding gradient; the embedding parameters get exactly zero gradient),
 * refusals, finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { cloneParams, makeRig } from '../../testing/clampRig.js';
import { clampSuites } from '../../testing/clampSuites.js';

const EMBED = ['embed.exemplar.weight', 'embed.exemplar.bias', 'embed.label.weight'];

describe('ablateEmbedding: golden', () => {
  for (const allPositions of [false, true])
    it(`equals the model with zeroed embedding parameters (${allPositions ? 'all positions' : 'query-only'}); the embedding gets no gradient`, () => {
      const rig = makeRig({ spec: { ablateEmbedding: true }, allPositions, keep: ['embed'] });
      const zeroed = cloneParams(rig.params, rig.be);
      for (const name of EMBED) rig.be.write(zeroed.get(name).value, new Float64Array(zeroed.get(name).size));
      const ref = makeRig({ params: zeroed, allPositions, B: rig.batch.size, nItems: rig.model.nItems, features: rig.features });
      ref.setBatch(rig.batch);
      const g = rig.grads();
      const g0 = ref.grads();
      expect(rig.read('embed').every((x) => x === 0)).toBe(true);
      expect(rig.forward()).toBeCloseTo(ref.forward(), 12);
      const [a, b] = [rig.queryLogits(), ref.queryLogits()];
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
      for (const name of Object.keys(g)) {
        if (EMBED.includes(name)) expect(g[name].every((x) => x === 0), name).toBe(true);
        else for (let i = 0; i < g[name].length; i++) expect(g[name][i], `${name}[${i}]`).toBeCloseTo(g0[name][i], 10);
      }
    });

  it('refused with perfectLayer1 (both set the embedding) and with a graft (no effect)', () => {
    const model = { nLayers: 2, nHeads: 8 };
    expect(() => parseInterventionSpec({ ablateEmbedding: true, perfectLayer1: true }, model)).toThrow(/^interventions\.ablateEmbedding: contradicts perfectLayer1/);
    expect(() => parseInterventionSpec({ ablateEmbedding: true, graft: { checkpoint: 'x' } }, model)).toThrow(/^interventions\.ablateEmbedding: has no effect with graft/);
  });
});

clampSuites('ablateEmbedding', [
  ['alone', { ablateEmbedding: true }],
  ['with preserved patterns', { ablateEmbedding: true, preserve: { patterns: true } }],
  ['with preserved values and a head ablated', { ablateEmbedding: true, preserve: { values: true }, ablate: ['1:0'] }],
], [
  ['alone', { ablateEmbedding: true }],
  ['with preserved patterns and values', { ablateEmbedding: true, preserve: { patterns: true, values: true } }],
]);
