/**
 * Re-evaluating a saved run: load its config, data and a checkpoint, and evaluate the four fixed eval
 * sets under the run's own intervention spec or another one (`opto eval <run> --clamp spec.json`; the
 * clamp-based progress measures of spec 5.8 are exactly this, over many checkpoints).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectBackendAsync } from './backends/index.js';
import { parseRunConfig, type RunConfig } from './config.js';
import { buildTask, taskData } from './data/index.js';
import type { EvalSet, FeatureSource } from './data/types.js';
import { compileInterventions } from './compileInterventions.js';
import { InterventionError, parseInterventionSpec, taskClampIssues, type InterventionSpec } from './interventions/spec.js';
import { taskPositions } from './data/tasks/positions.js';
import { headScores, pickHeads, type HeadScores } from './analysis/heads.js';
import type { PresetHeads } from './presets.js';
import type { Metrics } from './metrics.js';
import { ParamStore } from './params.js';
import { loadParamTensors } from './store/paramIO.js';
import { RunDir } from './store/runDir.js';
import { parseNpyArray } from './data/npy.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from './store/safetensors.js';
import { recordSites } from './analysis/recordSites.js';
import { columnsText, rowsToEvalSet, sequenceFormat, type SequenceFormat } from './data/tasks/sequenceFormat.js';
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
  const evalSets = taskData(config.task, task, features, config.seeds.eval, config.schedule.evalSize).evalSets;
  return { run, config, features, evalSets, params, checkpoint };
}

export interface RunEvaluation {
  run: string;
  checkpoint: number;
  interventions: InterventionSpec;
  metrics: Record<string, Metrics>;
  /** The .npy file the sequences came from (`--sequences`), when not the run's eval sets. */
  sequences?: string;
  /** The safetensors file the site activations were written to (`--record`). */
  recorded?: string;
}

export interface EvaluateOptions {
  /** Evaluate these sets instead of the run's four fixed eval sets. */
  sets?: EvalSet[];
  /** Also write every site's activations over the evaluated sets to this safetensors file. */
  record?: string;
}

/**
 * Evaluate a loaded run's eval sets under `interventions` (default: the run's own spec). The spec is
 * validated against the run's model before anything runs.
 */
export function evaluateLoaded(r: LoadedRun, interventions?: unknown, opts: EvaluateOptions = {}): RunEvaluation {
  const spec = parseInterventionSpec(interventions ?? r.config.interventions, r.params.config, interventions ? 'clamp' : 'config.interventions');
  if (opts.record) assertWritableFile(opts.record, '--record');
  // A clamp given here (not the run's) gets the per-clamp task check the run's config had.
  const issue = taskClampIssues(spec, taskPositions(r.config.task))[0];
  if (issue) throw new InterventionError(`${interventions ? 'clamp' : 'config.interventions'}.${issue[0]}: ${issue[1]}`);
  const passes = compileInterventions(spec, r.params, { runsDir: path.dirname(path.resolve(r.run.dir)), positions: taskPositions(r.config.task) });
  const sets = opts.sets ?? r.evalSets;
  const metrics: Record<string, Metrics> = {};
  for (const set of sets) metrics[set.name] = evaluator(r.params, set, passes).run();
  if (opts.record) {
    // Keys `<set>/<site>`; shapes as recordSites documents.
    const tensors: Record<string, NamedTensor> = {};
    for (const set of sets) for (const [site, t] of Object.entries(recordSites(r.params, set, passes))) tensors[`${set.name}/${site}`] = t;
    writeSafetensors(opts.record, tensors, {
      format: 'optoscope-sites/1',
      run: r.run.id,
      checkpoint: String(r.checkpoint),
      model: JSON.stringify(r.params.config),
      task: JSON.stringify(r.config.task),
      interventions: JSON.stringify(spec),
    });
  }
  return { run: r.run.dir, checkpoint: r.checkpoint, interventions: spec, metrics, ...(opts.record && { recorded: opts.record }) };
}

/**
 * User-supplied sequences (`opto eval --sequences file.npy`): an int32/int64 [n, W] array in the run's task
 * format (data/tasks/sequenceFormat.ts: x1 l1 x2 l2 xq target for the paper's task, x1 l1 … xk lk xq target
 * for k shots and bursty contexts, p1 … pn r1 … rm target for repeated tokens), checked against the run's
 * features and labels.
 */
export function readSequencesFile(file: string, fmt: SequenceFormat, features: FeatureSource, numLabels: number): EvalSet {
  const where = `--sequences ${file}`;
  if (!fs.existsSync(file)) throw new Error(`${where}: file not found`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${where}: is a directory, expected an .npy file of int [n, ${fmt.columns.length}] (${columnsText(fmt.columns)})`);
  const { shape, values } = parseNpyArray(where, fs.readFileSync(file), ['<i4', '<i8']);
  return rowsToEvalSet(fmt, 'sequences', values, shape, features, numLabels, where);
}

export async function evaluateRun(
  dir: string,
  opts: { checkpoint?: number; interventions?: unknown; sequences?: string; record?: string; features?: FeatureSource } = {},
): Promise<RunEvaluation> {
  const r = await loadRun(dir, opts);
  const sets = opts.sequences === undefined ? undefined : [readSequencesFile(opts.sequences, sequenceFormat(r.config.task), r.features, r.params.config.numLabels)];
  const res = evaluateLoaded(r, opts.interventions, { sets, record: opts.record });
  return opts.sequences === undefined ? res : { ...res, sequences: opts.sequences };
}

function assertWritableFile(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${flag} ${file}: directory ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new Error(`${flag} ${file}: is a directory`);
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
