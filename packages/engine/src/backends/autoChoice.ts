/**
 * `--backend auto` by measurement: a few training steps of the run's own program on each backend that
 * can start, about a second in all, and the faster one wins. A GPU is not faster by rule: this model
 * is ~50 MFLOP per step, and tfjs-webgpu dispatches a few hundred tiny kernels per step, so a hardware
 * adapter can still lose to the wasm core's ~0.9 ms per step. The verdict is cached per machine, adapter
 * and program shape, so later runs of the same shape skip the timing. Node only (the cache is a file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Backend, BackendTiming } from '../backend.js';
import { writeJsonAtomic } from '../store/atomic.js';

/** One training step of the run's program, built on `be` (allocations are released by the caller). */
export type StepFactory = (be: Backend) => () => void;

export type { BackendTiming };

/** Time steps of `factory` on `be` for about `budgetMs` (one warm-up step, then at least 3 and at most 25). */
export function timeSteps(be: Backend, factory: StepFactory, budgetMs: number): number {
  const mark = be.mark();
  try {
    const step = factory(be);
    step(); // warm-up: shader compilation, first-touch of the arena
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 3 || (times.length < 25 && performance.now() - t0 < budgetMs)) {
      const s = performance.now();
      step();
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    be.release(mark);
  }
}

/** Where verdicts are kept: OPTO_CACHE_DIR, else XDG_CACHE_HOME/optoscope, else ~/.cache/optoscope. */
export function defaultVerdictCache(): string {
  const dir = process.env.OPTO_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'optoscope');
  return path.join(dir, 'backend-verdicts.json');
}

/** The cache key: this machine, this adapter, this program shape. */
export function verdictKey(adapter: string, programKey: string): string {
  return `${os.hostname()} | ${os.cpus()[0]?.model ?? 'cpu'} | ${adapter} | ${programKey}`;
}

function readCache(file: string): Record<string, BackendTiming> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, BackendTiming>) : {};
  } catch {
    return {}; // absent or unreadable: measure again (and rewrite it whole)
  }
}

export function cachedVerdict(file: string, key: string): BackendTiming | null {
  const v = readCache(file)[key];
  return v && (v.picked === 'wasm' || v.picked === 'webgpu') && Number.isFinite(v.wasmMsPerStep) && Number.isFinite(v.webgpuMsPerStep) ? { ...v, cached: true } : null;
}

export function storeVerdict(file: string, key: string, timing: BackendTiming): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeJsonAtomic(file, { ...readCache(file), [key]: { ...timing, cached: false } });
  } catch {
    // A read-only home directory only costs the next run another second of timing.
  }
}

/** Measure both backends on the run's program and pick the faster (each gets half of `budgetMs`). */
export function measureBackends(wasm: Backend, webgpu: Backend, factory: StepFactory, budgetMs = 1000): BackendTiming {
  const wasmMsPerStep = timeSteps(wasm, factory, budgetMs / 2);
  const webgpuMsPerStep = timeSteps(webgpu, factory, budgetMs / 2);
  return { wasmMsPerStep, webgpuMsPerStep, picked: webgpuMsPerStep < wasmMsPerStep ? 'webgpu' : 'wasm', cached: false, measuredAt: new Date().toISOString() };
}

export const describeTiming = (t: BackendTiming): string =>
  `${t.cached ? 'cached verdict for this machine, adapter and program' : 'measured on this run\'s program'}: wasm ${t.wasmMsPerStep.toFixed(2)} ms/step, webgpu ${t.webgpuMsPerStep.toFixed(2)} ms/step`;
