/**
 * Batched runs: R runs of one sweep that differ only in their seeds (init and training stream), trained
 * together, one device step per optimizer step, with the runs as a leading batch dimension of every
 * kernel (webgpu's `createBatchedBackend`). The model, the clamps and Adam are the engine's own, traced
 * once; only the host I/O is per run: each run's initial parameters and each run's batch are written
 * into its replica, and the R losses come back in one read.
 *
 * This is where a GPU should win on a model this small: one step of one run is a few hundred tiny
 * kernels, far too little work to fill a GPU, while R runs make each kernel R times larger at about the
 * same launch cost. `opto bench --batched-runs N` measures it (hardware adapters only).
 */
import { performance } from 'node:perf_hooks';
import {
  Adam,
  acquireWebGpuAdapter,
  allocBatch,
  buildModel,
  buildTask,
  compileInterventions,
  DEFAULT_MODEL,
  DeferredStepStats,
  defaultTaskConfig,
  describeAdapter,
  HOW_TO_GET_A_WEBGPU_ADAPTER,
  openWebGpuDevice,
  ParamStore,
  parseInterventionSpec,
  Rng,
  syntheticFeatures,
  trainDistribution,
  type Backend,
  type BatchedRunsBackend,
  type ModelConfig,
  type SequenceBatch,
} from '@optoscope/engine';
import { benchEngine } from './engineStep.js';
import { SOFTWARE_FIGURES } from './softwareFigures.js';

export interface BatchedRunsOptions {
  /** The backend to train on: a webgpu batched backend (R = be.runs), or any backend for R = 1. */
  be: Backend;
  /** Init and training-stream seeds, one pair per run (length R). */
  seeds: { init: number; train: number }[];
  batch: number;
  model?: ModelConfig;
  /** One intervention spec shared by every run (a graft's donor is written into every run's replica). */
  interventions?: unknown;
  lr?: number;
}

export interface BatchedRuns {
  readonly runs: number;
  /** One optimizer step of every run; returns each run's batch loss (before the update). */
  step(): number[];
  /**
   * One optimizer step whose loss and gradient norm stay on the device (as a batched sweep trains), read
   * back every `every` steps: returns every run's losses of those steps at a read, else null.
   */
  stepDeferred(every: number): number[][] | null;
}

/** The training distribution of `opto bench` (synthetic default, 50 training classes). */
function benchDistribution() {
  const features = syntheticFeatures({ seed: 0, nClasses: 200 });
  const task = buildTask({ ...defaultTaskConfig(), classSplit: [50, 50, 100] }, features);
  return trainDistribution(task, features);
}

