/**
 * Times one training step of the Optoscope engine exactly as `train` runs it: the training distribution
 * of the synthetic default (50 classes, exemplar 0), batch 32, sample → forward → backward → Adam.
 */
import { performance } from 'node:perf_hooks';
import {
  Adam,
  buildModel,
  makeTrainStep,
  buildTask,
  compileInterventions,
  DEFAULT_MODEL,
  defaultTaskConfig,
  ParamStore,
  parseInterventionSpec,
  Rng,
  selectBackend,
  syntheticFeatures,
  trainDistribution,
  type Backend,
  type BackendChoice,
  type ModelConfig,
} from '@optoscope/engine';

export interface EngineBenchResult {
  name: string;
  msPerStep: number;
  msPerStepMean: number;
  /**
   * Median CPU time of this process per step (user + system): on a machine whose cores are shared by
   * other jobs it moves far less than wall time, which includes the time the step waited for a core.
   */
  cpuMsPerStep: number;
  lossFirst: number;
  lossLast: number;
}

export function benchEngine(opts: {
  backend: BackendChoice;
  steps: number;
  warmup: number;
  batch?: number;
  /** An intervention spec to train under (spec 4). */
  interventions?: unknown;
  /** An already-started backend (webgpu starts asynchronously), used instead of selecting `backend`. */
  instance?: Backend;
  /** The model (default the paper's); its featureDim and numLabels must be the bench task's 512 and 5. */
  model?: ModelConfig;
}): EngineBenchResult & { passes: number; params: number } {
  const modelConfig = opts.model ?? DEFAULT_MODEL;
  const B = opts.batch ?? 32;
  const features = syntheticFeatures({ seed: 0, nClasses: 200 });
  const task = buildTask({ ...defaultTaskConfig(), classSplit: [50, 50, 100] }, features);
  const backend = opts.instance ?? selectBackend(opts.backend).backend;
  const params = new ParamStore(backend, modelConfig);
  params.init(5);
  const adam = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const dist = trainDistribution(task, features);
  const passes = compileInterventions(parseInterventionSpec(opts.interventions, modelConfig), params);
  const model = buildModel(params, { batch: B, nItems: dist.items.length, training: true, passes });
  model.setFeatures(dist.itemFeatures);
  const step = makeTrainStep(model, adam, dist, new Rng(0));
  const times: number[] = [];
  const cpu: number[] = [];
  let lossFirst = NaN;
  let loss = NaN;
  for (let s = 0; s < opts.warmup + opts.steps; s++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = step.run();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (s === 0) lossFirst = loss;
    if (s >= opts.warmup) (times.push(dt), cpu.push((c.user + c.system) / 1000));
  }
  times.sort((a, b) => a - b);
  return {
    name: `optoscope-${backend.name}`,
    msPerStep: times[Math.floor(times.length / 2)],
    msPerStepMean: times.reduce((a, b) => a + b, 0) / times.length,
    cpuMsPerStep: cpu.sort((a, b) => a - b)[Math.floor(cpu.length / 2)],
    lossFirst,
    lossLast: loss,
    passes: passes.length,
    params: params.total,
  };
}
