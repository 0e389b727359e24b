/**
 * The eval schedule and the rows of one eval point (trainSetup.ts), shared by `train()` and `trainInPage()`:
 * the next point strictly above a count, the train window's means and the eval rows in the evaluators' order.
 * Expected values are written out here, not produced by the code.
 */
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './config.js';
import type { EvalSet, FeatureSource } from './data/types.js';
import type { Metrics } from './metrics.js';
import { DEFAULT_MODEL } from './params.js';
import { emptyWindow, evalCheckpointSchedule, evalPointRows, modelConfigFor, nextMultiple } from './trainSetup.js';

describe('nextMultiple', () => {
  it('is the first multiple of `every` strictly above x', () => {
    expect([0, 1, 639, 640, 641, 1279, 1280, 12_345].map((x) => nextMultiple(x, 640))).toEqual([640, 640, 640, 1280, 1280, 1280, 1920, 12_800]);
    expect(nextMultiple(5, 1)).toBe(6);
  });
});

describe('evalPointRows', () => {
  const evaluator = (name: string, loss: number) => ({ set: { name } as EvalSet, run: () => ({ loss, acc: 1 - loss }) as unknown as Metrics });

  it('the train window as means over its steps, then one row per eval set in order', () => {
    const { metrics, rows } = evalPointRows([evaluator('iid', 0.25), evaluator('ood', 0.75)], 1280, 40, { loss: 6, gradNorm: 2, n: 4 });
    expect(rows).toEqual([
      { kind: 'train', seqs: 1280, step: 40, loss: 1.5, grad_norm: 0.5, steps: 4 },
      { kind: 'eval', seqs: 1280, step: 40, set: 'iid', loss: 0.25, acc: 0.75 },
      { kind: 'eval', seqs: 1280, step: 40, set: 'ood', loss: 0.75, acc: 0.25 },
    ]);
    expect(metrics).toEqual({ iid: { loss: 0.25, acc: 0.75 }, ood: { loss: 0.75, acc: 0.25 } });
  });

  it('no train row when no step ran since the last point (the point at 0, or right after a resume)', () => {
    const { rows } = evalPointRows([evaluator('iid', 0.5)], 0, 0, emptyWindow());
    expect(rows).toEqual([{ kind: 'eval', seqs: 0, step: 0, set: 'iid', loss: 0.5, acc: 0.5 }]);
    expect(emptyWindow()).toEqual({ loss: 0, gradNorm: 0, n: 0 });
  });
});

describe('modelConfigFor', () => {
  it("takes the feature width from the data, the label count from the task and the rest from the config's model block over the defaults", () => {
    const cfg = parseRunConfig({ task: { numLabels: 10 }, model: { lnEps: 1e-3 } }, 'test');
    const m = modelConfigFor(cfg, { dim: 24 } as FeatureSource);
    expect(m).toEqual({ ...DEFAULT_MODEL, featureDim: 24, numLabels: 10, lnEps: 1e-3 });
  });
});

describe('evalCheckpointSchedule', () => {
  /** The counts among `xs` at which the schedule evaluates and checkpoints, asked in order. */
  const walk = (sched: ReturnType<typeof evalCheckpointSchedule>, xs: number[]) => {
    const evals: number[] = [];
    const ckpts: number[] = [];
    for (const x of xs) {
      const d = sched.due(x);
      if (d.evaluate) evals.push(x);
      if (d.checkpoint) ckpts.push(x);
    }
    return { evals, ckpts };
  };
  const steps = (from: number, to: number, by: number) => Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);

  it('a fresh run evaluates and checkpoints at 0, then at every multiple, each point once', () => {
    const sched = evalCheckpointSchedule({ evalEvery: 640, ckptEvery: 1280 }, 0, false);
    expect(walk(sched, steps(0, 2560, 32))).toEqual({ evals: [0, 640, 1280, 1920, 2560], ckpts: [0, 1280, 2560] });
    // Asked again at a point already met: nothing is due twice.
    expect(sched.due(2560)).toEqual({ evaluate: false, checkpoint: false });
  });

  it('counts that step over a multiple meet it at the first count past it (just below: not yet)', () => {
    const sched = evalCheckpointSchedule({ evalEvery: 640, ckptEvery: 640 }, 0, false);
    expect(walk(sched, [0, 600, 639, 650, 1279, 1300])).toEqual({ evals: [0, 650, 1300], ckpts: [0, 650, 1300] });
  });

  it('a run resumed at a count starts from the next multiple strictly above it, not at 0 or at the count itself', () => {
    expect(walk(evalCheckpointSchedule({ evalEvery: 640, ckptEvery: 1280 }, 1280, true), steps(1280, 3840, 32))).toEqual({
      evals: [1920, 2560, 3200, 3840],
      ckpts: [2560, 3840],
    });
    expect(walk(evalCheckpointSchedule({ evalEvery: 640, ckptEvery: 1280 }, 1000, true), [1000, 1279, 1280])).toEqual({ evals: [1280], ckpts: [1280] });
  });

  it('no checkpoint cadence: evaluations only, fresh or resumed', () => {
    expect(walk(evalCheckpointSchedule({ evalEvery: 640, ckptEvery: null }, 0, false), steps(0, 1280, 64))).toEqual({ evals: [0, 640, 1280], ckpts: [] });
    expect(walk(evalCheckpointSchedule({ evalEvery: 640, ckptEvery: null }, 640, true), steps(640, 1280, 64))).toEqual({ evals: [1280], ckpts: [] });
  });
});
