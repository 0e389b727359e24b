/**
 * The seed wiring of every random stream a run draws from (spec 3.2: seeds split explicitly), checked
 * against streams built here straight from each seed: the initial parameters from the init seed, the
 * eval sets from the eval seed, the training batches from the train seed, the label pairs from the pair
 * seed. Every backend and both training loops go through `setupTraining`, so a crossed wire there would
 * be invisible to backend-against-reference checks. Distinct seeds, so any swap shows.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { parseRunConfig } from './config.js';
import { makeEvalSets } from './data/evalSets.js';
import { trainDistribution } from './data/sampler.js';
import { syntheticFeatures } from './data/synthetic.js';
import { buildTask } from './data/task.js';
import { allocBatch, type EvalSet } from './data/types.js';
import { buildModel } from './model.js';
import { DEFAULT_MODEL, ParamStore } from './params.js';
import { Rng } from './rng.js';
import { evaluator, modelConfigFor, setupTraining } from './trainSetup.js';

const features = syntheticFeatures({ seed: 0 });
const SEEDS = { init: 7, train: 8, eval: 9 };
const cfg = parseRunConfig({ backend: 'reference', seeds: SEEDS, task: { pairSeed: 21 }, schedule: { seqs: 3200, evalSize: 50 } });
const task = buildTask(cfg.task, features);
// Built inside each test, not once at import: code that runs while a test file is imported counts as
// "static" to Stryker, whose vitest runner then reports its mutants survived (stryker-js #6144).
const freshSetup = () => setupTraining(cfg, task, features, createReferenceBackend());

const batches = (sets: EvalSet[]) => sets.map((s) => ({ name: s.name, item: Array.from(s.batch.item), label: Array.from(s.batch.contextLabel), slot: Array.from(s.batch.querySlot) }));

describe('seed wiring of every random stream', () => {
  it('eval sets come from the eval seed, not the train or init seed', () => {
    const setup = freshSetup();
    expect(batches(setup.evalSets)).toEqual(batches(makeEvalSets(task, features, SEEDS.eval, 50)));
    expect(batches(setup.evalSets)).not.toEqual(batches(makeEvalSets(task, features, SEEDS.train, 50)));
    expect(batches(setup.evalSets)).not.toEqual(batches(makeEvalSets(task, features, SEEDS.init, 50)));
  });

  it('initial parameters come from the init seed', () => {
    const fresh = (seed: number) => {
      const p = new ParamStore(createReferenceBackend(), modelConfigFor(cfg, features));
      p.init(seed);
      return Array.from(p.be.read(p.values));
    };
    const setup = freshSetup();
    const got = Array.from(setup.params.be.read(setup.params.values));
    expect(got).toEqual(fresh(SEEDS.init));
    expect(got).not.toEqual(fresh(SEEDS.train));
    expect(setup.params.config).toEqual({ ...DEFAULT_MODEL, featureDim: features.dim, numLabels: cfg.task.numLabels });
  });

  it('training batches come from the train seed', () => {
    const dist = trainDistribution(task, features);
    const draw = (rng: Rng) => {
      const b = allocBatch(cfg.optim.batchSize);
      dist.sample(rng, b);
      return Array.from(b.item);
    };
    const setup = freshSetup();
    // The setup's stream is untouched until the first step: its first batch is the train seed's first batch.
    const probe = new Rng(0);
    probe.setState(setup.rng.getState());
    expect(draw(probe)).toEqual(draw(new Rng(SEEDS.train)));
    expect(draw(new Rng(SEEDS.train))).not.toEqual(draw(new Rng(SEEDS.eval)));
  });

  it('label pairs come from the pair seed', () => {
    const other = buildTask({ ...cfg.task, pairSeed: 20 }, features);
    expect(task.pairs).not.toEqual(other.pairs);
    expect(buildTask(cfg.task, features).pairs).toEqual(task.pairs);
  });
});

/** The query logits [B, L] and the mean query cross-entropy of `batch`, from an all-positions model built here. */
function fullForward(params: ParamStore, set: EvalSet): { logits: Float64Array; loss: number } {
  const m = buildModel(params, { batch: set.batch.size, nItems: set.distribution.items.length, training: false, allPositions: true, keep: 'all' });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  return { logits: Float64Array.from(params.be.read(m.queryLogits.buf)), loss: params.be.read(m.loss.buf)[0] };
}

describe('evaluators and the training program of a setup', () => {
  const L = cfg.task.numLabels;

  it('one evaluator per eval set, in order; its metrics are those of an all-positions forward of that set', () => {
    const setup = freshSetup();
    expect(setup.evaluators.map((ev) => ev.set)).toEqual(setup.evalSets);
    expect(setup.evaluators.length).toBeGreaterThan(1);
    for (const ev of setup.evaluators) {
      const ref = fullForward(setup.params, ev.set);
      const B = ev.set.batch.size;
      expect(B).toBe(50);
      const got = ev.run();
      // Mean cross-entropy from the backend's loss node of the other graph, accuracy as argmax counted here.
      expect(got.loss).toBeCloseTo(ref.loss, 12);
      let correct = 0;
      for (let b = 0; b < B; b++) {
        const row = Array.from(ref.logits.subarray(b * L, (b + 1) * L));
        if (row.indexOf(Math.max(...row)) === ev.set.batch.target[b]) correct++;
      }
      expect(got.acc).toBe(correct / B);
      // forward() alone, on an evaluator that has not run, fills `logits` with the [B, L] query logits run() scores.
      const alone = evaluator(setup.params, ev.set, setup.passes);
      alone.forward();
      const logits = setup.params.be.read(alone.logits);
      expect(logits.length).toBe(B * L);
      for (let i = 0; i < B * L; i++) expect(logits[i]).toBeCloseTo(ref.logits[i], 12);
    }
  });

  it('the training program draws its first batch from the train seed, backpropagates and steps Adam', () => {
    const s = setupTraining(cfg, task, features, createReferenceBackend());
    const before = Float64Array.from(s.params.be.read(s.params.values));
    // The batch the first step will draw, and its loss under the initial parameters from the independent graph.
    const dist = trainDistribution(task, features);
    const b = allocBatch(cfg.optim.batchSize);
    dist.sample(new Rng(SEEDS.train), b);
    const probe: EvalSet = { name: 'probe', batch: b, distribution: dist } as EvalSet;
    const ref = fullForward(s.params, probe);
    expect(s.trainStep.run()).toBeCloseTo(ref.loss, 12);
    expect(s.trainStep.gradNorm).toBeGreaterThan(0);
    const after = s.params.be.read(s.params.values);
    let moved = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) moved++;
    // Adam's first step moves every parameter with a nonzero gradient by about lr.
    expect(moved).toBeGreaterThan(after.length / 2);
    expect(s.trainModel.batch).toBe(cfg.optim.batchSize);
    expect(s.dist.items.length).toBe(dist.items.length);
  });

  it('an intervention naming a head the model lacks is refused naming config.interventions', () => {
    const bad = parseRunConfig({ backend: 'reference', interventions: { ablate: ['2:0'] }, schedule: { seqs: 3200, evalSize: 50 } });
    expect(() => setupTraining(bad, task, features, createReferenceBackend())).toThrow(
      /^config\.interventions\.ablate\[0\]: head "2:0": layer 2 out of range \(the model has layers 0\.\.1\)$/,
    );
  });
});
