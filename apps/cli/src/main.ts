#!/usr/bin/env node
/**
 * `opto`: the Optoscope command line. Thin commands over @optoscope/engine; every failure ends with one
 * line naming the culprit and a non-zero exit status.
 */
import { Command } from 'commander';
import { registerAnalyze } from './commands/analyze.js';
import { registerBench } from './commands/bench.js';
import { registerCheck } from './commands/check.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerData } from './commands/data.js';
import { registerEval } from './commands/eval.js';
import { registerReport } from './commands/report.js';
import { registerRuns } from './commands/runs.js';
import { registerSweep } from './commands/sweep.js';
import { registerToy } from './commands/toy.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';

const program = new Command()
  .name('opto')
  .description('Optoscope: watch and steer how in-context-learning circuits form during training')
  .version('0.1.0')
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'opto: ').split('\n')[0] + '\n') });

registerTrain(program);
registerEval(program);
registerData(program);
registerBench(program);
registerSweep(program);
registerWorker(program);
registerRuns(program);
registerToy(program);
registerAnalyze(program);
registerReport(program);
registerCheck(program);
registerDashboard(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`opto: ${msg.split('\n')[0]}\n`);
  process.exit(typeof (e as { exitCode?: number }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 1);
});
