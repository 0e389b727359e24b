/**
 * The clamp section of the backend conformance suite: any backend runs it
 * (`runClampConformance(name, make)`) and must match the float64 reference under every manipulation of
 * spec section 4 and a composition: loss, query logits, the kept attention patterns, every parameter
 * gradient, and a few Adam steps of training loss.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { createReferenceBackend } from '../backends/reference.js';
import { PAPERISH, cloneParams, makeRig, randomParams } from './clampRig.js';
import type { InterventionSpecInput } from '../interventions/spec.js';
import { Adam } from '../optim.js';
import type { ModelConfig, ParamStore } from '../params.js';
import type { TaskSelection } from '../data/tasks/schema.js';
import { paramTensors } from '../store/paramIO.js';
import { writeSafetensors } from '../store/safetensors.js';
import { relErr } from './conformance.js';

/** Every manipulation (the graft's checkpoint path is filled in by the suite). */
export const CLAMP_CASES: [string, InterventionSpecInput][] = [
  ['ablate', { ablate: ['0:3', '1:0', '1:5'] }],
  ['prevToken s=1', { prevToken: { heads: ['0:2'] } }],
  ['prevToken s=0.7, layer 1', { prevToken: { heads: ['1:4'], strength: 0.7 } }],
  ['match s=0.75', { match: { heads: ['1:3'], strength: 0.75 } }],
  ['perfect copy', { perfectCopy: { head: '1:3' } }],
  ['perfect Layer 1', { perfectLayer1: true, ablate: ['1:1'] }],
  ['perfect Layer 1 + copy', { perfectLayer1: true, perfectCopy: { head: '1:3' } }],
  ['preserve patterns + ablate', { preserve: { patterns: true }, ablate: ['0:1', '0:2'] }],
  ['preserve values + ablate', { preserve: { values: true }, ablate: ['0:1', '1:2'] }],
  ['preserve both + ablate layer 0', { preserve: { patterns: true, values: true }, ablate: ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7'] }],
  ['graft', { graft: { checkpoint: '' } }],
  ['ablate + prevToken + match', { ablate: ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'], prevToken: { heads: ['0:2'] }, match: { heads: ['1:3'], strength: 0.9 } }],
];

const NEG = -1e9;

const patternSites = (nLayers: number) => Array.from({ length: nLayers }, (_, l) => `blocks.${l}.attn.pattern`);

const rigOnBackend = (be: Backend, base: ParamStore, spec: InterventionSpecInput, allPositions = false, task?: TaskSelection) =>
  makeRig({ be, params: cloneParams(base, be), spec, allPositions, B: 8, nItems: 10, dataSeed: 9, keep: patternSites(base.config.nLayers), task });

/**
 * The grid beyond the paper (issue 23 item 3): every clamp on the other tasks, whose masks follow the task's
 * positions, and on a 3-layer model, with the previous-token clamp and the match in any two layers. A small
 * model (4 heads of the paper's head size 8, 8 labels) keeps the float64 oracle fast on 9-token sequences.
 */
export const SMALL: ModelConfig = { dModel: 32, nHeads: 4, nLayers: 2, featureDim: 16, numLabels: 8, ropeBase: 10000, lnEps: 1e-5 };

export interface TaskSetting {
  name: string;
  cfg: ModelConfig;
  task?: TaskSelection;
}

export const TASK_SETTINGS: TaskSetting[] = [
  { name: 'fewShot with 3 shots', cfg: SMALL, task: { numLabels: 8, kind: 'fewShot', shots: 3 } },
  {
    name: 'bursty (4 pairs, burstiness 2: labels repeat in a context)',
    cfg: SMALL,
    task: { numLabels: 8, kind: 'bursty', bursty: { contextPairs: 4, burstiness: 2, pBursty: 0.9, zipfExponent: 0, trainClasses: 6, commonClasses: 2, holdoutClasses: 2, exemplars: 1 } },
  },
  { name: 'repeatTokens (6 + 2)', cfg: SMALL, task: { numLabels: 8, kind: 'repeatTokens', repeat: { prefixLength: 6, repeatLength: 2 } } },
  { name: '3 layers', cfg: { ...SMALL, nLayers: 3 } },
];

/** Every clamp of the registry on a setting (graft checkpoints are filled in by the suites); heads in any layer. */
export function taskClampCases(st: TaskSetting): [string, InterventionSpecInput][] {
  const last = st.cfg.nLayers - 1;
  const p = st.cfg.nLayers > 2 ? 1 : 0; // a previous-token layer other than the first where there is one
  const exemplars = st.task?.kind !== 'repeatTokens';
  return [
    ['ablate', { ablate: ['0:1', `${last}:2`] }],
    [`prevToken in layer ${p}`, { prevToken: { heads: [`${p}:1`], strength: 0.8 } }],
    [`prevToken in layer ${p}, match in layer ${last}`, { prevToken: { heads: [`${p}:0`] }, match: { heads: [`${last}:1`], strength: 0.7 } }],
    ...(st.cfg.nLayers > 2 ? ([['prevToken in layer 0, match in the middle layer 1', { prevToken: { heads: ['0:0'] }, match: { heads: ['1:1'], strength: 0.9 } }]] as [string, InterventionSpecInput][]) : []),
    ['perfectCopy', { perfectCopy: { head: `${last}:2` } }],
    [`perfectLayer1 + perfectCopy in layer ${last}`, { perfectLayer1: true, perfectCopy: { head: `${last}:3` } }],
    ...(st.cfg.nLayers > 2
      ? ([
          ['perfectLayer1 + perfectCopy in the middle layer 1', { perfectLayer1: true, perfectCopy: { head: '1:3' } }],
          [`perfectLayer1 + ablate in layers 1 and ${last}`, { perfectLayer1: true, ablate: ['1:1', `${last}:2`] }],
        ] as [string, InterventionSpecInput][])
      : []),
    ['preserve patterns + ablate', { preserve: { patterns: true }, ablate: ['0:1', '0:2'] }],
    ['preserve values + ablate', { preserve: { values: true }, ablate: [`${last}:0`] }],
    ['preserve keys + ablate', { preserve: { keys: true }, ablate: ['0:3'] }],
    ...(exemplars ? ([['featureMatch τ = 0.3', { featureMatch: { heads: [`${last}:3`], temperature: 0.3 } }]] as [string, InterventionSpecInput][]) : []),
    ['forbidPrevToken at the label rows', { forbidPrevToken: { heads: [`${p}:2`], labelsOnly: true } }],
    ['prevTokenLabels', { prevTokenLabels: { heads: [`${p}:3`], strength: 0.9 } }],
    ['silenceNonLabel', { silenceNonLabel: { heads: [`${last}:0`] } }],
    ['headTemperature', { headTemperature: { heads: [`${last}:1`], temperature: 0.5 } }],
    ['uniformAttention', { uniformAttention: { heads: [`${p}:2`], strength: 0.6 } }],
    ['ablateEmbedding + preserve values', { ablateEmbedding: true, preserve: { values: true } }],
    ['graft', { graft: { checkpoint: '', tillLayer: 0 } }],
    ['graftOut', { graftOut: { checkpoint: '', fromLayer: last - 1 } }],
  ];
}

/** The spec with its graft checkpoint (if any) set to `donor`. */
export function withDonorFile(spec: InterventionSpecInput, donor: string): InterventionSpecInput {
  if (spec.graft) return { ...spec, graft: { ...spec.graft, checkpoint: donor } };
  if (spec.graftOut) return { ...spec, graftOut: { ...spec.graftOut, checkpoint: donor } };
  return spec;
}

/** A donor checkpoint of the setting's model (random parameters), for its graft cases. */
export function donorFor(cfg: ModelConfig, seed = 77): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-clamp-donor-')), 'donor.safetensors');
  writeSafetensors(file, paramTensors(randomParams(createReferenceBackend(), cfg, seed, 0.3)));
  return file;
}

/**
 * A backend against the float64 reference under one spec on the paper-sized model (parameters `base`,
 * on the reference): loss, query logits, both layers' patterns and every parameter gradient, query-only
 * and all positions. Entries the reference leaves at exactly −1e9 or 0 must be exactly that.
 */
export function expectBackendAgrees(make: () => Backend, spec: InterventionSpecInput, base = randomParams(createReferenceBackend(), PAPERISH, 5, 0.15), tol = { fwd: 2e-5, grad: 1e-4 }, task?: TaskSelection): void {
  const ref = base.be;
  for (const allPositions of [false, true]) {
    const [a, r] = [make(), ref].map((be) => {
      const rig = rigOnBackend(be, base, spec, allPositions, task);
      const grads = rig.grads();
      return { grads, loss: rig.forward(), logits: rig.queryLogits(), patterns: patternSites(base.config.nLayers).map((site) => rig.read(site)) };
    });
    const mode = allPositions ? 'all positions' : 'query-only';
    expect(Math.abs(a.loss - r.loss) / r.loss, mode).toBeLessThan(tol.fwd);
    const live = [...r.logits.keys()].filter((i) => r.logits[i] !== NEG);
    for (let i = 0; i < r.logits.length; i++) if (r.logits[i] === NEG) expect(a.logits[i]).toBe(NEG);
    expect(relErr(live.map((i) => a.logits[i]), live.map((i) => r.logits[i])), mode).toBeLessThan(tol.fwd);
    r.patterns.forEach((rp, l) => expect(relErr(a.patterns[l], rp), `${mode}: layer ${l} pattern`).toBeLessThan(tol.fwd));
    for (const [pname, g] of Object.entries(r.grads)) {
      if (g.every((x) => x === 0)) expect(a.grads[pname].every((x) => x === 0), `${mode}: ${pname} is exactly 0 on the reference`).toBe(true);
      else expect(relErr(a.grads[pname], g), `${mode}: ${pname}`).toBeLessThan(tol.grad);
    }
  }
}

export function runClampConformance(name: string, make: () => Backend, tol = { fwd: 2e-5, grad: 1e-4, adam: 1e-4 }): void {
  const ref = createReferenceBackend();
  describe(`clamp conformance: ${name} vs reference`, () => {
    const donor = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-clamp-conf-')), 'donor.safetensors');
    writeSafetensors(donor, paramTensors(randomParams(ref, PAPERISH, 77, 0.15)));
    const withDonor = (spec: InterventionSpecInput): InterventionSpecInput => (spec.graft ? { ...spec, graft: { ...spec.graft, checkpoint: donor } } : spec);
    const base = randomParams(ref, PAPERISH, 5, 0.15);
    const rigOn = (be: Backend, spec: InterventionSpecInput) => rigOnBackend(be, base, withDonor(spec));

    for (const [caseName, spec] of CLAMP_CASES)
      it(`${caseName}: loss, query logits, patterns and every parameter gradient (query-only and all positions)`, () => {
        expectBackendAgrees(make, withDonor(spec), base, tol);
      });

    for (const st of TASK_SETTINGS)
      describe(`beyond the paper: ${st.name}`, () => {
        const stBase = randomParams(ref, st.cfg, 5, 0.3);
        const stDonor = donorFor(st.cfg);
        for (const [caseName, spec] of taskClampCases(st))
          it(`${caseName}: loss, query logits, every layer's pattern and every parameter gradient (query-only and all positions)`, () => {
            expectBackendAgrees(make, withDonorFile(spec, stDonor), stBase, tol, st.task);
          });
      });

    for (const [caseName, spec] of CLAMP_CASES.filter(([n]) => n === 'perfect Layer 1 + copy' || n === 'ablate + prevToken + match'))
      it(`${caseName}: 10 Adam steps of training loss match`, () => {
        const [a, r] = [make(), ref].map((be) => {
          const rig = rigOn(be, spec);
          const adam = new Adam(rig.params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
          const losses: number[] = [];
          for (let s = 0; s < 10; s++) {
            rig.setBatch(rig.nextBatch());
            rig.grads();
            losses.push(rig.be.read(rig.model.loss.buf)[0]);
            adam.step();
          }
          return losses;
        });
        expect(r[9]).not.toBe(r[0]);
        for (let s = 0; s < 10; s++) expect(Math.abs(a[s] - r[s]) / r[s], `step ${s}`).toBeLessThan(tol.adam);
      });
  });
}
