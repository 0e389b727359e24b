/**
 * featureMatch: golden (the query row of the head is [0, w1, 0, w2, 0] with w = softmax(cos/τ) of the
 * batch's exemplar features, computed here from the features directly; τ = 0 a hard max; other rows and
 * heads untouched), finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { makeRig } from '../../testing/clampRig.js';
import { clampSuites, expectRows } from '../../testing/clampSuites.js';

describe('featureMatch: golden', () => {
  for (const tau of [0, 0.25, 2])
    it(`τ = ${tau}: the query row of 1:1 follows the cosine similarity of the context exemplars to the query`, () => {
      const cos = (u: number[], w: number[]) => u.reduce((s, ui, i) => s + ui * w[i], 0) / Math.hypot(...u) / Math.hypot(...w);
      expectRows({ featureMatch: { heads: ['1:1'], temperature: tau } }, 'blocks.1.attn.pattern', (b, h, t, A0, rig) => {
        if (h !== 1 || t !== 4) return A0;
        const F = rig.cfg.featureDim;
        const [x1, x2, xq] = [0, 1, 2].map((k) => Array.from(rig.features.subarray(rig.batch.item[3 * b + k] * F, (rig.batch.item[3 * b + k] + 1) * F)));
        const [c1, c2] = [cos(x1, xq), cos(x2, xq)];
        const [w1, w2] = tau === 0 ? (c1 === c2 ? [0.5, 0.5] : c1 > c2 ? [1, 0] : [0, 1]) : [1 / (1 + Math.exp((c2 - c1) / tau)), 1 / (1 + Math.exp((c1 - c2) / tau))];
        return [0, w1, 0, w2, 0];
      }, { nItems: 6 });
    });

  it('the weights follow each new batch', () => {
    const rig = makeRig({ spec: { featureMatch: { heads: ['1:0'], temperature: 0.5 } }, allPositions: true, keep: ['blocks.1.attn.pattern'], training: false, nItems: 6, B: 8 });
    rig.forward();
    const first = rig.read('blocks.1.attn.pattern');
    rig.setBatch(rig.nextBatch());
    rig.forward();
    expect(rig.read('blocks.1.attn.pattern')).not.toEqual(first);
  });
});

clampSuites('featureMatch', [
  ['τ = 0 on 1:0', { featureMatch: { heads: ['1:0'] } }],
  ['τ = 0.3 on 1:1, with an ablation', { featureMatch: { heads: ['1:1'], temperature: 0.3 }, ablate: ['1:0'] }],
], [
  ['τ = 0 on 1:3', { featureMatch: { heads: ['1:3'] } }],
  ['τ = 0.2 on 1:2, 1:5', { featureMatch: { heads: ['1:2', '1:5'], temperature: 0.2 } }],
]);
