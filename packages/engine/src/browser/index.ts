/**
 * `@optoscope/engine/browser`: what a web page needs to train a run in memory and show it: configs and
 * presets, the intervention parser, the synthetic features, the reference and wasm backends (the page
 * fetches core.wasm itself), `trainInPage`, the train worker's body (the GPU worker's is in
 * `@optoscope/engine/browser-gpu`), the shared figure specs and a run-directory export. Nothing
 * imported from here may reach Node built-ins, worker_threads, DuckDB, h5wasm or bullmq; the test
 * browser.test.ts walks the built import graph to hold that.
 */
import { instantiateCore } from '@optoscope/core-wasm/core';
import type { Backend } from '../backend.js';
import { createWasmBackendOn } from '../backends/wasmCore.js';

export { ConfigError, mergeConfig, parseRunConfig, RunConfigSchema, type RunConfig, type RunConfigInput } from '../config.js';
export { DEFAULT_PRESET_HEADS, PRESETS, presetConfig, onlyHead, type Preset, type PresetHeads } from '../presets.js';
export { CLAMPS, type AnyClamp, type ClampKey } from '../interventions/clamps/index.js';
export type { Clamp, FormField, FormNumber } from '../interventions/clamps/clamp.js';
export {
  ablateAllBut,
  headLabel,
  InterventionError,
  isEmptySpec,
  parseHead,
  parseInterventionSpec,
  type InterventionSpec,
  type InterventionSpecInput,
} from '../interventions/spec.js';
export { syntheticFeatures } from '../data/synthetic.js';
export { EVAL_SET_NAMES, type FeatureSource } from '../data/types.js';
export type { Backend } from '../backend.js';
export { createReferenceBackend } from '../backends/reference.js';
export { createWasmBackendOn } from '../backends/wasmCore.js';
export { instantiateCore, type Core } from '@optoscope/core-wasm/core';
export { DEFAULT_MODEL } from '../params.js';
export { learningTime, type Metrics } from '../metrics.js';
export { headScores, type HeadScores } from '../analysis/heads.js';
export { evaluator, modelConfigFor, setupTraining } from '../trainSetup.js';
export { PauseGate, trainInPage, headPoints, type PageEval, type PageProgress, type PageRun, type PageTrainOptions } from './trainInPage.js';
export { serveTrainWorker, type PageRunSummary, type TrainWorkerBackend, type TrainWorkerEvent, type TrainWorkerRequest } from './trainWorker.js';
export { connectWebGpuDevice, type BrowserWebGpuDevice, type PortLike } from './webgpuWorkers.js';
export { acquireWebGpuAdapter, describeAdapter, type WebGpuAdapterInfo, type WebGpuAdapterProbe } from '../backends/webgpuAdapter.js';
export { checkpointName, metricsJsonl, pageRunFiles, pageRunRecord, type PageRunInfo } from './runFiles.js';
export { encodeSafetensorsWeb, type NamedTensor } from '../store/safetensorsCodec.js';
export { paramTensors } from '../store/paramIO.js';
export { LN2, evalSetLabel, type TopLevelSpec } from '../figures/common.js';
export { lossCurvesSpec, type LossCurvesOptions } from '../figures/lossCurves.js';
export { headCurvesSpec, type HeadCurvesOptions, type HeadPoint } from '../figures/heads.js';
export type { MetricRow, RunRecord } from '../store/runDir.js';

/**
 * Compile the wasm core from a URL serving build/core.wasm (the dashboard serves it at /train/core.wasm).
 * Compile once; `wasmBackend(module)` gives each run its own instance and memory.
 */
export async function compileWasmCore(url: string): Promise<WebAssembly.Module> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load the wasm core from ${url}: HTTP ${res.status}`);
  const WA = (globalThis as unknown as { WebAssembly: { compile(b: ArrayBuffer): Promise<WebAssembly.Module> } }).WebAssembly;
  return WA.compile(await res.arrayBuffer());
}

export function wasmBackend(module: WebAssembly.Module): Backend {
  return createWasmBackendOn(instantiateCore(module));
}
