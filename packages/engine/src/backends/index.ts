/**
 * Backend selection. `auto` times the run's own training step on the wasm SIMD core and on WebGPU when a
 * hardware adapter exists, and takes the faster (autoChoice.ts; the verdict is cached per machine,
 * adapter and program); without a program to time it prefers a hardware adapter. A software adapter is
 * skipped without timing (it is known to be slower), unless OPTO_AUTO_TIME_SOFTWARE=1. The choice, the
 * reason and both timings are recorded in run.json.
 *
 * WebGPU can only be found and started asynchronously, so `selectBackendAsync` is the full selection;
 * `selectBackend` (synchronous) serves wasm and reference and treats `auto` as wasm without probing.
 */
import { instantiateCore } from '@optoscope/core-wasm';
import type { Backend } from '../backend.js';
import { describeTiming, measureBackends, verdictKey, type BackendTiming, type StepFactory, type VerdictCache } from './autoChoice.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';
import { hardwareGpuPossible } from './gpuDeviceNodes.js';
import { acquireWebGpuAdapter, describeAdapter, type WebGpuAdapterProbe } from './webgpuAdapter.js';
import { createWebGpuBackend, openWebGpuDevice } from './webgpu.js';

export type BackendChoice = 'auto' | 'wasm' | 'reference' | 'webgpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'reference', 'webgpu'];

export interface SelectedBackend {
  backend: Backend;
  requested: BackendChoice;
  reason: string;
  /** Something the user should see (e.g. a forced webgpu on a software adapter). */
  warning?: string;
  /**
   * Frees what the backend holds outside the heap (webgpu: its GPU worker and device). Call it when
   * done; a device opened in a worker thread must be released before that thread ends (webgpu.ts).
   */
  release?: () => Promise<void>;
  /** `auto` between wasm and webgpu: both step times and the pick. */
  timing?: BackendTiming;
}

/** What `auto` may time: the run's training step, and where its verdicts are cached. */
export interface AutoOptions {
  /** Builds one training step of the run's program on a backend; without it `auto` decides by rule. */
  measure?: StepFactory;
  /** The program's shape (model, batch, clamps): part of the cache key. */
  programKey?: string;
  /** Time a software adapter too instead of skipping it by rule (default: OPTO_AUTO_TIME_SOFTWARE=1). */
  timeSoftwareAdapters?: boolean;
  /** Verdicts kept between runs (train() passes the per-user file, store/backendVerdicts.ts); none: time every run. */
  verdicts?: VerdictCache;
  /** Timing budget for both backends together, ms (default 1000). */
  budgetMs?: number;
}

const unknown = (requested: string) => new Error(`unknown backend '${requested}' (expected ${BACKEND_CHOICES.join(', ')})`);

/** `coreModule`: an already-compiled core-wasm module to instantiate (shared by worker threads). */
export function selectBackend(requested: BackendChoice, coreModule?: WebAssembly.Module): SelectedBackend {
  const wasm = () => createWasmBackend(coreModule ? instantiateCore(coreModule) : undefined);
  switch (requested) {
    case 'reference':
      return { backend: createReferenceBackend(), requested, reason: 'requested: float64 reference (slow; the test oracle)' };
    case 'wasm':
      return { backend: wasm(), requested, reason: 'requested: wasm SIMD core' };
    case 'auto':
      return { backend: wasm(), requested, reason: 'auto (synchronous selection, WebGPU not probed): using the wasm SIMD core' };
    case 'webgpu':
      throw new Error("backend 'webgpu' starts asynchronously: select it with selectBackendAsync");
    default:
      throw unknown(requested as string);
  }
}

let probe: Promise<WebGpuAdapterProbe> | null = null;
/** The adapter probe, once per process (it loads Dawn and asks for adapters: ~0.3 s). */
function probeOnce(): Promise<WebGpuAdapterProbe> {
  probe ??= acquireWebGpuAdapter();
  return probe;
}

/** The full selection, WebGPU included. Never fails for `auto`: any WebGPU trouble falls back to wasm, with the reason. */
export async function selectBackendAsync(requested: BackendChoice, coreModule?: WebAssembly.Module, auto: AutoOptions = {}): Promise<SelectedBackend> {
  if (requested === 'webgpu') {
    const dev = await openWebGpuDevice(); // throws, with how to get an adapter, when there is none
    const sel: SelectedBackend = { backend: dev.createBackend(), requested, reason: `requested: webgpu on the ${dev.reason}`, release: () => dev.close() };
    if (dev.isSoftware)
      sel.warning = `webgpu is running on a software adapter (${describeAdapter(dev.info)}): results are correct but far slower than the wasm core; use it for correctness checks only`;
    return sel;
  }
  if (requested !== 'auto') return selectBackend(requested, coreModule);
  const wasm = (why: string): SelectedBackend => ({ ...selectBackend('wasm', coreModule), requested, reason: `auto: ${why}; using the wasm SIMD core` });
  const timeSoftware = auto.timeSoftwareAdapters ?? process.env.OPTO_AUTO_TIME_SOFTWARE === '1';
  let found: WebGpuAdapterProbe;
  try {
    if (!timeSoftware) {
      const hw = await hardwareGpuPossible();
      if (!hw.possible) return wasm(`no hardware WebGPU adapter is possible: ${hw.why}`);
    }
    found = await probeOnce();
  } catch (e) {
    return wasm(`the WebGPU probe failed (${(e as Error).message})`);
  }
  if (!found.adapter) return wasm(`no WebGPU adapter (${found.reason})`);
  if (found.isSoftware && !timeSoftware)
    return wasm(`the only WebGPU adapter is a software one (${describeAdapter(found.info)}), slower than the wasm core on the same CPU (not timed; OPTO_AUTO_TIME_SOFTWARE=1 times it)`);
  const key = verdictKey(describeAdapter(found.info), auto.programKey ?? 'any program');
  const cached = auto.verdicts?.get(key) ?? null;
  if (cached?.picked === 'wasm') return { ...wasm(describeTiming(cached)), timing: cached };
  let dev;
  try {
    dev = await openWebGpuDevice();
  } catch (e) {
    return wasm(`a WebGPU adapter (${describeAdapter(found.info)}) exists but the webgpu backend failed to start: ${(e as Error).message}`);
  }
  const gpu: SelectedBackend = { backend: dev.createBackend(), requested, reason: `auto: WebGPU on the ${found.reason}`, release: () => dev.close() };
  if (cached) return { ...gpu, reason: `${gpu.reason} (${describeTiming(cached)})`, timing: cached };
  if (!auto.measure) return { ...gpu, reason: `${gpu.reason} (a hardware adapter; no program to time)` };
  const cpu = selectBackend('wasm', coreModule);
  let timing: BackendTiming;
  try {
    timing = measureBackends(cpu.backend, gpu.backend, auto.measure, auto.budgetMs);
  } catch (e) {
    await dev.close();
    return wasm(`timing the webgpu backend failed (${(e as Error).message})`);
  }
  auto.verdicts?.put(key, timing);
  if (timing.picked === 'webgpu') return { ...gpu, reason: `${gpu.reason}, faster here (${describeTiming(timing)})`, timing };
  await dev.close();
  return { ...cpu, requested, reason: `auto: the wasm SIMD core, faster here than WebGPU on the ${found.reason} (${describeTiming(timing)})`, timing };
}

export { createReferenceBackend, createWasmBackend, createWebGpuBackend };
