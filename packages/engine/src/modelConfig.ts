/**
 * The model a run config asks for: its `model` section resolved to a ModelConfig for data of a given feature
 * width. Variant fields appear only when set, so the paper's config (and every stored run.json and
 * checkpoint of it) stays exactly what it was.
 */
import type { RunConfig } from './config.js';
import { taskSeqLen } from './data/tasks/schema.js';
import { DEFAULT_MODEL, type ModelConfig } from './params.js';

export function runModelConfig(cfg: RunConfig, featureDim: number): ModelConfig {
  const { mlp, ctx, ...rest } = cfg.model;
  const out: ModelConfig = { ...DEFAULT_MODEL, ...rest, featureDim, numLabels: cfg.task.numLabels };
  if (mlp) out.mlpHidden = 'hidden' in mlp ? mlp.hidden : Math.round(mlp.ratio * cfg.model.dModel);
  // Learned positions need a row per position: by default the task's sequence length.
  if (cfg.model.positions === 'learned') out.ctx = ctx ?? taskSeqLen(cfg.task);
  return out;
}
