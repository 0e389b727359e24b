/**
 * featureMatch: golden (the query row of the head is [0, w1, 0, w2, 0] with w = softmax(cos/τ) of the
 * batch's exemplar features, computed here from the features directly; τ = 0 a hard max; other rows and
 * heads untouched), finite differences and wasm = reference.
 */
import { describe, expect, it } from 'vitest';
import { makeRig, twin } from '../testing/rig.js';
import { clampSuites } from '../testing/clampSuites.js';

describe('featureMatch: golden', () => {
  for (const tau of [0, 0.25, 2])
    it(`τ = ${tau}: the query row of 1:1 follows the cosine similarity of the context exemplars to the query`, () => {
      const keep = ['blocks.1.attn.pattern'];
      const rig = makeRig({ spec: { featureMatch: { heads: ['1:1'], temperature: tau } }, allPositions: true, keep, training: false, nItems: 6 });
      rig.forward();
      const clean = twin(rig, { allPositions: true, keep, training: false });
      clean.forward();
      const A0 = clean.read(keep[0]);
      const A = rig.read(keep[0]);
      const F = rig.cfg.featureDim;
      const x = (item: number) => Array.from(rig.features.subarray(item * F, (item + 1) * F));
      const cos = (u: number[], w: number[]) => u.reduce((s, ui, i) => s + ui * w[i], 0) / Math.hypot(...u) / Math.hypot(...w);
      const [B, H, T] = [rig.batch.size, rig.cfg.nHeads, 5];
      for (let b = 0; b < B; b++) {
        const [i1, i2, iq] = [0, 1, 2].map((k) => rig.batch.item[3 * b + k]);
        const [c1, c2] = [cos(x(i1), x(iq)), cos(x(i2), x(iq))];
        const [w1, w2] = tau === 0 ? (c1 === c2 ? [0.5, 0.5] : c1 > c2 ? [1, 0] : [0, 1]) : [1 / (1 + Math.exp((c2 - c1) / tau)), 1 / (1 + Math.exp((c1 - c2) / tau))];
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++) {
            const o = ((b * H + h) * T + t) * T;
            const want = h === 1 && t === 4 ? [0, w1, 0, w2, 0] : Array.from(A0.subarray(o, o + T));
            for (let j = 0; j < T; j++) expect(A[o + j], `b${b} h${h} t${t} j${j}`).toBeCloseTo(want[j], 12);
          }
      }
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
