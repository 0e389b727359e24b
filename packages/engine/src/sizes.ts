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
import { taskSeqLen } from './data/tasks/schema.js';
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
  /** The four fixed eval sets, each evaluated as one batch of evalSize sequences. */
  evalBytes: 1 * GiB,
} as const;

/** Float32 activations kept per sequence by the forward and backward pass (an upper estimate). */
function bytesPerSequence(cfg: RunConfig, featureDim: number): number {
  const { dModel: d, nHeads: h, nLayers: n } = cfg.model;
  const T = taskSeqLen(cfg.task);
  const m = runModelConfig(cfg, featureDim);
  // Attention width (q, k, v, rotations, heads) and, with an MLP, its LN, pre-activation and GELU output.
  const a = h * headDimOf(m);
  const perLayer = T * d * 6 + T * a * 6 + h * T * T * 4 + T * (mlpHiddenOf(m) * 3 + d * 3);
  return 4 * (T * featureDim + T * d * 4 + n * perLayer + cfg.task.numLabels * 4) * 2;
}

const fmt = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toPrecision(3)} GiB` : `${(bytes / 2 ** 20).toPrecision(3)} MiB`);

/** Throws a ConfigError naming the field and the bound when `cfg` cannot fit; `featureDim` is the data's. */
export function checkRunSizes(cfg: RunConfig, featureDim: number, where = 'config'): void {
  const L = cfg.task.numLabels;
  const many = tooManyLabels(L);
  if (many) throw new ConfigError(`${where}: task.numLabels ${L}: ${many}`);
  const params = paramSpecs(runModelConfig(cfg, featureDim)).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  if (16 * params > SIZE_LIMITS.modelBytes)
    throw new ConfigError(
      `${where}: model too large: ${params.toExponential(2)} parameters (task.numLabels ${L}, model.dModel ${cfg.model.dModel}, model.nLayers ${cfg.model.nLayers}, feature dim ${featureDim}) need ${fmt(16 * params)} with gradients and Adam moments, more than the ${fmt(SIZE_LIMITS.modelBytes)} a run may use of the 4 GiB wasm32 memory`,
    );
  const perSeq = bytesPerSequence(cfg, featureDim);
  if (cfg.optim.batchSize * perSeq > SIZE_LIMITS.stepBytes)
    throw new ConfigError(`${where}: optim.batchSize ${cfg.optim.batchSize}: one step's activations would need ${fmt(cfg.optim.batchSize * perSeq)}, more than ${fmt(SIZE_LIMITS.stepBytes)} (at most ${Math.floor(SIZE_LIMITS.stepBytes / perSeq)} sequences per batch for this model)`);
  if (4 * cfg.schedule.evalSize * perSeq > SIZE_LIMITS.evalBytes)
    throw new ConfigError(`${where}: schedule.evalSize ${cfg.schedule.evalSize}: the four eval sets would need ${fmt(4 * cfg.schedule.evalSize * perSeq)}, more than ${fmt(SIZE_LIMITS.evalBytes)} (at most ${Math.floor(SIZE_LIMITS.evalBytes / (4 * perSeq))} sequences per eval set for this model)`);
}
