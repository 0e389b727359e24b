/**
 * `opto bench`: ms per training step of the engine against the same model in peers, all in one process
 * run (the machines are shared and noisy, so only ratios from one run are meaningful).
 */
import { benchTfjs, benchTorch } from '../peers/index.js';
import { DEFAULT_MODEL } from '@optoscope/engine';
import type { BenchModel } from './benchModels.js';
import { benchEngine } from './engineStep.js';
import { matmulFloor, type MatmulFloor } from './matmulFloor.js';

export interface StepBenchOptions {
  steps: number;
  warmup: number;
  /** Peers to run; default all. */
  peers?: ('tfjs-wasm' | 'tfjs-wasm-tuned' | 'pytorch-eager')[];
  log?: (line: string) => void;
  /**
   * A model variant (`--model`): the engine and PyTorch eager train it; the tfjs peers implement the paper's
   * model only, so they are left out.
   */
  model?: BenchModel;
}

export interface StepBenchResult {
  engine_ms: number;
  /** CPU ms per step of the engine and of the peers that report it (PyTorch): the ratio that load moves least. */
  engine_cpu_ms: number;
  peers_cpu: Record<string, number>;
  engine: string;
  /** The variant timed ('paper' unless --model). */
  model: string;
  params: number;
  peers: Record<string, number>;
  unavailable: Record<string, string>;
  steps: number;
  /** The step's matrix products timed alone (matmulFloor.ts): the lowest ms/step the wasm GEMM allows. */
  matmul_floor: MatmulFloor;
}

export async function runStepBench(o: StepBenchOptions): Promise<StepBenchResult> {
  const log = o.log ?? (() => undefined);
  const variant = o.model && Object.keys(o.model.variant).length ? o.model : undefined;
  const want = new Set(o.peers ?? (variant ? ['pytorch-eager'] : ['tfjs-wasm', 'tfjs-wasm-tuned', 'pytorch-eager']));
  log(`engine (wasm), model ${o.model?.name ?? 'paper'}, ${o.steps} steps...`);
  const engine = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup, model: o.model?.config });
  const peers: Record<string, number> = {};
  const peersCpu: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  // Peers are slower per step; fewer steps keep the whole bench under a minute without losing the median.
  const peerSteps = Math.max(20, Math.round(o.steps / 10));
  for (const tuned of [false, true]) {
    const name = tuned ? 'tfjs-wasm-tuned' : 'tfjs-wasm';
    if (!want.has(name)) continue;
    log(`${name}, ${peerSteps} steps...`);
    const r = await benchTfjs({ backend: 'wasm', steps: peerSteps, warmup: 10, explicitTransposeGrads: tuned });
    peers[name] = r.msPerStep;
  }
  if (want.has('pytorch-eager')) {
    log(`pytorch-eager (1 thread), ${peerSteps * 2} steps...`);
    const r = await benchTorch({ steps: peerSteps * 2, warmup: 10, model: variant?.variant });
    if ('unavailable' in r) unavailable[r.name] = r.unavailable;
    else {
      peers[r.name] = r.msPerStep;
      if (r.cpuMsPerStep !== undefined) peersCpu[r.name] = r.cpuMsPerStep;
    }
  }
  log('matrix products of one step, alone...');
  const floor = matmulFloor(o.model?.config ?? DEFAULT_MODEL);
  return { matmul_floor: floor, engine_ms: engine.msPerStep, engine_cpu_ms: engine.cpuMsPerStep, peers_cpu: peersCpu, engine: engine.name, model: o.model?.name ?? 'paper', params: engine.params, peers, unavailable, steps: o.steps };
}

export function formatStepBench(r: StepBenchResult): string {
  const rows = [[`${r.engine} (this engine)`, r.engine_ms, 1], ...Object.entries(r.peers).map(([n, ms]) => [n, ms, ms / r.engine_ms] as const)];
  const w = Math.max(...rows.map((x) => String(x[0]).length));
  const lines = [`model ${r.model} (${r.params.toLocaleString('en-US')} parameters)`, `${'implementation'.padEnd(w)}   ms/step (batch 32, 1 thread)   engine speed-up`];
  for (const [name, ms, ratio] of rows) lines.push(`${String(name).padEnd(w)}   ${Number(ms).toFixed(3).padStart(10)}                    ${Number(ratio).toFixed(1)}x`);
  for (const [n, why] of Object.entries(r.unavailable)) lines.push(`${n.padEnd(w)}   unavailable: ${why}`);
  if (Object.keys(r.peers_cpu).length) {
    lines.push('', `${'CPU time (process)'.padEnd(w)}   CPU ms/step                    engine speed-up`);
    lines.push(`${`${r.engine} (this engine)`.padEnd(w)}   ${r.engine_cpu_ms.toFixed(3).padStart(10)}                    1.0x`);
    for (const [n, ms] of Object.entries(r.peers_cpu)) lines.push(`${n.padEnd(w)}   ${ms.toFixed(3).padStart(10)}                    ${(ms / r.engine_cpu_ms).toFixed(1)}x`);
  }
  const f = r.matmul_floor;
  const best = Object.entries(r.peers_cpu).map(([n, ms]) => `, so at most ${(ms / f.ms).toFixed(1)}x ${n} by CPU time`).join('');
  lines.push('', `matrix products alone (${f.calls} calls, ${(f.gflop * 1000).toFixed(0)} MFLOP per step): ${f.ms.toFixed(3)} CPU ms/step at ${f.gflops.toFixed(1)} GFLOP/s, the floor of the engine's step${best}`);
  return lines.join('\n');
}
