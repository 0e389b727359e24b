/**
 * The terminal summary `opto train` prints (README's first example is this layout): the run line, one row per
 * eval set with initial and final loss and accuracy, and the paper's learning time only where there is an
 * fsl_train set. Expected text written out by hand from a made-up summary.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '@optoscope/engine';
import { formatSummary } from './format.js';

const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  run_dir: 'runs/main-1',
  seqs: 1_000_000,
  steps: 31_250,
  ms_per_step: 0.93456,
  wall_s: 36.14,
  backend: 'wasm',
  initial: { fsl_train: { loss: 1.86224, acc: 0.2141 }, fsl_test_class: { loss: 1.8834, acc: 0.219 } },
  final: { fsl_train: { loss: 0.00111, acc: 1 }, fsl_test_class: { loss: 0.07984, acc: 0.9722 } },
  learning_time: 260_000,
  learned: true,
  ...over,
}) as RunSummary;

describe('formatSummary', () => {
  it("the paper's run: sets padded to the longest name, four decimals for loss and three for accuracy, the learning time", () => {
    expect(formatSummary(summary()).split('\n')).toEqual([
      '',
      'run runs/main-1: 1,000,000 sequences, 31,250 steps on wasm, 0.935 ms/step, 36.1 s wall',
      '',
      'eval set         initial loss   acc     final loss   acc',
      'fsl_train              1.8622   0.214       0.0011   1.000',
      'fsl_test_class         1.8834   0.219       0.0798   0.972',
      '',
      'learning time (first eval with fsl_train loss < 0.4·ln 2 = 0.277): 260,000 sequences',
    ]);
  });

  it('not learned: says so, with the last eval as the learning time', () => {
    const last = formatSummary(summary({ learned: false, learning_time: 1_000_000 })).split('\n').at(-1);
    expect(last).toBe('not learned: fsl_train loss never fell below 0.4·ln 2 = 0.277 (learning time = last eval, 1,000,000)');
  });

  it('another task (no fsl_train): no learning-time line; a set missing its initial row shows dashes; short names pad to 8', () => {
    const text = formatSummary(summary({ initial: {}, final: { repeat: { loss: 0.5, acc: 0.75 } } }));
    expect(text.split('\n').slice(3)).toEqual(['eval set   initial loss   acc     final loss   acc', 'repeat                -       -       0.5000   0.750']);
  });
});