export function batchedRuns(o: BatchedRunsOptions): BatchedRuns {
  const be = o.be;
  const batched = 'runs' in be ? (be as BatchedRunsBackend) : null;
  const R = batched?.runs ?? 1;
  if (o.seeds.length !== R) throw new Error(`batchedRuns: ${o.seeds.length} seed pairs for a backend of ${R} runs`);
  const cfg = o.model ?? DEFAULT_MODEL;
  const dist = benchDistribution();
  const params = new ParamStore(be, cfg);
  // Each run's own initial parameters into its replica (ParamStore.init writes through the backend).
  o.seeds.forEach((s, r) => {
    if (batched) batched.hostRun = r;
    params.init(s.init);
  });
  if (batched) batched.hostRun = null;
  const adam = new Adam(params, { lr: o.lr ?? 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const passes = compileInterventions(parseInterventionSpec(o.interventions, cfg), params);
  const model = buildModel(params, { batch: o.batch, nItems: dist.items.length, training: true, passes });
  model.setFeatures(dist.itemFeatures); // shared by every run: written to all replicas
  const rngs = o.seeds.map((s) => new Rng(s.train));
  const batches: SequenceBatch[] = o.seeds.map(() => allocBatch(o.batch));
  const deviceStep = () => {
    batches.forEach((b, r) => {
      dist.sample(rngs[r], b);
      if (batched) batched.hostRun = r;
      model.setBatch(b);
    });
    if (batched) batched.hostRun = null;
    model.program.forward();
    params.zeroGrads();
    model.program.backward();
    adam.step();
  };
  let stats: DeferredStepStats | null = null;
  return {
    runs: R,
    stepDeferred(every) {
      if (!batched) throw new Error('batchedRuns: deferred reads need a webgpu batched backend');
      stats ??= new DeferredStepStats(batched, model.loss.buf, params.grads, params.total, every);
      deviceStep();
      stats.record();
      return stats.full ? stats.drain().loss : null;
    },
    step() {
      deviceStep();
      const losses = batched ? batched.readRuns(model.loss.buf, 0, 1) : be.read(model.loss.buf, undefined, 0, 1);
      return Array.from(losses);
    },
  };
}

export interface BatchedRunsBenchResult {
  adapter: string | null;
  runs: number;
  refused?: string;
  /** Timed on a software adapter on request (`--software`): a pipeline check, never GPU speed. */
  softwareFigures?: boolean;
  /** R runs in one device step: ms per step of all runs and sequences/s over all runs. */
  webgpu?: { msPerStep: number; seqsPerSec: number };
  /** One run on the wasm core, for comparison: sequences/s. */
  wasm?: { msPerStep: number; seqsPerSec: number };
}

export async function runBatchedRunsBench(o: { runs: number; steps: number; warmup: number; software?: boolean; log?: (s: string) => void }): Promise<BatchedRunsBenchResult> {
  const B = 32;
  const probe = await acquireWebGpuAdapter();
  if (!probe.adapter) return { adapter: null, runs: o.runs, refused: `no WebGPU adapter: ${probe.reason}\n${HOW_TO_GET_A_WEBGPU_ADAPTER}` };
  if (probe.isSoftware && !o.software)
    return {
      adapter: probe.reason,
      runs: o.runs,
      refused: `refusing to time a software adapter (${describeAdapter(probe.info)}): it is this CPU emulating a GPU, so sequences/s would measure a shader emulator, not WebGPU. Run it on a machine with a GPU.`,
    };
  const dev = await openWebGpuDevice();
  try {
    o.log?.(`${o.runs} runs in one device step on the ${probe.reason}...`);
    const runs = batchedRuns({ be: dev.createBatchedBackend(o.runs), seeds: Array.from({ length: o.runs }, (_, r) => ({ init: 5 + r, train: 1000 + r })), batch: B });
    for (let s = 0; s < o.warmup; s++) runs.step();
    const t0 = performance.now();
    for (let s = 0; s < o.steps; s++) runs.step();
    const ms = (performance.now() - t0) / o.steps;
    o.log?.('one run on the wasm core...');
    const wasm = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup });
    return {
      adapter: probe.reason,
      runs: o.runs,
      ...(probe.isSoftware && { softwareFigures: true }),
      webgpu: { msPerStep: ms, seqsPerSec: (o.runs * B * 1000) / ms },
      wasm: { msPerStep: wasm.msPerStep, seqsPerSec: (B * 1000) / wasm.msPerStep },
    };
  } finally {
    await dev.close();
  }
}

export function formatBatchedRunsBench(r: BatchedRunsBenchResult): string {
  if (r.refused) return `batched runs (${r.runs}): not timed. ${r.refused}`;
  const w = r.webgpu!;
  const c = r.wasm!;
  return [
    ...(r.softwareFigures ? [SOFTWARE_FIGURES] : []),
    `adapter: ${r.adapter}`,
    `webgpu, ${r.runs} runs per device step: ${w.msPerStep.toFixed(3)} ms/step, ${Math.round(w.seqsPerSec).toLocaleString('en-US')} sequences/s`,
    `wasm, one run per thread:       ${c.msPerStep.toFixed(3)} ms/step, ${Math.round(c.seqsPerSec).toLocaleString('en-US')} sequences/s`,
    `webgpu / wasm throughput: ${(w.seqsPerSec / c.seqsPerSec).toFixed(2)}x (batch 32 per run)`,
  ].join('\n');
}
