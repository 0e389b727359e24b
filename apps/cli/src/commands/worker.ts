/**
 * `opto worker --queue redis://host:port --runs <shared dir>`: pull sweep members from BullMQ and train
 * them, on any number of machines. One line per event on stderr (workers run headless).
 */
import * as os from 'node:os';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { addCacheOption, type CacheFlags } from '../runsFlags.js';
import { interruptOnSignals } from '../sweepView.js';

interface WorkerFlags extends CacheFlags {
  queue: string;
  runs: string;
  queueName: string;
  concurrency?: number;
  heartbeat: number;
  maxStalled: number;
  untilEmpty?: boolean;
}

export function registerWorker(program: Command): void {
  addCacheOption(program
    .command('worker'))
    .description('pull sweep runs from a BullMQ queue and train them (run one per machine; see README "Sweeps")')
    .requiredOption('--queue <url>', 'the Redis that holds the queue, redis://host:port')
    .requiredOption('--runs <dir>', 'where all workers keep the runs: a shared runs directory (NFS, cluster file system, volume) or s3://bucket/prefix')
    .option('--queue-name <name>', 'BullMQ queue name', 'optoscope')
    .option('--concurrency <n>', 'runs trained at once (default: one per core)', positiveInt)
    .option('--heartbeat <ms>', "job lock duration, renewed every half of it; a dead worker's job is taken over after about twice this", positiveInt, 30_000)
    .option('--max-stalled <n>', 'times a job may lose its worker before it is failed', positiveInt, 3)
    .option('--until-empty', 'exit once the queue has no waiting or active jobs')
    .action(async (flags: WorkerFlags) => {
      const { runQueueWorker } = await import('@optoscope/engine/queue');
      const me = `${os.hostname()}:${process.pid}`;
      const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)} ${me}] ${s}\n`);
      const ac = new AbortController();
      const release = interruptOnSignals(ac, (sig) => log(`${sig}: stopping; running runs save their state and go back on the queue (again to quit at once)`));
      try {
        const results = await runQueueWorker({
          url: flags.queue,
          runsDir: flags.runs,
          cache: flags.cache,
          queueName: flags.queueName,
          concurrency: flags.concurrency,
          heartbeatMs: flags.heartbeat,
          maxStalled: flags.maxStalled,
          untilEmpty: flags.untilEmpty,
          signal: ac.signal,
          onEvent: (e) => {
            if (e.type === 'ready') log(`ready: queue ${e.queue} on ${flags.queue}, ${e.concurrency} at a time, runs in ${flags.runs}`);
            else if (e.type === 'start') log(e.resumedFrom !== null ? `resume ${e.id} from ${e.resumedFrom}` : `start ${e.id}`);
            else if (e.type === 'end') log(`${e.result.outcome} ${e.id}${e.result.error ? `: ${e.result.error}` : ''} (${e.result.trained} seqs trained here)`);
            else if (e.type === 'warning') log(`warning: ${e.id}: ${e.message}`);
            else if (e.type === 'requeued') log(`requeued ${e.id}: ${e.why}`);
            else if (e.type === 'error') log(`error: ${e.message}`);
          },
        });
        const n = (o: string) => results.filter((r) => r.outcome === o).length;
        log(`stopped: ${n('finished')} finished, ${n('skipped')} already finished, ${n('failed')} failed, ${n('interrupted')} handed back`);
        if (ac.signal.aborted) process.exitCode = 130;
      } finally {
        release();
      }
    });
}
