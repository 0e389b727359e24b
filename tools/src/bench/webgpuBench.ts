/**
 * `opto bench --webgpu`: ms per training step (batch 32) of the webgpu backend against the wasm core,
 * in one run, when a HARDWARE adapter exists.
 *
 * A software adapter (llvmpipe, lavapipe, SwiftShader) is refused: it is a CPU emulating a GPU through
 * a shader compiler, so its milliseconds say nothing about WebGPU and would only mislead anyone who
 * compares them with the wasm core. Such adapters are for the correctness tests only. `software: true`
 * (`--software`) times one anyway, to check the pipeline end to end (tools/gpu-check.sh without a GPU);
 * the result then says, in its text and its JSON, that these are software-adapter figures, not GPU speed.
 */
import { performance } from 'node:perf_hooks';
import { acquireWebGpuAdapter, createWebGpuBackend, describeAdapter, HOW_TO_GET_A_WEBGPU_ADAPTER, openWebGpuDevice, READ_EVERY_STEPS } from '@optoscope/engine';
import { batchedRuns } from './batchedRuns.js';
import { SOFTWARE_FIGURES } from './softwareFigures.js';
import { benchEngine, type EngineBenchResult } from './engineStep.js';

export interface WebGpuBenchResult {
  /** The adapter found, in words, or null. */
  adapter: string | null;
  isSoftware: boolean;
  /** Timed on a software adapter on request: a pipeline check, never GPU speed. */
  softwareFigures?: boolean;
  /** Why nothing was timed (no adapter, or a software one); absent when timed. */
  refused?: string;
  webgpu?: EngineBenchResult;
  /**
   * The same step with the loss and gradient norm kept on the device and read every `readEvery` steps
   * (as a batched sweep trains, here one run): mean ms per step over whole read windows.
   */
  deferred?: { msPerStep: number; readEvery: number; lossFirst: number; lossLast: number };
  wasm?: EngineBenchResult;
}


export async function runWebGpuBench(o: { steps: number; warmup: number; software?: boolean; log?: (s: string) => void }): Promise<WebGpuBenchResult> {
  const probe = await acquireWebGpuAdapter();
  if (!probe.adapter) return { adapter: null, isSoftware: false, refused: `no WebGPU adapter: ${probe.reason}\n${HOW_TO_GET_A_WEBGPU_ADAPTER}` };
  const adapter = probe.reason;
  if (probe.isSoftware && !o.software)
    return {
      adapter,
      isSoftware: true,
      refused:
        `refusing to time a software adapter (${describeAdapter(probe.info)}): it is this CPU emulating a GPU, ` +
        'so its ms/step measures a shader emulator, not WebGPU, and is no fair comparison with the wasm core. ' +
        'It serves the correctness tests (conformance and 200-step parity) only; run the bench on a machine with a GPU.',
    };
  o.log?.(`webgpu on the ${adapter}...`);
  // Each step reads its loss back (as `train` does), so a step's time includes the device round trip.
  const webgpu = benchEngine({ backend: 'webgpu', instance: await createWebGpuBackend(), steps: o.steps, warmup: o.warmup });
  o.log?.(`webgpu, statistics read every ${READ_EVERY_STEPS} steps...`);
  const deferred = await benchDeferred(o.steps, o.warmup);
  o.log?.('wasm...');
  const wasm = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup });
  return { adapter, isSoftware: probe.isSoftware, ...(probe.isSoftware && { softwareFigures: true }), webgpu, deferred, wasm };
}

/** benchEngine's run (init seed 5, stream 0, lr 1e-3) with deferred reads; whole windows of READ_EVERY_STEPS. */
async function benchDeferred(steps: number, warmup: number): Promise<NonNullable<WebGpuBenchResult['deferred']>> {
  const k = READ_EVERY_STEPS;
  const dev = await openWebGpuDevice();
  try {
    const run = batchedRuns({ be: dev.createBatchedBackend(1), seeds: [{ init: 5, train: 0 }], batch: 32 });
    const losses: number[] = [];
    const window = () => {
      let got: number[][] | null = null;
      while (!got) got = run.stepDeferred(k);
      losses.push(...got[0]);
    };
    for (let s = 0; s < Math.max(1, Math.ceil(warmup / k)); s++) window();
    const windows = Math.max(1, Math.ceil(steps / k));
    const t0 = performance.now();
    for (let s = 0; s < windows; s++) window();
    return { msPerStep: (performance.now() - t0) / (windows * k), readEvery: k, lossFirst: losses[0], lossLast: losses.at(-1)! };
  } finally {
    await dev.close();
  }
}

export function formatWebGpuBench(r: WebGpuBenchResult): string {
  if (r.refused) return `webgpu: not timed. ${r.refused}`;
  const w = r.webgpu!;
  const c = r.wasm!;
  return [
    ...(r.softwareFigures ? [SOFTWARE_FIGURES] : []),
    `adapter: ${r.adapter}`,
    'backend          ms/step (median)   mean     loss first → last',
    `webgpu           ${w.msPerStep.toFixed(3).padStart(16)}   ${w.msPerStepMean.toFixed(3).padStart(7)}   ${w.lossFirst.toFixed(4)} → ${w.lossLast.toFixed(4)}`,
    ...(r.deferred
      ? [`webgpu, read/${String(r.deferred.readEvery).padEnd(2)} ${'-'.padStart(13)}   ${r.deferred.msPerStep.toFixed(3).padStart(7)}   ${r.deferred.lossFirst.toFixed(4)} → ${r.deferred.lossLast.toFixed(4)} (loss read every ${r.deferred.readEvery} steps)`]
      : []),
    `wasm             ${c.msPerStep.toFixed(3).padStart(16)}   ${c.msPerStepMean.toFixed(3).padStart(7)}   ${c.lossFirst.toFixed(4)} → ${c.lossLast.toFixed(4)}`,
    `webgpu / wasm: ${(w.msPerStep / c.msPerStep).toFixed(2)}x (batch 32, one run; a GPU wins on many runs at once, not on one step this small)`,
    ...(r.deferred
      ? [
          `means (the deferred reads come once per window): webgpu / wasm ${(w.msPerStepMean / c.msPerStepMean).toFixed(2)}x, webgpu read every ${r.deferred.readEvery} steps / wasm ${(r.deferred.msPerStep / c.msPerStepMean).toFixed(2)}x`,
        ]
      : []),
  ].join('\n');
}
