/**
 * Finite-difference checks of the loss gradient (float64 reference backend) with respect to sampled
 * coordinates of every parameter tensor, through every manipulation: the multi-pass ones (perfect copy,
 * perfect Layer 1, Layer 1 + copy, preserved patterns/values, graft), whose clamp values are functions of
 * the parameters and must carry gradient back through their reference pass (spec 2.6, 4.1: no
 * stop-gradient), and the single-pass ones.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { paramTensors } from '../store/paramIO.js';
import { writeSafetensors } from '../store/safetensors.js';
import type { InterventionSpecInput } from './spec.js';
import { TINY, fdCheck, makeRig, randomParams } from '../testing/clampRig.js';
import { TASK_SETTINGS, donorFor, taskClampCases, withDonorFile } from '../testing/clampConformance.js';

const donorFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-fd-')), 'donor.safetensors');
writeSafetensors(donorFile, paramTensors(randomParams(createReferenceBackend(), TINY, 42)));

const CASES: [string, InterventionSpecInput][] = [
  ['none (control)', {}],
  ['ablate', { ablate: ['0:1', '1:0'] }],
  ['prevToken s=0.7', { prevToken: { heads: ['0:0'], strength: 0.7 } }],
  ['match s=0.8', { match: { heads: ['1:1'], strength: 0.8 } }],
  ['perfect copy', { perfectCopy: { head: '1:1' } }],
  ['perfect Layer 1', { perfectLayer1: true }],
  ['perfect Layer 1 + ablate', { perfectLayer1: true, ablate: ['1:1'] }],
  ['Layer 1 + copy', { perfectLayer1: true, perfectCopy: { head: '1:0' } }],
  ['preserve patterns + ablate', { preserve: { patterns: true }, ablate: ['0:0'] }],
  ['preserve values + ablate', { preserve: { values: true }, ablate: ['0:1', '1:0'] }],
  ['preserve both', { preserve: { patterns: true, values: true } }],
  ['graft', { graft: { checkpoint: donorFile } }],
  ['graft till layer 1', { graft: { checkpoint: donorFile, tillLayer: 1 } }],
  ['graft + perfect copy', { graft: { checkpoint: donorFile }, perfectCopy: { head: '1:0' } }],
  ['ablate + prevToken + match', { ablate: ['1:0'], prevToken: { heads: ['0:1'], strength: 0.9 }, match: { heads: ['1:1'], strength: 0.6 } }],
];

describe('finite differences through every manipulation (reference backend, float64)', () => {
  for (const [name, spec] of CASES)
    it(`${name}: loss gradient of every parameter tensor`, () => {
      for (const allPositions of [false, true]) {
        const rig = makeRig({ spec, allPositions, paramSeed: 11, dataSeed: 12, B: 3 });
        const rep = fdCheck(rig, 8);
        expect(rep.worst, `${allPositions ? 'all positions' : 'query only'}: ${rep.where}`).toBeLessThan(1e-4);
        expect(rep.nonzero).toBeGreaterThanOrEqual(8); // not vacuous
      }
    });
});

// Issue 23: every clamp on the other tasks (masks from the task's positions) and on a 3-layer model, clamps in any layer.
for (const st of TASK_SETTINGS)
  describe(`finite differences beyond the paper: ${st.name}`, () => {
    const donor = donorFor(st.cfg);
    for (const [name, spec] of taskClampCases(st))
      it(`${name}: loss gradient of every parameter tensor`, () => {
        for (const allPositions of [false, true]) {
          const rig = makeRig({ cfg: st.cfg, task: st.task, spec: withDonorFile(spec, donor), allPositions, paramSeed: 11, dataSeed: 12, B: 3 });
          const rep = fdCheck(rig, 6);
          expect(rep.worst, `${allPositions ? 'all positions' : 'query only'}: ${rep.where}`).toBeLessThan(1e-4);
          expect(rep.nonzero).toBeGreaterThanOrEqual(6); // not vacuous
        }
      });
  });
