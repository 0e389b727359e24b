/**
 * Re-evaluating a saved run: load its config, data and a checkpoint, and evaluate the four fixed eval
 * sets under the run's own intervention spec or another one (`opto eval <run> --clamp spec.json`; the
 * clamp-based progress measures of spec 5.8 are exactly this, over many checkpoints).
 */
import * as path from 'node:path';
import { selectBackendAsync } from './backends/index.js';
import { parseRunConfig, type RunConfig } from './config.js';
import { buildTask, makeEvalSets } from './data/index.js';
import type { EvalSet, FeatureSource } from './data/types.js';
import { compileInterventions } from './interventions/compile.js';
import { parseInterventionSpec, type InterventionSpec } from './interventions/spec.js';
import { headScores, pickHeads, type HeadScores } from './analysis/heads.js';
import type { PresetHeads } from './presets.js';
import type { Metrics } from './metrics.js';
import { ParamStore } from './params.js';
import { loadParamTensors } from './store/paramIO.js';
import { RunDir } from './store/runDir.js';
import { readSafetensors } from './store/safetensors.js';
import { loadFeatures } from './data/load.js';
import { evaluator, modelConfigFor } from './trainSetup.js';

export interface LoadedRun {
  run: RunDir;
  config: RunConfig;
  features: FeatureSource;
  evalSets: EvalSet[];
  params: ParamStore;
  /** The checkpoint loaded (sequences seen). */
  checkpoint: number;
}

/** Load a run's parameters at `checkpoint` (sequences; default the last one). */
export async function loadRun(dir: string, opts: { checkpoint?: number; features?: FeatureSource } = {}): Promise<LoadedRun> {
  const run = RunDir.open(dir);
  const rec = run.readRecord();
  const config = parseRunConfig(rec.config, `${run.recordFile} config`);
  const available = run.listCheckpoints();
  if (!available.length) throw new Error(`${dir}: no checkpoints saved yet`);
  const checkpoint = opts.checkpoint ?? available[available.length - 1];
  if (!available.includes(checkpoint))
    throw new Error(`${dir}: no checkpoint at ${checkpoint} sequences (available: ${available.slice(0, 5).join(', ')}${available.length > 5 ? ', …' : ''})`);
  const features = opts.features ?? (await loadFeatures(config));
  const task = buildTask(config.task, features);
  const params = new ParamStore((await selectBackendAsync(config.backend)).backend, modelConfigFor(config, features));
  loadParamTensors(params, readSafetensors(run.checkpointFile(checkpoint)).tensors, run.checkpointFile(checkpoint));
  const evalSets = makeEvalSets(task, features, config.seeds.eval, config.schedule.evalSize);
  return { run, config, features, evalSets, params, checkpoint };
}

export interface RunEvaluation {
  run: string;
  checkpoint: number;
  interventions: InterventionSpec;
  metrics: Record<string, Metrics>;
}

/**
 * Evaluate a loaded run's eval sets under `interventions` (default: the run's own spec). The spec is
 * validated against the run's model before anything runs.
 */
export function evaluateLoaded(r: LoadedRun, interventions?: unknown): RunEvaluation {
  const spec = parseInterventionSpec(interventions ?? r.config.interventions, r.params.config, interventions ? 'clamp' : 'config.interventions');
  const passes = compileInterventions(spec, r.params, { runsDir: path.dirname(path.resolve(r.run.dir)) });
  const metrics: Record<string, Metrics> = {};
  for (const set of r.evalSets) metrics[set.name] = evaluator(r.params, set, passes).run();
  return { run: r.run.dir, checkpoint: r.checkpoint, interventions: spec, metrics };
}

export async function evaluateRun(dir: string, opts: { checkpoint?: number; interventions?: unknown } = {}): Promise<RunEvaluation> {
  return evaluateLoaded(await loadRun(dir, opts), opts.interventions);
}

/**
 * Pitfall 10: the heads to clamp for a seed, picked from its finished unclamped run (its final checkpoint,
 * on its fsl_train eval set): strongest induction head, best previous-token head and group.
 */
export async function headsFromRun(dir: string): Promise<{ heads: PresetHeads; scores: HeadScores; checkpoint: number }> {
  const r = await loadRun(dir);
  const set = r.evalSets.find((s) => s.name === 'fsl_train')!;
  const scores = headScores(r.params, set);
  return { heads: pickHeads(scores, r.params.config.nLayers), scores, checkpoint: r.checkpoint };
}
