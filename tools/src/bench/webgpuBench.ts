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
import { acquireWebGpuAdapter, createWebGpuBackend, describeAdapter, HOW_TO_GET_A_WEBGPU_ADAPTER } from '@optoscope/engine';
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
  wasm?: EngineBenchResult;
}

export const SOFTWARE_FIGURES = 'SOFTWARE ADAPTER: these figures time a CPU emulating a GPU; they check the pipeline and are not GPU speed';

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
  o.log?.('wasm...');
  const wasm = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup });
  return { adapter, isSoftware: probe.isSoftware, ...(probe.isSoftware && { softwareFigures: true }), webgpu, wasm };
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
    `wasm             ${c.msPerStep.toFixed(3).padStart(16)}   ${c.msPerStepMean.toFixed(3).padStart(7)}   ${c.lossFirst.toFixed(4)} → ${c.lossLast.toFixed(4)}`,
    `webgpu / wasm: ${(w.msPerStep / c.msPerStep).toFixed(2)}x (batch 32, one run; a GPU wins on many runs at once, not on one step this small)`,
  ].join('\n');
}
