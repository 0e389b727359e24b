/**
 * `--backend auto` by measurement: a few training steps of the run's own program on each backend that
 * can start, about a second in all, and the faster one wins. A GPU is not faster by rule: this model
 * is ~50 MFLOP per step, and tfjs-webgpu dispatches a few hundred tiny kernels per step, so a hardware
 * adapter can still lose to the wasm core's ~0.9 ms per step. The verdict is cached per machine, adapter
 * and program shape (a {@link VerdictCache}), so later runs of the same shape skip the timing.
 */
import * as os from 'node:os';
import type { Backend, BackendTiming } from '../backend.js';

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

/**
 * Where `auto` keeps its verdicts between runs (store/backendVerdicts.ts keeps them in a file), keyed by
 * {@link verdictKey}. Without one, `auto` times every run.
 */
export interface VerdictCache {
  get(key: string): BackendTiming | null;
  put(key: string, timing: BackendTiming): void;
}

/** The cache key: this machine, this adapter, this program shape. */
export function verdictKey(adapter: string, programKey: string): string {
  return `${os.hostname()} | ${os.cpus()[0]?.model ?? 'cpu'} | ${adapter} | ${programKey}`;
}

/** Measure both backends on the run's program and pick the faster (each gets half of `budgetMs`). */
export function measureBackends(wasm: Backend, webgpu: Backend, factory: StepFactory, budgetMs = 1000): BackendTiming {
  const wasmMsPerStep = timeSteps(wasm, factory, budgetMs / 2);
  const webgpuMsPerStep = timeSteps(webgpu, factory, budgetMs / 2);
  return { wasmMsPerStep, webgpuMsPerStep, picked: webgpuMsPerStep < wasmMsPerStep ? 'webgpu' : 'wasm', cached: false, measuredAt: new Date().toISOString() };
}

export const describeTiming = (t: BackendTiming): string =>
  `${t.cached ? 'cached verdict for this machine, adapter and program' : 'measured on this run\'s program'}: wasm ${t.wasmMsPerStep.toFixed(2)} ms/step, webgpu ${t.webgpuMsPerStep.toFixed(2)} ms/step`;
