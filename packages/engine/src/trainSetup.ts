/**
 * What a run trains, built from its config: parameters (initialised from the init seed), Adam, the
 * intervention passes, the training program, the train-stream RNG and one evaluator per fixed eval set.
 * Shared by `train()` (Node, run directory) and `trainInPage()` (browser, in memory) so both build exactly
 * the same model with the same clamps and draw the same batches. No Node imports here.
 */
import type { Backend, Buf } from './backend.js';
import type { RunConfig } from './config.js';
import { taskData } from './data/tasks/index.js';
import { taskPositions } from './data/tasks/positions.js';
import type { Distribution, EvalSet, FeatureSource, Task } from './data/types.js';
import { compilePasses, type PassOptions } from './interventions/passes.js';
import { parseInterventionSpec } from './interventions/spec.js';
import type { Metrics } from './metrics.js';
import type { MetricRow } from './store/runDir.js';
import { evalMetrics } from './metrics.js';
import { buildModel, type ModelProgram, type PassPlan } from './model.js';
import { Adam } from './optim.js';
import { runModelConfig } from './modelConfig.js';
import { ParamStore, type ModelConfig } from './params.js';
import { Rng } from './rng.js';
import { makeTrainStep, type TrainStep } from './trainStep.js';

export function modelConfigFor(cfg: RunConfig, features: FeatureSource): ModelConfig {
  return runModelConfig(cfg, features.dim);
}

/** A forward-only program over one fixed eval set, built once per run. */
export interface Evaluator {
  set: EvalSet;
  /** Forward, read the logits, score them. */
  run: () => Metrics;
  /** The forward alone, and where its logits land ([batch, numLabels]): a batched backend reads every run's at once. */
  forward: () => void;
  logits: Buf;
}

export function evaluator(params: ParamStore, set: EvalSet, passes?: PassPlan[]): Evaluator {
  const m: ModelProgram = buildModel(params, { batch: set.batch.size, seqLen: set.batch.layout?.seqLen, nItems: set.distribution.items.length, training: false, passes });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  const L = params.config.numLabels;
  const logits = new Float64Array(set.batch.size * L);
  return {
    set,
    forward: () => m.program.forward(),
    logits: m.queryLogits.buf,
    run() {
      m.program.forward();
      params.be.read(m.queryLogits.buf, logits);
      return evalMetrics(logits, set.batch, L);
    },
  };
}

export interface TrainingSetup {
  modelCfg: ModelConfig;
  params: ParamStore;
  adam: Adam;
  passes: PassPlan[];
  evalSets: EvalSet[];
  evaluators: Evaluator[];
  rng: Rng;
  trainStep: TrainStep;
  /** The training program and its distribution (a batched sweep drives them itself, one batch per run). */
  trainModel: ModelProgram;
  dist: Distribution;
}

/** Build a run's training state on `be` (`passOpts.loadDonor` reads graft donors where there is a filesystem). */
export function setupTraining(cfg: RunConfig, task: Task, features: FeatureSource, be: Backend, passOpts: PassOptions = {}): TrainingSetup {
  const modelCfg = modelConfigFor(cfg, features);
  const params = new ParamStore(be, modelCfg);
  params.init(cfg.seeds.init);
  const adam = new Adam(params, cfg.optim);
  // The same intervention passes drive training and evaluation (spec 3.2, pitfall 9).
  const spec = parseInterventionSpec(cfg.interventions, modelCfg, 'config.interventions');
  const passes = compilePasses(spec, params, { ...passOpts, positions: taskPositions(cfg.task) });
  // The task picks the distributions (the paper's own sampler and eval sets unless config.task says otherwise).
  const { train: dist, evalSets, seqLen } = taskData(cfg.task, task, features, cfg.seeds.eval, cfg.schedule.evalSize);
  const trainModel = buildModel(params, { batch: cfg.optim.batchSize, seqLen, nItems: dist.items.length, training: true, passes });
  trainModel.setFeatures(dist.itemFeatures);
  const evaluators = evalSets.map((set) => evaluator(params, set, passes));
  const rng = new Rng(cfg.seeds.train);
  const trainStep = makeTrainStep(trainModel, adam, dist, rng);
  return { modelCfg, params, adam, passes, evalSets, evaluators, rng, trainStep, trainModel, dist };
}

/** The eval/checkpoint schedule (spec 3.2): the first multiple of `every` above `x`. */
// Function declarations, not arrow constants: Stryker 9.6's vitest runner activates a module-level (static)
// mutant too late and reports it survived (stryker-js #6144), which an arrow constant's own mutant would be.
export function nextMultiple(x: number, every: number): number {
  return (Math.floor(x / every) + 1) * every;
}

/**
 * The eval and checkpoint points (spec 3.2) as a training loop meets them: `due(seqs)` says which fall at
 * `seqs` (each point once). A fresh run evaluates and checkpoints at 0; a resumed one from the next multiple.
 */
export function evalCheckpointSchedule(s: { evalEvery: number; ckptEvery: number | null }, seqs: number, resumed: boolean) {
  let nextEval = resumed ? nextMultiple(seqs, s.evalEvery) : 0;
  let nextCkpt = s.ckptEvery === null ? Infinity : resumed ? nextMultiple(seqs, s.ckptEvery) : 0;
  return {
    due(x: number): { evaluate: boolean; checkpoint: boolean } {
      const evaluate = x >= nextEval;
      if (evaluate) nextEval = nextMultiple(x, s.evalEvery);
      const checkpoint = x >= nextCkpt;
      if (checkpoint) nextCkpt = nextMultiple(x, s.ckptEvery!);
      return { evaluate, checkpoint };
    },
  };
}

/** Sums of the train loss and gradient norm over the steps since the last eval point. */
export interface TrainWindow {
  loss: number;
  gradNorm: number;
  n: number;
}

export function emptyWindow(): TrainWindow {
  return { loss: 0, gradNorm: 0, n: 0 };
}

/**
 * One eval point's metric rows as every training loop writes them: the train window's means (if any
 * steps ran since the last point), then each eval set's metrics.
 */
export function evalPointRows(
  evaluators: readonly { set: EvalSet; run: () => Metrics }[],
  seqs: number,
  step: number,
  win: TrainWindow,
): { metrics: Record<string, Metrics>; rows: MetricRow[] } {
  const metrics: Record<string, Metrics> = {};
  const rows: MetricRow[] = [];
  if (win.n > 0) rows.push({ kind: 'train', seqs, step, loss: win.loss / win.n, grad_norm: win.gradNorm / win.n, steps: win.n });
  for (const ev of evaluators) {
    metrics[ev.set.name] = ev.run();
    rows.push({ kind: 'eval', seqs, step, set: ev.set.name, ...metrics[ev.set.name] });
  }
  return { metrics, rows };
}
