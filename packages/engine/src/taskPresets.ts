/**
 * Presets of issue 23: one known result per task beyond the paper, each judged by a check of
 * analysis/taskChecks.ts (`opto check ...`, README "Beyond the paper"). Sized to finish in minutes on one
 * core of this machine; all keep the paper's 2-layer, 8-head attention-only model.
 */
import type { RunConfigInput } from './config.js';

export interface TaskPreset {
  description: string;
  config: RunConfigInput;
}

/**
 * Olsson et al.'s induction task: 8 distinct tokens of 32, one repeated from a random offset (9 tokens).
 * With two repeated tokens the same model still sat on its plateau at 10⁶ sequences (seed 5).
 */
const OLSSON: RunConfigInput = {
  task: { kind: 'repeatTokens', numLabels: 32, repeat: { prefixLength: 8, repeatLength: 1 } },
  optim: { lr: 3e-3 },
  schedule: { seqs: 400_000, evalEvery: 5000, ckptEvery: 20_000, evalSize: 500 },
};

/** Chan et al.'s bursty few-shot task; the two presets differ only in pBursty. */
const bursty = (pBursty: number): RunConfigInput => ({
  task: { kind: 'bursty', numLabels: 32, bursty: { contextPairs: 4, burstiness: 2, pBursty, zipfExponent: 0, trainClasses: 1000, exemplars: 1 } },
  optim: { lr: 2e-3 },
  schedule: { seqs: 400_000, evalEvery: 10_000, ckptEvery: 100_000, evalSize: 500 },
});

export const TASK_PRESETS: Record<string, TaskPreset> = {
  'olsson-induction': {
    description: "Olsson et al. 2022: induction-head phase change on repeated random tokens (2-layer attention-only); check with 'opto check induction <run>'",
    config: OLSSON,
  },
  'bursty-icl': {
    description: "Chan et al. 2022 / Reddy 2023: bursty (pBursty 0.9), Zipfian few-shot training; with nonbursty-icl, check with 'opto check bursty <bursty run> <non-bursty run>'",
    config: bursty(0.9),
  },
  'nonbursty-icl': {
    description: 'Chan et al. 2022 / Reddy 2023: the same task without bursts (pBursty 0): in-weights learning only',
    config: bursty(0),
  },
};
