/**
 * Bounds on the sizes a run config may ask for, from what the model and data can hold. The engine keeps
 * parameters, gradients, both Adam moments and every activation in one wasm32 memory (at most 4 GiB),
 * so a config whose model or batches cannot fit is refused before anything is allocated or written,
 * with the bound that was hit and the field that hit it (`--labels 1e9` would otherwise grow memory
 * without a word while the label pairs are enumerated).
 */
import type { RunConfig } from './config.js';
import { ConfigError } from './config.js';
import { MAX_LABEL_PAIRS, tooManyLabels } from './data/task.js';
import { BURSTY_EVAL_SETS } from './data/tasks/bursty.js';
import { REPEAT_EVAL_SETS } from './data/tasks/repeatTokens.js';
import { isPaperTask, taskKind, taskSeqLen, type TaskSelection } from './data/tasks/schema.js';
import { runModelConfig } from './modelConfig.js';
import { headDimOf, mlpHiddenOf, paramSpecs } from './params.js';

const GiB = 2 ** 30;

export const SIZE_LIMITS = {
  /** Label pairs L(L-1)/2 are enumerated and permuted to split them (spec 1.3). */
  labelPairs: MAX_LABEL_PAIRS,
  /** Parameters, gradients and two Adam moments: 16 bytes per parameter. */
  modelBytes: 1 * GiB,
  /** Activations of one training step (batchSize sequences). */
  stepBytes: 1 * GiB,
  /** The task's fixed eval sets (four for the paper's task), each evaluated as one batch of evalSize sequences. */
  evalBytes: 1 * GiB,
} as const;

/**
 * Float32 activations kept per sequence (an upper estimate): by the forward and backward pass of a training
 * step, or by the forward pass alone of an eval set, which keeps no gradients.
 */
function bytesPerSequence(cfg: RunConfig, featureDim: number, pass: 'train' | 'eval'): number {
  const { dModel: d, nHeads: h, nLayers: n } = cfg.model;
  const T = taskSeqLen(cfg.task);
  const m = runModelConfig(cfg, featureDim);
  // Attention width (q, k, v, rotations, heads) and, with an MLP, its LN, pre-activation and GELU output.
  const a = h * headDimOf(m);
  const perLayer = T * d * 6 + T * a * 6 + h * T * T * 4 + T * (mlpHiddenOf(m) * 3 + d * 3);
  return 4 * (T * featureDim + T * d * 4 + n * perLayer + cfg.task.numLabels * 4) * (pass === 'train' ? 2 : 1);
}

/** How many fixed eval sets the task evaluates (at most: a k-shot set its class split cannot hold is left out). */
function evalSetCount(t: TaskSelection): number {
  if (isPaperTask(t)) return 4;
  switch (taskKind(t)) {
    case 'fewShot':
      return 3;
    case 'bursty':
      return BURSTY_EVAL_SETS.length;
    case 'repeatTokens':
      return REPEAT_EVAL_SETS.length;
  }
}

const fmt = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toPrecision(3)} GiB` : `${(bytes / 2 ** 20).toPrecision(3)} MiB`);

/** What a run of `cfg` is estimated to hold in wasm memory, in bytes (upper estimates; see SIZE_LIMITS). */
export interface RunSizeEstimate {
  params: number;
  /** Parameters, gradients and both Adam moments. */
  modelBytes: number;
  /** Activations of one training step of optim.batchSize sequences. */
  stepBytes: number;
  /** The task's eval sets, each one batch of schedule.evalSize sequences. */
  evalSets: number;
  evalBytes: number;
}

export function estimateRunSizes(cfg: RunConfig, featureDim: number): RunSizeEstimate {
  const params = paramSpecs(runModelConfig(cfg, featureDim)).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  const evalSets = evalSetCount(cfg.task);
  return {
    params,
    modelBytes: 16 * params,
    stepBytes: cfg.optim.batchSize * bytesPerSequence(cfg, featureDim, 'train'),
    evalSets,
    evalBytes: evalSets * cfg.schedule.evalSize * bytesPerSequence(cfg, featureDim, 'eval'),
  };
}

/** Throws a ConfigError naming the field and the bound when `cfg` cannot fit; `featureDim` is the data's. */
export function checkRunSizes(cfg: RunConfig, featureDim: number, where = 'config'): void {
  const L = cfg.task.numLabels;
  const many = tooManyLabels(L);
  if (many) throw new ConfigError(`${where}: task.numLabels ${L}: ${many}`);
  const e = estimateRunSizes(cfg, featureDim);
  if (e.modelBytes > SIZE_LIMITS.modelBytes)
    throw new ConfigError(
      `${where}: model too large: ${e.params.toExponential(2)} parameters (task.numLabels ${L}, model.dModel ${cfg.model.dModel}, model.nLayers ${cfg.model.nLayers}, feature dim ${featureDim}) need ${fmt(e.modelBytes)} with gradients and Adam moments, more than the ${fmt(SIZE_LIMITS.modelBytes)} a run may use of the 4 GiB wasm32 memory`,
    );
  const perSeq = e.stepBytes / cfg.optim.batchSize;
  if (e.stepBytes > SIZE_LIMITS.stepBytes)
    throw new ConfigError(`${where}: optim.batchSize ${cfg.optim.batchSize}: one step's activations would need ${fmt(e.stepBytes)}, more than ${fmt(SIZE_LIMITS.stepBytes)} (at most ${Math.floor(SIZE_LIMITS.stepBytes / perSeq)} sequences per batch for this model)`);
  const perEvalSet = e.evalBytes / cfg.schedule.evalSize;
  if (e.evalBytes > SIZE_LIMITS.evalBytes)
    throw new ConfigError(
      `${where}: schedule.evalSize ${cfg.schedule.evalSize}: the ${e.evalSets} eval sets would need ${fmt(e.evalBytes)}, more than ${fmt(SIZE_LIMITS.evalBytes)} (at most ${Math.floor(SIZE_LIMITS.evalBytes / perEvalSet)} sequences per eval set for this model)`,
    );
}
