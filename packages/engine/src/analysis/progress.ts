/**
 * Progress measures over a run's saved checkpoints (spec 5.1 over checkpoints, 5.7, 5.8, 5.9).
 *
 * - `pickCheckpoints`: ~100 checkpoints evenly spaced in iteration, each the nearest saved one (5.1).
 * - `progressCurve`: loss/accuracy on the dense set under named intervention specs at every chosen
 *   checkpoint — the generic engine of the curves below. Programs are built once (`prepare`) and every
 *   checkpoint is loaded into the same ParamStore.
 * - `inductionStrengthCurve` (5.1, Fig. 3b): per-head induction strength (and first-layer previous-token
 *   scores, 5.2) of the clean model at every checkpoint.
 * - `layerToOutputCurve` (5.7, App. Fig. 12): loss with the first layer's direct path to the logits removed
 *   (all first-layer heads ablated, patterns and values preserved) and with every last-layer head ablated;
 *   reported as Δ against the clean dense-set loss at the same checkpoint and, as in the paper, against the
 *   logged train loss interpolated to the checkpoint's x.
 * - `clampProgressSpecs` (5.8, App. Fig. 10): the two eval-time clamps — (a) previous-token clamp on the PT
 *   head, other last-layer heads ablated ("composite sub-circuit" progress); (b) match clamp on the IH, other
 *   last-layer heads ablated ("copy sub-circuit" progress) — to pass to `progressCurve`.
 * - `learningTimeFromRows` (5.9): first eval x with mean `fsl_train` loss < 0.4·ln 2, else the last eval x.
 * The dense set is the `DenseEvaluator`'s (full finite set or its documented stratified subsample).
 */
import * as path from 'node:path';
import { selectBackendAsync, type BackendChoice } from '../backends/index.js';
import { parseRunConfig, type RunConfig } from '../config.js';
import { buildTask } from '../data/task.js';
import type { FeatureSource, Task } from '../data/types.js';
import { ablateAllBut, parseHead, parseInterventionSpec, type InterventionSpec } from '../interventions/spec.js';
import { learningTime } from '../metrics.js';
import { ParamStore } from '../params.js';
import { RunDir, type MetricRow } from '../store/runDir.js';
import { readSafetensors, type NamedTensor } from '../store/safetensors.js';
import { loadFeatures } from '../data/load.js';
import { modelConfigFor } from '../trainSetup.js';
import type { LossAcc } from './ablation.js';
import type { HeadLayers } from './heads.js';
import { DenseEvaluator, denseSet, type DenseSetOptions } from './denseSet.js';

/** Parameters of the checkpoint at `seqs` sequences. */
export type CheckpointLoader = (seqs: number) => Record<string, NamedTensor>;

export function runCheckpointLoader(run: RunDir): CheckpointLoader {
  return (seqs) => readSafetensors(run.checkpointFile(seqs)).tensors;
}

/**
 * `n` checkpoints evenly spaced in iteration between the first and last saved ones, each snapped to the
 * nearest saved checkpoint (duplicates removed, ascending). All of them when there are at most `n`.
 */
export function pickCheckpoints(available: readonly number[], n = 100): number[] {
  const xs = [...available].sort((a, b) => a - b);
  if (xs.length <= n) return xs;
  const lo = xs[0];
  const hi = xs[xs.length - 1];
  const out = new Set<number>();
  for (let k = 0; k < n; k++) {
    const target = lo + ((hi - lo) * k) / (n - 1);
    let best = xs[0];
    for (const x of xs) if (Math.abs(x - target) < Math.abs(best - target)) best = x;
    out.add(best);
  }
  return [...out].sort((a, b) => a - b);
}

/** A run opened for checkpoint analyses: its task, the dense set and an evaluator on the wasm backend. */
export interface AnalysisRun {
  run: RunDir;
  config: RunConfig;
  features: FeatureSource;
  task: Task;
  ev: DenseEvaluator;
  /** The run's own intervention spec (config.interventions), parsed against its model: the model it trained. */
  clamp: InterventionSpec;
  checkpoints: number[];
  load: CheckpointLoader;
}

