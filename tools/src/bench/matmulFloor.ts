/**
 * The matrix-product floor of a training step: every matmul one engine step calls (recorded through the
 * backend), timed again on its own at the same shapes with warm operands (best of several rounds) and summed.
 * No change outside the GEMM can take the step below it; it tells whether a speed target is reachable with
 * the wasm core's 128-bit SIMD GEMM at all (README "Benchmarks", issue 23's `mlp4-d128`).
 */
import { selectBackend, type Backend, type ModelConfig } from '@optoscope/engine';
import { benchEngine } from './engineStep.js';

type MatmulKind = 'matmulNT' | 'matmulNN' | 'matmulTN';
const KINDS: readonly MatmulKind[] = ['matmulNT', 'matmulNN', 'matmulTN'];

export interface MatmulCall {
  kind: MatmulKind;
  M: number;
  N: number;
  K: number;
  acc: boolean;
  /** Calls of this shape per step. */
  count: number;
}

/** The matmuls of one training step of `model` on the bench's task (engineStep.ts), grouped by shape. */
export function recordStepMatmuls(model: ModelConfig): MatmulCall[] {
  const be = selectBackend('wasm').backend;
  const calls = new Map<string, MatmulCall>();
  let recording = false;
  const recorder: Backend = { ...be };
  for (const kind of KINDS) {
    recorder[kind] = (C, A, B, M, N, K, acc) => {
      if (recording) {
        const key = `${kind} ${M} ${N} ${K} ${acc}`;
        const c = calls.get(key) ?? { kind, M, N, K, acc, count: 0 };
        c.count++;
        calls.set(key, c);
      }
      be[kind](C, A, B, M, N, K, acc);
    };
  }
  // Building the program and initialising parameters call no matmul, so with no warm-up every recorded
  // call belongs to the one step.
  recording = true;
  benchEngine({ backend: 'wasm', instance: recorder, steps: 1, warmup: 0, model });
  recording = false;
  return [...calls.values()];
}

export interface MatmulFloor {
  calls: number;
  /** Floating-point operations of the step's matmuls (2·M·N·K each), in GFLOP. */
  gflop: number;
  /** Their summed CPU time alone, ms per step, and the rate that implies. */
  ms: number;
  gflops: number;
}

/**
 * Times each recorded shape alone on fresh random operands and sums over the step: the process CPU time of
 * rounds of ~5 ms each, best of `rounds` (CPU time, like the step bench's ratio: on shared cores wall time
 * also counts the time the process waited for a core).
 */
export function timeMatmuls(calls: readonly MatmulCall[], rounds = 7): MatmulFloor {
  const be = selectBackend('wasm').backend;
  const size = Math.max(...calls.flatMap((c) => [c.M * c.K, c.K * c.N, c.M * c.N]));
  const rand = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const [A, B, C] = [be.allocF(size), be.allocF(size), be.allocF(size)];
  for (const x of [A, B, C]) be.write(x, rand);
  let ms = 0;
  let flop = 0;
  for (const c of calls) {
    const f = 2 * c.M * c.N * c.K;
    const reps = Math.max(3, Math.ceil(2e8 / f));
    const run = () => be[c.kind](C, A, B, c.M, c.N, c.K, c.acc);
    for (let r = 0; r < reps; r++) run(); // tier-up and warm caches
    let best = Infinity;
    for (let round = 0; round < rounds; round++) {
      const c0 = process.cpuUsage();
      for (let r = 0; r < reps; r++) run();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1000 / reps);
    }
    ms += best * c.count;
    flop += f * c.count;
  }
  return { calls: calls.reduce((a, c) => a + c.count, 0), gflop: flop / 1e9, ms, gflops: flop / 1e6 / ms };
}

export function matmulFloor(model: ModelConfig): MatmulFloor {
  return timeMatmuls(recordStepMatmuls(model));
}
