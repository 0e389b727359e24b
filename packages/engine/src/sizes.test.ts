/**
 * The size bounds a config is checked against before anything is allocated (sizes.ts) must be upper
 * estimates of what a run really takes, and must not refuse runs that fit. Checked against the wasm core's
 * own memory: its growth while a run's training program and every eval program are built, one step is
 * trained and each eval set is evaluated, on the default data, for the paper's task and each other task.
 */
import { describe, expect, it } from 'vitest';
import { instantiateCore } from '@optoscope/core-wasm';
import { createWasmBackend } from './backends/wasm.js';
import { parseRunConfig, type RunConfigInput } from './config.js';
import { buildTask } from './data/task.js';
import { loadFeatures } from './data/load.js';
import { checkRunSizes, estimateRunSizes } from './sizes.js';
import { setupTraining } from './trainSetup.js';

const CASES: [string, RunConfigInput][] = [
  ["the paper's task", { schedule: { evalSize: 1000 } }],
  // The default eval size that the old bound (four sets, forward and backward) refused for 17 tokens.
  ['repeated tokens, evalSize 1000', { task: { kind: 'repeatTokens', numLabels: 32 }, schedule: { evalSize: 1000 } }],
  ['bursty', { task: { kind: 'bursty', numLabels: 32 }, schedule: { evalSize: 1000 } }],
  ['4 shots', { task: { shots: 4 }, schedule: { evalSize: 1000 } }],
  ['3 layers with MLPs', { model: { nLayers: 3, mlp: { ratio: 4 } }, schedule: { evalSize: 1000 } }],
];

describe('run size estimates against the wasm core', () => {
  it.each(CASES)('%s: accepted, and the estimate bounds the memory a run grows by', async (_name, input) => {
    const cfg = parseRunConfig(input);
    const features = await loadFeatures(cfg);
    expect(() => checkRunSizes(cfg, features.dim)).not.toThrow();
    const core = instantiateCore();
    const before = core.memory.buffer.byteLength;
    const s = setupTraining(cfg, buildTask(cfg.task, features), features, createWasmBackend(core));
    s.trainStep.run();
    for (const ev of s.evaluators) ev.run();
    const grown = core.memory.buffer.byteLength - before;
    const e = estimateRunSizes(cfg, features.dim);
    expect(e.evalSets).toBeGreaterThanOrEqual(s.evalSets.length);
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThanOrEqual(e.modelBytes + e.stepBytes + e.evalBytes);
  }, 120_000);

  it('a config past the eval bound is refused naming the field and the task’s number of eval sets', async () => {
    const cfg = parseRunConfig({ task: { kind: 'repeatTokens', numLabels: 32 }, schedule: { evalSize: 100_000 } });
    const features = await loadFeatures(cfg);
    expect(() => checkRunSizes(cfg, features.dim)).toThrow(/^config: schedule\.evalSize 100000: the 2 eval sets would need [\d.]+ GiB, more than 1\.00 GiB \(at most \d+ sequences per eval set for this model\)$/);
  });
});
