/**
 * The wiring matrix of a clamped run (interventions/onBase.ts): every entry is of the model the run trained.
 * Checked against computations that do not go through the merge code: the run's ablation ∪ the analysis
 * ablation written by hand as one ordinary spec, and preservation done in two steps (record the clamped
 * model's values/patterns with its ordinary compiled passes, then run a final pass that substitutes them as
 * fixed constants), on the float64 reference backend.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { compileInterventions } from '../compileInterventions.js';
import { constant } from '../interventions/clamps/clamp.js';
import { ablateAllBut, parseInterventionSpec, type InterventionSpecInput } from '../interventions/spec.js';
import { buildModel, type PassPlan } from '../model.js';
import { ParamStore } from '../params.js';
import { DenseEvaluator, denseSet } from './denseSet.js';
import { CFG, features, randomParams, task } from './testing/fixture.js';
import { groupAblations, wiringMatrices } from './wiring.js';

const H = CFG.nHeads;
const N = 240;
const A = 3; // the run ablates first-layer head 3
const BASE: InterventionSpecInput = { ablate: [`0:${A}`], prevToken: { heads: ['0:5'] }, match: { heads: ['1:2'] } };

function model(): ParamStore {
  const p = new ParamStore(createReferenceBackend(), CFG);
  p.writeBlock('values', randomParams(7, 0.8).readBlock('values'));
  return p;
}

const p = model();
const set = denseSet(task, features, { size: N, seed: 0 });
const ev = new DenseEvaluator(p, set, { chunk: N });
const parse = (s: InterventionSpecInput) => parseInterventionSpec(s, CFG);

/** Loss and accuracy of one forward over the whole set with hand-given passes (argmax ties to the lower label, as the evaluator). */
function direct(passes: PassPlan[], keep: string[] = []) {
  const m = buildModel(p, { batch: N, nItems: set.distribution.items.length, training: false, passes, keep });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  const L = CFG.numLabels;
  const probs = new Float64Array(N * L);
  const rowLoss = new Float64Array(N);
  p.be.read(m.probs, probs);
  p.be.read(m.rowLoss, rowLoss);
  let acc = 0;
  for (let i = 0; i < N; i++) {
    let arg = 0;
    for (let l = 1; l < L; l++) if (probs[i * L + l] > probs[i * L + arg]) arg = l;
    if (arg === set.batch.target[i]) acc++;
  }
  const sites = new Map(keep.map((s) => [s, Float64Array.from(m.program.read(s))]));
  return { acc: acc / N, loss: rowLoss.reduce((a, b) => a + b, 0) / N, sites };
}

/** Step 1: the clamped model's `rest` sites (attn.v or attn.pattern) of every layer, via its ordinary passes. */
function recordBase(rest: string) {
  const keep = Array.from({ length: CFG.nLayers }, (_, l) => `blocks.${l}.${rest}`);
  return direct(compileInterventions(parse(BASE), p), keep).sites;
}

/** Step 2: a final pass that substitutes the recorded sites as constants, then applies `spec`'s clamps (ordinary compile). */
function withFixed(recorded: Map<string, Float64Array>, spec: InterventionSpecInput): PassPlan[] {
  const plans = compileInterventions(parse(spec), p);
  expect(plans).toHaveLength(1); // a one-pass spec: nothing of the merge code's clean pass
  const clamps = plans[0].hook;
  return [
    {
      name: '',
      hook: (site, v, ctx) => {
        const fixed = recorded.get(site);
        let out = v;
        if (fixed) {
          expect(fixed.length).toBe(v.size);
          const c = constant(ctx, v.shape);
          ctx.g.be.write(c.buf, fixed);
          out = c.value;
        }
        return clamps ? clamps(site, out, ctx) : out;
      },
    },
  ];
}

