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
import { DEFAULT_MODEL, ParamStore } from './params.js';
import { Rng } from './rng.js';
import { modelConfigFor, setupTraining } from './trainSetup.js';

const features = syntheticFeatures({ seed: 0 });
const SEEDS = { init: 7, train: 8, eval: 9 };
const cfg = parseRunConfig({ backend: 'reference', seeds: SEEDS, task: { pairSeed: 21 }, schedule: { seqs: 3200, evalSize: 50 } });
const task = buildTask(cfg.task, features);
const be = createReferenceBackend();
const setup = setupTraining(cfg, task, features, be);

const batches = (sets: EvalSet[]) => sets.map((s) => ({ name: s.name, item: Array.from(s.batch.item), label: Array.from(s.batch.contextLabel), slot: Array.from(s.batch.querySlot) }));

describe('seed wiring of every random stream', () => {
  it('eval sets come from the eval seed, not the train or init seed', () => {
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
    const got = Array.from(be.read(setup.params.values));
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
