/**
 * The run config (config.ts): the paper's defaults (spec 1-3) written out, every bound just inside and just
 * outside, every cross-field rule with its exact message, the one-line error format of `parseRunConfig`
 * (field path, the value at fault, how many more issues) and the layering merge.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, mergeConfig, parseRunConfig, RunConfigSchema } from './config.js';

const ok = (c: unknown) => parseRunConfig(c);
const err = (c: unknown, where?: string): string => {
  try {
    parseRunConfig(c, where);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('defaults (the paper’s run)', () => {
  it('an empty config is the paper’s: data, task, model, optimiser, schedule, seeds, backend', () => {
    expect(ok({})).toEqual({
      data: { source: 'synthetic', datasetPath: 'resnet18/224/feat', syntheticSeed: 0 },
      task: { classSplit: [50, 1473, 100], exemplarSplit: [1, 4, 0], numLabels: 5, labelPairSplit: [8, 2, 0], pairSeed: 20 },
      model: { dModel: 64, nHeads: 8, nLayers: 2, ropeBase: 10000, lnEps: 1e-5 },
      optim: { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, batchSize: 32 },
      schedule: { seqs: 1_000_000, evalEvery: 5000, ckptEvery: 10_000, evalSize: 1000 },
      seeds: { init: 5, train: 0, eval: 1 },
      backend: 'auto',
    });
  });

  it('every value of the enums is accepted', () => {
    for (const positions of ['rope', 'learned', 'none']) expect(ok({ model: { positions } }).model.positions).toBe(positions);
    for (const backend of ['auto', 'wasm', 'reference', 'webgpu']) expect(ok({ backend }).backend).toBe(backend);
  });

  it('keeps the optional fields given, and ckptEvery null', () => {
    const c = ok({ name: 'x', preset: 'p', schedule: { ckptEvery: null }, model: { headDim: 4, positions: 'none', ctx: 9, mlp: { ratio: 2 } }, backend: 'reference' });
    expect(c.name).toBe('x');
    expect(c.preset).toBe('p');
    expect(c.schedule.ckptEvery).toBeNull();
    expect(c.model).toMatchObject({ headDim: 4, positions: 'none', ctx: 9, mlp: { ratio: 2 } });
    expect(c.backend).toBe('reference');
    expect(RunConfigSchema.safeParse({}).success).toBe(true);
  });
});

describe('bounds, each just inside and just outside', () => {
  const cases: [string, unknown, unknown, string][] = [
    ['name', { name: 'a' }, { name: '' }, 'name'],
    ['data.source', { data: { source: 'a.npy' } }, { data: { source: '' } }, 'data.source'],
    ['data.datasetPath', { data: { datasetPath: 'x' } }, { data: { datasetPath: '' } }, 'data.datasetPath'],
    ['data.syntheticSeed', { data: { syntheticSeed: 0 } }, { data: { syntheticSeed: -1 } }, 'data.syntheticSeed'],
    ['task.numLabels', { task: { numLabels: 2 } }, { task: { numLabels: 1 } }, 'task.numLabels'],
    ['task.classSplit', { task: { classSplit: [0, 0, 100] } }, { task: { classSplit: [50, -1, 100] } }, 'task.classSplit.1'],
    ['task.pairSeed', { task: { pairSeed: 0 } }, { task: { pairSeed: 0.5 } }, 'task.pairSeed'],
    ['model.dModel', { model: { dModel: 8, nHeads: 4 } }, { model: { dModel: 0 } }, 'model.dModel'],
    ['model.nLayers low', { model: { nLayers: 1 } }, { model: { nLayers: 0 } }, 'model.nLayers'],
    ['model.nLayers high', { model: { nLayers: 6 } }, { model: { nLayers: 7 } }, 'model.nLayers'],
    ['model.ropeBase', { model: { ropeBase: 1e-9 } }, { model: { ropeBase: 0 } }, 'model.ropeBase'],
    ['model.lnEps', { model: { lnEps: 1e-12 } }, { model: { lnEps: 0 } }, 'model.lnEps'],
    ['model.positions', { model: { positions: 'learned' } }, { model: { positions: 'absolute' } }, 'model.positions'],
    ['model.mlp.hidden', { model: { mlp: { hidden: 1 } } }, { model: { mlp: { hidden: 0 } } }, 'model.mlp.hidden'],
    ['optim.lr', { optim: { lr: 1e-12 } }, { optim: { lr: 0 } }, 'optim.lr'],
    ['optim.beta1 low', { optim: { beta1: 0 } }, { optim: { beta1: -0.01 } }, 'optim.beta1'],
    ['optim.beta1 high', { optim: { beta1: 1 } }, { optim: { beta1: 1.01 } }, 'optim.beta1'],
    ['optim.beta2 low', { optim: { beta2: 0 } }, { optim: { beta2: -0.01 } }, 'optim.beta2'],
    ['optim.beta2 high', { optim: { beta2: 1 } }, { optim: { beta2: 1.01 } }, 'optim.beta2'],
    ['optim.eps', { optim: { eps: 1e-30 } }, { optim: { eps: 0 } }, 'optim.eps'],
    ['optim.batchSize', { optim: { batchSize: 1 } }, { optim: { batchSize: 0 } }, 'optim.batchSize'],
    ['schedule.seqs', { schedule: { seqs: 1 } }, { schedule: { seqs: 0 } }, 'schedule.seqs'],
    ['schedule.evalEvery', { schedule: { evalEvery: 1 } }, { schedule: { evalEvery: 0 } }, 'schedule.evalEvery'],
    ['schedule.ckptEvery', { schedule: { ckptEvery: 1 } }, { schedule: { ckptEvery: 0 } }, 'schedule.ckptEvery'],
    ['schedule.evalSize', { schedule: { evalSize: 1 } }, { schedule: { evalSize: 0 } }, 'schedule.evalSize'],
    ['seeds.init', { seeds: { init: 0, train: 1, eval: 2 } }, { seeds: { init: -1 } }, 'seeds.init'],
    ['backend', { backend: 'webgpu' }, { backend: 'cuda' }, 'backend'],
  ];
  for (const [what, inside, outside, path] of cases)
    it(what, () => {
      expect(() => ok(inside)).not.toThrow();
      expect(err(outside)).toMatch(new RegExp(`^config: ${path.replace(/\./g, '\\.')}: `));
    });

  it('unknown keys are refused at every level, without echoing the object', () => {
    expect(err({ modle: {} })).toBe('config: (root): Unrecognized key: "modle"');
    expect(err({ model: { dmodel: 64 } })).toBe('config: model: Unrecognized key: "dmodel"');
    expect(err({ optim: { lr: 1e-5, momentum: 0.9 } })).toBe('config: optim: Unrecognized key: "momentum"');
  });
});

describe('cross-field rules', () => {
  it('the three seeds must differ, each pair checked', () => {
    const msg = (i: number, t: number, e: number) => `config: seeds: init, train and eval seeds must differ (spec 3.2), got ${i}, ${t}, ${e} (got {"init":${i},"train":${t},"eval":${e}})`;
    expect(err({ seeds: { init: 3, train: 3, eval: 1 } })).toBe(msg(3, 3, 1));
    expect(err({ seeds: { init: 3, train: 0, eval: 3 } })).toBe(msg(3, 0, 3));
    expect(err({ seeds: { init: 5, train: 2, eval: 2 } })).toBe(msg(5, 2, 2));
    expect(ok({ seeds: { init: 3, train: 4, eval: 5 } }).seeds).toEqual({ init: 3, train: 4, eval: 5 });
  });

  it('task issues carry their own paths', () => {
    expect(err({ task: { kind: 'bursty', shots: 3 } })).toBe("config: task.shots: applies to task.kind 'fewShot' only, the task is 'bursty' (got 3)");
  });

  it('clamps are checked against the task’s positions only when the task itself is valid', () => {
    // a valid task: the clamp check runs (the spec is fine here, so the config is accepted)
    expect(ok({ interventions: { ablate: ['1:0'] } }).interventions).toMatchObject({ ablate: ['1:0'] });
    // a clamp the task cannot carry: its field and what the task lacks
    const rep = { kind: 'repeatTokens', numLabels: 32, repeat: { prefixLength: 8, repeatLength: 1 } };
    expect(err({ task: rep, interventions: { featureMatch: { heads: ['1:3'] } } })).toBe(
      'config: interventions.featureMatch: needs exemplar features to compare with the query; repeatTokens (8 + 1 tokens) has none (every token is a label token) (got {"heads":["1:3"]})',
    );
    expect(ok({ task: rep }).task.kind).toBe('repeatTokens');
    // an invalid task reports the task's issue first, and only that one
    expect(err({ task: { kind: 'bursty', shots: 3 }, interventions: { ablate: ['1:0'] } })).toBe("config: task.shots: applies to task.kind 'fewShot' only, the task is 'bursty' (got 3)");
  });

  it('too many labels: the task’s own line, at task.numLabels', () => {
    expect(() => ok({ task: { numLabels: 1448 } })).not.toThrow();
    expect(err({ task: { numLabels: 1449 } })).toMatch(/^config: task\.numLabels: 1449 labels make 1\.05e\+6 label pairs, more than the .* \(at most 1448 labels\) \(got 1449\)$/);
  });

  it('head size: even with RoPE (headDim or dModel / nHeads), an integer otherwise', () => {
    expect(err({ model: { headDim: 3 } })).toBe('config: model.headDim: RoPE rotates pairs, so headDim must be even, got 3 (got 3)');
    expect(ok({ model: { headDim: 3, positions: 'none' } }).model.headDim).toBe(3);
    expect(ok({ model: { headDim: 2 } }).model.headDim).toBe(2);
    expect(err({ model: { dModel: 64, nHeads: 5 } })).toBe('config: model.nHeads: dModel 64 / nHeads 5 must be an even integer head size (or set model.headDim) (got 5)');
    expect(err({ model: { dModel: 12, nHeads: 4 } })).toBe('config: model.nHeads: dModel 12 / nHeads 4 must be an even integer head size (or set model.headDim) (got 4)');
    expect(err({ model: { dModel: 12, nHeads: 5, positions: 'learned' } })).toBe('config: model.nHeads: dModel 12 / nHeads 5 must be an integer head size (or set model.headDim) (got 5)');
    expect(ok({ model: { dModel: 12, nHeads: 4, positions: 'none' } }).model.nHeads).toBe(4);
    expect(ok({ model: { dModel: 16, nHeads: 4 } }).model.nHeads).toBe(4);
    // headDim set: dModel / nHeads is not checked
    expect(ok({ model: { dModel: 12, nHeads: 5, headDim: 4 } }).model.headDim).toBe(4);
  });

  it('an MLP ratio must leave at least one hidden unit (rounded)', () => {
    expect(ok({ model: { mlp: { ratio: 0.5 / 64 } } }).model.mlp).toEqual({ ratio: 0.5 / 64 }); // 0.5 rounds to 1
    expect(err({ model: { mlp: { ratio: 0.49 / 64 } } })).toBe(`config: model.mlp.ratio: ratio ${0.49 / 64} × dModel 64 leaves no hidden unit (got ${0.49 / 64})`);
    expect(ok({ model: { mlp: { hidden: 1 } } }).model.mlp).toEqual({ hidden: 1 });
  });

  it('learned positions need ctx of at least the task’s length; absent ctx is allowed (the task’s length)', () => {
    expect(err({ model: { positions: 'learned', ctx: 4 } })).toBe("config: model.ctx: 4 learned positions are fewer than the task's 5 tokens (got 4)");
    expect(ok({ model: { positions: 'learned', ctx: 5 } }).model.ctx).toBe(5);
    expect(ok({ model: { positions: 'learned' } }).model.ctx).toBeUndefined();
    expect(err({ task: { shots: 3 }, model: { positions: 'learned', ctx: 6 } })).toBe("config: model.ctx: 6 learned positions are fewer than the task's 7 tokens (got 6)");
    // ctx without learned positions is not checked
    expect(ok({ model: { positions: 'none', ctx: 2 } }).model.ctx).toBe(2);
  });
});

describe('parseRunConfig’s one line', () => {
  it('names the place, the field, the value and how many more issues there are', () => {
    expect(err({ optim: { lr: -1 } }, 'sweep.json')).toBe('sweep.json: optim.lr: Too small: expected number to be >0 (got -1)');
    expect(err({ optim: { lr: -1, eps: -1 }, schedule: { seqs: 0 } })).toBe('config: optim.lr: Too small: expected number to be >0 (got -1) (+2 more)');
    expect(err({ model: { nLayers: 'two' } })).toBe('config: model.nLayers: Invalid input: expected number, received string (got "two")');
  });

  it('a value the path does not reach is not shown', () => {
    expect(err(null)).toBe('config: (root): Invalid input: expected object, received null (got null)');
    // a rule on a defaulted section: the input has no value there to show
    expect(err({ seeds: { init: 1 } })).toBe('config: seeds: init, train and eval seeds must differ (spec 3.2), got 1, 0, 1 (got {"init":1})');
    expect(err({ seeds: { init: 0 } })).toBe('config: seeds: init, train and eval seeds must differ (spec 3.2), got 0, 0, 1 (got {"init":0})');
    expect(err({ model: 3 })).toBe('config: model: Invalid input: expected object, received number (got 3)');
    // the path runs through a value that is not an object: nothing to show
    expect(err({ task: { classSplit: 7 } })).toBe('config: task.classSplit: Invalid input: expected tuple, received number (got 7)');
    expect(err({ task: { classSplit: [1, 2] } })).toBe('config: task.classSplit: Too small: expected array to have >=3 items (got [1,2])');
    // a required field that is missing: nothing to show
    const missing = err({ interventions: { match: {} } });
    expect(missing).toMatch(/^config: interventions\.match\.heads: /);
    expect(missing).not.toContain('(got');
  });
});

describe('mergeConfig (preset ← file ← flags)', () => {
  it('deep-merges plain objects; arrays, scalars and null replace; undefined keeps the base', () => {
    const base = { a: 1, b: { c: [1, 2], d: { e: 'x', f: 2 } }, g: null as unknown };
    expect(mergeConfig(base, { b: { c: [3], d: { e: 'y' } }, h: 4 })).toEqual({ a: 1, b: { c: [3], d: { e: 'y', f: 2 } }, g: null, h: 4 });
    expect(mergeConfig(base, undefined)).toBe(base);
    expect(mergeConfig(base, 5)).toBe(5);
    expect(mergeConfig({ a: { b: 1 } }, { a: null })).toEqual({ a: null });
    expect(mergeConfig({ a: { b: 1 } }, { a: [1] })).toEqual({ a: [1] });
    expect(mergeConfig({ a: [1, 2] }, { a: { 0: 9 } })).toEqual({ a: { 0: 9 } });
    expect(mergeConfig(null, { a: 1 })).toEqual({ a: 1 });
    // a key given as undefined keeps the base value
    expect(mergeConfig({ a: 1 }, { a: undefined })).toEqual({ a: 1 });
    // the base is not modified
    expect(base.b.d).toEqual({ e: 'x', f: 2 });
  });
});
