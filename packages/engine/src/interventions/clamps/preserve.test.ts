/**
 * preserve.queries / preserve.keys: golden (with every layer-0 head ablated, layer 1's queries, or keys,
 * are the clean pass's and the other side is the ablated model's; its scores are q_rot·k_rot/√D of
 * those, written out here), refusals, finite differences and wasm = reference. Patterns and values
 * have their golden, FD and conformance tests in golden.test.ts, gradients.test.ts and clampConformance.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseInterventionSpec } from '../spec.js';
import { makeRig, twin } from '../../testing/clampRig.js';
import { clampSuites } from '../../testing/clampSuites.js';

const LAYER0 = ['0:0', '0:1'];
const SITES = ['q', 'k', 'q_rot', 'k_rot', 'scores'].map((s) => `blocks.1.attn.${s}`);

describe('preserve queries / keys: golden', () => {
  for (const side of ['queries', 'keys'] as const)
    it(`${side}: layer-1 ${side} from the clean pass, the other side from the ablated model; scores = q_rot·k_rot/√D`, () => {
      const o = { allPositions: true, keep: SITES, training: false };
      const rig = makeRig({ ...o, spec: { preserve: { [side]: true }, ablate: LAYER0 } });
      rig.forward();
      const clean = twin(rig, o);
      const ablated = twin(rig, { ...o, spec: { ablate: LAYER0 } });
      clean.forward();
      ablated.forward();
      const [fromClean, fromAblated] = side === 'queries' ? ['blocks.1.attn.q', 'blocks.1.attn.k'] : ['blocks.1.attn.k', 'blocks.1.attn.q'];
      expect(rig.read(fromClean)).toEqual(clean.read(fromClean));
      expect(rig.read(fromAblated)).toEqual(ablated.read(fromAblated));
      expect(rig.read(fromAblated)).not.toEqual(clean.read(fromAblated)); // the ablation did reach layer 1
      const [q, k, S] = [rig.read(SITES[2]), rig.read(SITES[3]), rig.read(SITES[4])];
      const { dModel: d, nHeads: H } = rig.cfg;
      const D = d / H;
      const [B, T] = [rig.batch.size, 5];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < T; i++)
            for (let j = 0; j <= i; j++) {
              let s = 0;
              for (let e = 0; e < D; e++) s += q[(b * T + i) * d + h * D + e] * k[(b * T + j) * d + h * D + e];
              expect(S[((b * H + h) * T + i) * T + j]).toBeCloseTo(s / Math.sqrt(D), 12);
            }
    });

  it('refused where it cannot act: with preserve.patterns, perfectLayer1 or a graft', () => {
    const model = { nLayers: 2, nHeads: 8 };
    expect(() => parseInterventionSpec({ preserve: { patterns: true, queries: true } }, model)).toThrow(/^interventions\.preserve\.queries: has no effect with preserve\.patterns/);
    expect(() => parseInterventionSpec({ preserve: { keys: true }, perfectLayer1: true }, model)).toThrow(/^interventions\.preserve\.keys: contradicts perfectLayer1/);
    expect(() => parseInterventionSpec({ preserve: { keys: true }, graft: { checkpoint: 'x' } }, model)).toThrow(/^interventions\.(preserve|graft)\b/);
  });
});

clampSuites('preserve', [
  ['queries + ablate layer 0', { preserve: { queries: true }, ablate: ['0:0', '0:1'] }],
  ['keys + ablate 0:1', { preserve: { keys: true }, ablate: ['0:1'] }],
  ['queries, keys and values + ablate 0:0', { preserve: { queries: true, keys: true, values: true }, ablate: ['0:0'] }],
], [
  ['queries + ablate layer 0', { preserve: { queries: true }, ablate: ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7'] }],
  ['keys + ablate 0:2', { preserve: { keys: true }, ablate: ['0:2'] }],
]);
