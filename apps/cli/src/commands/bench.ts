/** `opto bench`: the engine's ms/step against peers in the same run, and the other benchmarks (code in tools/). */
import type { Command } from 'commander';
import { positiveInt } from '../args.js';

interface BenchFlags {
  steps: number;
  warmup: number;
  json?: boolean;
  clamp?: boolean;
  sweep?: boolean;
  analysis?: boolean;
  dashboard?: boolean;
  webgpu?: boolean;
  batchedRuns?: number;
  software?: boolean;
  workers: number;
  model?: string;
  baselineCore?: string;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time one training step (batch 32) of the wasm engine against tfjs and PyTorch, in one run')
    .option('--steps <n>', 'timed engine steps (peers run a tenth as many)', positiveInt, 500)
    .option('--warmup <n>', 'untimed warm-up steps', positiveInt, 50)
    .option('--model <variant>', "time a model variant instead of the paper's, against PyTorch eager: paper, mlp4-d128 (4 layers, GELU MLPs x4, d_model 128) or a JSON model section, e.g. '{\"nLayers\":3,\"positions\":\"learned\"}'")
    .option('--baseline-core <dir>', 'instead: the engine step on another built packages/core-wasm directory against this one, alternating in one process (CPU ms/step, and whether the losses agree bit for bit); with --model')
    .option('--clamp', 'instead: the cost of each Fig. 5b clamp against the unclamped step')
    .option('--sweep', 'instead: sweep throughput (sequences/s) with 1 worker thread against --workers')
    .option('--workers <n>', 'with --sweep: worker threads compared with 1', positiveInt, 2)
    .option('--analysis', 'instead: the wiring matrix of one checkpoint and a clamp progress curve over 100 checkpoints')
    .option('--webgpu', 'instead: webgpu ms/step against the wasm core (hardware adapters only; a software adapter is refused, with why)')
    .option('--dashboard', 'instead: dashboard server answer times for 1,000 runs, a run page with 200 eval points x 16 heads, the compare view over a 16 x 8 sweep and the run list under 20 concurrent clients')
    .option('--batched-runs <n>', 'instead: n runs of one seed sweep in one webgpu device step (runs as a leading batch dimension), sequences/s against one wasm run (hardware adapters only)', positiveInt)
    .option('--software', 'with --webgpu or --batched-runs: time a software adapter anyway, to check the pipeline (labelled: not GPU speed)')
    .option('--json', 'print the result as one JSON line at the end')
    .action(async (o: BenchFlags) => {
      // Imported lazily: the peers pull in tfjs, which `opto train` should not pay for at start-up.
      const t = await import('@optoscope/tools');
      const log = (s: string) => process.stderr.write(s + '\n');
      let text: string;
      let json: unknown;
      if (o.baselineCore) {
        const model = o.model === undefined ? undefined : t.benchModel(o.model);
        const r = await t.runCoreAB({ baseline: o.baselineCore, model, rounds: 6, steps: o.steps, warmup: o.warmup, log });
        [text, json] = [t.formatCoreAB(r), r];
      } else if (o.sweep) {
        const r = await t.runSweepBench({ workers: o.workers, log });
        [text, json] = [t.formatSweepBench(r), r];
      } else if (o.clamp) {
        const r = t.runClampBench({ steps: o.steps, warmup: o.warmup, log });
        [text, json] = [t.formatClampBench(r), r];
      } else if (o.batchedRuns) {
        const r = await t.runBatchedRunsBench({ runs: o.batchedRuns, steps: o.steps, warmup: o.warmup, software: o.software, log });
        [text, json] = [t.formatBatchedRunsBench(r), r];
      } else if (o.webgpu) {
        const r = await t.runWebGpuBench({ steps: o.steps, warmup: o.warmup, software: o.software, log });
        [text, json] = [t.formatWebGpuBench(r), r];
      } else if (o.dashboard) {
        const { startDashboard } = await import('./dashboard.js');
        const r = await t.runDashboardBench({ start: (s) => startDashboard({ ...s, build: 'auto' }), log });
        [text, json] = [t.formatDashboardBench(r), r];
      } else if (o.analysis) {
        const r = await t.benchAnalysis({ log });
        [text, json] = [t.formatAnalysisBench(r), r];
      } else {
        const model = o.model === undefined ? undefined : t.benchModel(o.model);
        const r = await t.runStepBench({ steps: o.steps, warmup: o.warmup, log, model });
        [text, json] = [t.formatStepBench(r), { model: r.model, engine_ms: r.engine_ms, peers: r.peers, engine_cpu_ms: r.engine_cpu_ms, peers_cpu: r.peers_cpu, matmul_floor: r.matmul_floor }];
      }
      process.stdout.write(text + '\n');
      if (o.json) process.stdout.write(JSON.stringify(json) + '\n');
    });
}
