/**
 * `opto bench --webgpu`: ms per training step (batch 32) of the webgpu backend against the wasm core,
 * in one run, when a HARDWARE adapter exists.
 *
 * A software adapter (llvmpipe, lavapipe, SwiftShader) is refused: it is a CPU emulating a GPU through
 * a shader compiler, so its milliseconds say nothing about WebGPU and would only mislead anyone who
 * compares them with the wasm core. Such adapters are for the correctness tests only.
 */
import { acquireWebGpuAdapter, createWebGpuBackend, describeAdapter, HOW_TO_GET_A_WEBGPU_ADAPTER } from '@optoscope/engine';
import { benchEngine, type EngineBenchResult } from './engineStep.js';

export interface WebGpuBenchResult {
  /** The adapter found, in words, or null. */
  adapter: string | null;
  isSoftware: boolean;
  /** Why nothing was timed (no adapter, or a software one); absent when timed. */
  refused?: string;
  webgpu?: EngineBenchResult;
  wasm?: EngineBenchResult;
}

export async function runWebGpuBench(o: { steps: number; warmup: number; log?: (s: string) => void }): Promise<WebGpuBenchResult> {
  const probe = await acquireWebGpuAdapter();
  if (!probe.adapter) return { adapter: null, isSoftware: false, refused: `no WebGPU adapter: ${probe.reason}\n${HOW_TO_GET_A_WEBGPU_ADAPTER}` };
  const adapter = probe.reason;
  if (probe.isSoftware)
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
  return { adapter, isSoftware: false, webgpu, wasm };
}

export function formatWebGpuBench(r: WebGpuBenchResult): string {
  if (r.refused) return `webgpu: not timed. ${r.refused}`;
  const w = r.webgpu!;
  const c = r.wasm!;
  return [
    `adapter: ${r.adapter}`,
    'backend          ms/step (median)   mean     loss first → last',
    `webgpu           ${w.msPerStep.toFixed(3).padStart(16)}   ${w.msPerStepMean.toFixed(3).padStart(7)}   ${w.lossFirst.toFixed(4)} → ${w.lossLast.toFixed(4)}`,
    `wasm             ${c.msPerStep.toFixed(3).padStart(16)}   ${c.msPerStepMean.toFixed(3).padStart(7)}   ${c.lossFirst.toFixed(4)} → ${c.lossLast.toFixed(4)}`,
    `webgpu / wasm: ${(w.msPerStep / c.msPerStep).toFixed(2)}x (batch 32, one run; a GPU wins on many runs at once, not on one step this small)`,
  ].join('\n');
}
