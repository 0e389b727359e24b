/**
 * graftOut: golden (the logits equal the donor's forward with its residual after layer 0 set to the
 * model's own; the model's layer-1 parameters and readout get no gradient, layer 0 and the embeddings
 * learn), refusals, finite differences and wasm = reference.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference.js';
import { paramTensors } from '../../store/paramIO.js';
import { writeSafetensors } from '../../store/safetensors.js';
import { parseInterventionSpec } from '../spec.js';
import { PAPERISH, TINY, makeRig, maxAbs, randomParams, twin } from '../../testing/clampRig.js';
import { clampSuites } from '../../testing/clampSuites.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-graft-out-'));
const donorTiny = path.join(dir, 'tiny.safetensors');
const donorPaper = path.join(dir, 'paper.safetensors');
const donorTinyParams = randomParams(createReferenceBackend(), TINY, 42);
writeSafetensors(donorTiny, paramTensors(donorTinyParams));
writeSafetensors(donorPaper, paramTensors(randomParams(createReferenceBackend(), PAPERISH, 78, 0.15)));

describe('graftOut: golden', () => {
  for (const allPositions of [false, true])
    it(`logits = the donor's layer 1 and readout on the model's own layer-0 stream (${allPositions ? 'all positions' : 'query-only'}); only layer 0 and the embeddings learn`, () => {
      const rig = makeRig({ spec: { graftOut: { checkpoint: donorTiny } }, allPositions });
      const own = twin(rig, { allPositions: true, keep: ['blocks.0.resid_post'], training: false });
      own.forward();
      const donor = makeRig({ params: donorTinyParams, allPositions, constants: ['blocks.0.resid_post'], B: rig.batch.size, nItems: rig.model.nItems, features: rig.features, training: false });
      donor.setBatch(rig.batch);
      donor.setConstant('blocks.0.resid_post', own.read('blocks.0.resid_post'));
      donor.forward();
      const g = rig.grads();
      const [a, b] = [rig.queryLogits(), donor.queryLogits()];
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
      for (const [name, grad] of Object.entries(g)) {
        const learns = name.startsWith('embed.') || name.startsWith('blocks.0.');
        expect(maxAbs(grad) > 0, name).toBe(learns);
      }
    });

  it('refused without a later layer to graft, and with preserve or perfectLayer1', () => {
    const model = { nLayers: 2, nHeads: 8 };
    expect(() => parseInterventionSpec({ graftOut: { checkpoint: 'x', fromLayer: 1 } }, model)).toThrow(/^interventions\.graftOut\.fromLayer: 1 leaves no layer/);
    expect(() => parseInterventionSpec({ graftOut: { checkpoint: 'x' }, preserve: { values: true } }, model)).toThrow(/^interventions\.graftOut: contradicts preserve/);
    expect(() => parseInterventionSpec({ graftOut: { checkpoint: 'x' }, perfectLayer1: true }, model)).toThrow(/^interventions\.graftOut: contradicts perfectLayer1/);
  });
});

clampSuites('graftOut', [
  ['from layer 0', { graftOut: { checkpoint: donorTiny } }],
  ['from layer 0, with a layer-0 ablation and a match clamp on the donor layer', { graftOut: { checkpoint: donorTiny }, ablate: ['0:1'], match: { heads: ['1:0'], strength: 0.8 } }],
], [
  ['from layer 0', { graftOut: { checkpoint: donorPaper } }],
  ['from layer 0, with a previous-token clamp', { graftOut: { checkpoint: donorPaper }, prevToken: { heads: ['0:2'] } }],
]);