export async function openAnalysisRun(
  dir: string,
  opts: DenseSetOptions & { chunk?: number; backend?: BackendChoice; features?: FeatureSource } = {},
): Promise<AnalysisRun> {
  const run = RunDir.open(dir);
  const config = parseRunConfig(run.readRecord().config, `${run.recordFile} config`);
  const features = opts.features ?? (await loadFeatures(config));
  const task = buildTask(config.task, features);
  const params = new ParamStore((await selectBackendAsync(opts.backend ?? 'wasm')).backend, modelConfigFor(config, features));
  // A graft donor named `${runs}/<id>/...` is a run beside this one, as in training.
  const ev = new DenseEvaluator(params, denseSet(task, features, opts, config.task), { chunk: opts.chunk, compile: { runsDir: path.dirname(path.resolve(dir)) } });
  const clamp = parseInterventionSpec(config.interventions, params.config, `${run.recordFile} config.interventions`);
  const checkpoints = run.listCheckpoints();
  const load = runCheckpointLoader(run);
  if (checkpoints.length) ev.loadTensors(load(checkpoints[checkpoints.length - 1]), run.checkpointFile(checkpoints[checkpoints.length - 1]));
  return { run, config, features, task, ev, clamp, checkpoints, load };
}

export interface ProgressPoint {
  seqs: number;
  /** Loss/accuracy under each named spec. */
  values: Record<string, LossAcc>;
  /** With `heads`: clean-model induction strength per last-layer head and previous-token scores. */
  strength?: number[];
  /** With `heads`, where some sequences have no strength (a bursty context without the query's label): how many have. */
  strengthSequences?: number;
  prevToken?: number[];
  prevTokenAtLabels?: number[];
}

/** Evaluate every named spec at every checkpoint (the parameters of `ev` are replaced as it goes). */
export function progressCurve(
  ev: DenseEvaluator,
  load: CheckpointLoader,
  checkpoints: readonly number[],
  specs: Record<string, unknown>,
  opts: { heads?: boolean; headsSpec?: unknown; layers?: HeadLayers; log?: (msg: string) => void } = {},
): ProgressPoint[] {
  const headsSpec = opts.headsSpec ?? {};
  const hopts = { heads: true, layers: opts.layers };
  for (const s of Object.values(specs)) ev.prepare(s);
  if (opts.heads) ev.prepare(headsSpec, hopts);
  return checkpoints.map((seqs, k) => {
    ev.loadTensors(load(seqs), `checkpoint ${seqs}`);
    const values: Record<string, LossAcc> = {};
    for (const [name, s] of Object.entries(specs)) {
      const r = ev.evaluate(s);
      values[name] = { loss: r.loss, acc: r.acc };
    }
    const point: ProgressPoint = { seqs, values };
    if (opts.heads) {
      const r = ev.evaluate(headsSpec, hopts);
      point.strength = r.strength;
      point.prevToken = r.prevToken;
      point.prevTokenAtLabels = r.prevTokenAtLabels;
      if (r.strengthCount! < r.n) point.strengthSequences = r.strengthCount;
    }
    opts.log?.(`checkpoint ${seqs} (${k + 1}/${checkpoints.length})`);
    return point;
  });
}

/**
 * Spec 5.1 over checkpoints: induction strength per last-layer head at each checkpoint, of the model under
 * `spec` (default none: the clean model; a clamped run's own spec gives the model it trained, whose clamped
 * patterns are the ones scored and whose ablated heads still attend, their values zeroed).
 */
export function inductionStrengthCurve(
  ev: DenseEvaluator,
  load: CheckpointLoader,
  checkpoints: readonly number[],
  spec: unknown = {},
  layers?: HeadLayers,
): { seqs: number; strength: number[]; prevToken: number[]; prevTokenAtLabels: number[]; strengthSequences?: number }[] {
  return progressCurve(ev, load, checkpoints, {}, { heads: true, headsSpec: spec, layers }).map((p) => ({
    seqs: p.seqs,
    strength: p.strength!,
    prevToken: p.prevToken!,
    prevTokenAtLabels: p.prevTokenAtLabels!,
    ...(p.strengthSequences !== undefined && { strengthSequences: p.strengthSequences }),
  }));
}

