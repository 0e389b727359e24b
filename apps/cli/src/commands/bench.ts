/** `opto bench`: the engine's ms/step against peers in the same run (code in tools/). */
import type { Command } from 'commander';
import { positiveInt } from '../args.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time one training step (batch 32) of the wasm engine against tfjs and PyTorch, in one run')
    .option('--steps <n>', 'timed engine steps (peers run a tenth as many)', positiveInt, 500)
    .option('--warmup <n>', 'untimed warm-up steps', positiveInt, 50)
    .option('--clamp', 'instead: the cost of each Fig. 5b clamp against the unclamped step')
    .option('--sweep', 'instead: sweep throughput (sequences/s) with 1 worker thread against --workers')
    .option('--workers <n>', 'with --sweep: worker threads compared with 1', positiveInt, 2)
    .option('--json', 'print the result as one JSON line at the end')
    .action(async (o: { steps: number; warmup: number; json?: boolean; clamp?: boolean; sweep?: boolean; workers: number }) => {
      // Imported lazily: the peers pull in tfjs, which `opto train` should not pay for at start-up.
      const { formatClampBench, formatStepBench, formatSweepBench, runClampBench, runStepBench, runSweepBench } = await import('@optoscope/tools');
      if (o.sweep) {
        const r = await runSweepBench({ workers: o.workers, log: (s) => process.stderr.write(s + '\n') });
        process.stdout.write(formatSweepBench(r) + '\n');
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      if (o.clamp) {
        const r = runClampBench({ steps: o.steps, warmup: o.warmup, log: (s) => process.stderr.write(s + '\n') });
        process.stdout.write(formatClampBench(r) + '\n');
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const r = await runStepBench({ steps: o.steps, warmup: o.warmup, log: (s) => process.stderr.write(s + '\n') });
      process.stdout.write(formatStepBench(r) + '\n');
      if (o.json) process.stdout.write(JSON.stringify({ engine_ms: r.engine_ms, peers: r.peers }) + '\n');
    });
}
