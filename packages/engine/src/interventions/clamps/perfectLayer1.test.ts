/**
 * perfect Layer 1 on models deeper than the paper's (issue 23): every later layer's pattern is the one the
 * model computes when layer 0 is a perfect previous-token layer. Checked against that world built by hand
 * on the float64 reference: the same parameters with layer 0 writing nothing, run unclamped on the shifted
 * tokens (each position t ≥ 1 but the query holding token t − 1). Values and gradients are covered by the
 * clamp conformance suite and the finite differences (testing/clampConformance.ts, gradients.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { allocLayoutBatch } from '../../data/types.js';
import { SMALL } from '../../testing/clampConformance.js';
import { makeRig } from '../../testing/clampRig.js';
import { parseInterventionSpec } from '../spec.js';

const K3 = { numLabels: 8, kind: 'fewShot' as const, shots: 3 };
const REPEAT = { numLabels: 8, kind: 'repeatTokens' as const, repeat: { prefixLength: 6, repeatLength: 2 } };

describe('perfect Layer 1 in a 3- and a 4-layer model', () => {
  for (const [name, task, nLayers] of [
    ['3 shots, 3 layers', K3, 3],
    ['repeated tokens, 4 layers', REPEAT, 4],
  ] as const)
    it(`${name}: the patterns of layers 1..${nLayers - 1} are those of the hand-built shifted world`, () => {
      const cfg = { ...SMALL, nLayers };
      const sites = Array.from({ length: nLayers - 1 }, (_, l) => `blocks.${l + 1}.attn.pattern`);
      const rig = makeRig({ cfg, task, spec: { perfectLayer1: true }, allPositions: true, B: 5, paramSeed: 3, keep: sites });
      rig.forward();
      const clamped = sites.map((s) => rig.read(s));

      // The same parameters with layer 0's output projection zeroed: layer 0 adds nothing to the embedding.
      const host = Float64Array.from(rig.params.readBlock('values'));
      const out = rig.params.get('blocks.0.attn.out.weight');
      host.fill(0, out.offset, out.offset + out.size);
      const plain = makeRig({ cfg, task, allPositions: true, B: 5, paramSeed: 3, keep: sites });
      plain.params.writeBlock('values', host);
      const T = rig.batch.layout!.seqLen;
      const shifted = allocLayoutBatch(5, T);
      for (let b = 0; b < 5; b++) {
        shifted.target[b] = rig.batch.target[b];
        for (let t = 0; t < T; t++) shifted.layout.tokens[b * T + t] = rig.batch.layout!.tokens[b * T + (t >= 1 && t < T - 1 ? t - 1 : t)];
      }
      plain.setBatch(shifted);
      plain.forward();
      sites.forEach((s, i) => {
        const want = plain.read(s);
        let worst = 0;
        for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(want[k] - clamped[i][k]));
        expect(worst, s).toBeLessThan(1e-12);
      });
      // And the clamp changes them: the unshifted model's layer-1 patterns differ.
      const unclamped = makeRig({ cfg, task, allPositions: true, B: 5, paramSeed: 3, keep: sites });
      unclamped.forward();
      expect(Math.max(...unclamped.read(sites[0]).map((x, k) => Math.abs(x - clamped[0][k])))).toBeGreaterThan(1e-3);
    });

  it('validation: any depth from 2 layers; one line for 1 layer and for clamps it makes moot or contradicts', () => {
    const err = (spec: unknown, nLayers: number) => {
      try {
        parseInterventionSpec(spec, { nLayers, nHeads: 4 });
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    };
    expect(err({ perfectLayer1: true, perfectCopy: { head: '1:3' } }, 3)).toBeNull();
    expect(err({ perfectLayer1: true, perfectCopy: { head: '3:0' }, ablate: ['2:1'] }, 4)).toBeNull();
    expect(err({ perfectLayer1: true }, 1)).toBe('interventions.perfectLayer1: needs a later layer for the perfect layer 0 to feed; this model has 1 layer');
    expect(err({ perfectLayer1: true, match: { heads: ['2:1'] } }, 3)).toMatch(/^interventions\.match: contradicts perfectLayer1/);
    expect(err({ perfectLayer1: true, prevToken: { heads: ['0:1'] } }, 3)).toMatch(/^interventions\.prevToken: head "0:1" is in layer 0, whose output perfectLayer1 replaces/);
  });
});