describe('wiring matrix on the run\'s clamp spec (ablate 0:3, prevToken 0:5, match 1:2)', () => {
  const plain = wiringMatrices(ev);
  const w = wiringMatrices(ev, { base: BASE });
  const values = recordBase('attn.v');
  const patterns = recordBase('attn.pattern');
  const others = (i: number) => ablateAllBut(1, H, [i]);
  const union = (...xs: string[][]) => [...new Set(xs.flat())];

  it('base {} gives exactly the unclamped matrices', () => {
    expect(wiringMatrices(ev, { base: {} })).toEqual(plain);
  });

  it('baseline[i] equals the hand-merged ordinary spec (run ablation ∪ analysis ablation, run clamps)', () => {
    for (let i = 0; i < H; i++) {
      const hand = ev.evaluate({ ablate: union([`0:${A}`], others(i)), prevToken: BASE.prevToken, match: BASE.match });
      expect(w.baseline[i]).toBe(hand.acc);
      expect(ev.evaluate({ ablate: others(i) }, { base: BASE }).loss).toBeCloseTo(hand.loss, 12);
    }
  });

  it('value-preserving entries equal two steps: the clamped model\'s recorded values fed as constants', () => {
    for (const i of [0, 2, 6])
      for (const j of [1, A, 5]) {
        const ablateJ = union([`0:${A}`, `0:${j}`], others(i));
        const hand = direct(withFixed(values, { ablate: ablateJ, prevToken: BASE.prevToken, match: BASE.match }));
        expect(w.Mpv[i][j]).toBeCloseTo(hand.acc - w.baseline[i], 12);
        const engine = ev.evaluate({ ablate: [`0:${j}`, ...others(i)], preserve: { patterns: false, values: true } }, { base: BASE });
        expect(engine.loss).toBeCloseTo(hand.loss, 12);
        const onlyJ = direct(withFixed(values, { ablate: union([`0:${A}`], ablateAllBut(0, H, [j]), others(i)), prevToken: BASE.prevToken, match: BASE.match }));
        expect(w.Npv[i][j]).toBe(onlyJ.acc);
      }
  });

  it('pattern-preserving entries equal two steps: the clamped patterns (prevToken, match carried) fed as constants', () => {
    for (const i of [0, 2, 6])
      for (const j of [1, A, 5]) {
        // Only the ablations remain in the final pass: the fixed patterns already carry the run's pattern clamps.
        const hand = direct(withFixed(patterns, { ablate: union([`0:${A}`, `0:${j}`], others(i)) }));
        expect(w.Mpp[i][j]).toBeCloseTo(hand.acc - w.baseline[i], 12);
        const engine = ev.evaluate({ ablate: [`0:${j}`, ...others(i)], preserve: { patterns: true, values: false } }, { base: BASE });
        expect(engine.loss).toBeCloseTo(hand.loss, 12);
        const onlyJ = direct(withFixed(patterns, { ablate: union([`0:${A}`], ablateAllBut(0, H, [j]), others(i)) }));
        expect(w.Npp[i][j]).toBe(onlyJ.acc);
      }
  });

  it('the run\'s clamps change the answer (the check above is not of the bare model)', () => {
    const bare = ev.evaluate({ ablate: [`0:1`, ...others(2)], preserve: { patterns: true, values: false } });
    const clamped = ev.evaluate({ ablate: [`0:1`, ...others(2)], preserve: { patterns: true, values: false } }, { base: BASE });
    expect(Math.abs(bare.loss - clamped.loss)).toBeGreaterThan(1e-3);
    expect(w).not.toEqual(plain);
  });

  it('group ablations on the base equal the two-step computation', () => {
    const [row] = groupAblations(ev, [[1, 5]], { base: BASE });
    expect(row.valuePreserving).toBe(direct(withFixed(values, { ablate: ['0:3', '0:1', '0:5'], prevToken: BASE.prevToken, match: BASE.match })).acc);
    expect(row.patternPreserving).toBe(direct(withFixed(patterns, { ablate: ['0:3', '0:1', '0:5'] })).acc);
  });
});