/** Spec 5.7's two manipulations for a model with `nHeads` heads per layer and `nLayers` layers. */
export function layerToOutputSpecs(nLayers: number, nHeads: number): { noL1Direct: unknown; noL2: unknown } {
  return {
    noL1Direct: { ablate: ablateAllBut(0, nHeads, []), preserve: { patterns: true, values: true } },
    noL2: { ablate: ablateAllBut(nLayers - 1, nHeads, []) },
  };
}

export interface LayerToOutputPoint {
  seqs: number;
  clean: number;
  noL1Direct: number;
  noL2: number;
  /** Δloss against the clean dense-set loss at this checkpoint. */
  dNoL1Direct: number;
  dNoL2: number;
  /** The logged train loss interpolated to `seqs` (NaN without train rows) and the Δs against it (the paper's). */
  loggedTrainLoss: number;
  dNoL1DirectVsLogged: number;
  dNoL2VsLogged: number;
}

export function layerToOutputCurve(
  ev: DenseEvaluator,
  load: CheckpointLoader,
  checkpoints: readonly number[],
  metrics: readonly MetricRow[] = [],
): LayerToOutputPoint[] {
  const cfg = ev.params.config;
  const specs = layerToOutputSpecs(cfg.nLayers, cfg.nHeads);
  const train = metrics.filter((r) => r.kind === 'train' && typeof r.loss === 'number').sort((a, b) => a.seqs - b.seqs);
  return progressCurve(ev, load, checkpoints, { clean: {}, ...specs }).map((p) => {
    const logged = interpolate(
      train.map((r) => r.seqs),
      train.map((r) => Number(r.loss)),
      p.seqs,
    );
    const { clean, noL1Direct, noL2 } = p.values;
    return {
      seqs: p.seqs,
      clean: clean.loss,
      noL1Direct: noL1Direct.loss,
      noL2: noL2.loss,
      dNoL1Direct: noL1Direct.loss - clean.loss,
      dNoL2: noL2.loss - clean.loss,
      loggedTrainLoss: logged,
      dNoL1DirectVsLogged: noL1Direct.loss - logged,
      dNoL2VsLogged: noL2.loss - logged,
    };
  });
}

/**
 * Spec 5.8's eval-time clamps for a run whose last layer keeps only `ih` (e.g. "1:3"), with `pt` the
 * first-layer previous-token head (e.g. "0:2"): other last-layer heads stay ablated in both.
 */
export function clampProgressSpecs(heads: { pt: string; ih: string }, nHeads: number): { composite: unknown; copy: unknown } {
  const ih = parseHead(heads.ih);
  const ablate = ablateAllBut(ih.layer, nHeads, [ih.head]);
  return {
    composite: { ablate, prevToken: { heads: [heads.pt], strength: 1 } },
    copy: { ablate, match: { heads: [heads.ih], strength: 1 } },
  };
}

/** Spec 5.9 from a run's metric rows: learning time of `set` (default `fsl_train`). */
export function learningTimeFromRows(rows: readonly MetricRow[], set = 'fsl_train'): { seqs: number; learned: boolean } {
  const pts = rows
    .filter((r) => r.kind === 'eval' && r.set === set && typeof r.loss === 'number')
    .map((r) => ({ seqs: r.seqs, loss: Number(r.loss) }))
    .sort((a, b) => a.seqs - b.seqs);
  return learningTime(pts);
}

/** Piecewise-linear interpolation (clamped at the ends; NaN for no points). */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (!xs.length) return NaN;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[xs.length - 1]) return ys[ys.length - 1];
  let k = 1;
  while (xs[k] < x) k++;
  const t = (x - xs[k - 1]) / (xs[k] - xs[k - 1]);
  return ys[k - 1] + t * (ys[k] - ys[k - 1]);
}
