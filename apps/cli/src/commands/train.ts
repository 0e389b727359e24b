/**
 * `opto train`: one run from a preset, a JSON config file and/or flags (later layers override earlier:
 * preset ← file ← flags), with a live progress bar and a closing summary (`--json`: one JSON line).
 */
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import {
  InterruptedError,
  mergeConfig,
  PRESETS,
  parseRunConfig,
  presetConfig,
  readJsonObject,
  train,
  type RunConfigInput,
  type RunSummary,
  type TrainEvent,
} from '@optoscope/engine';
import { nonNegativeInt, oneOf, positiveInt } from '../args.js';
import { headsFromFlag } from '../headsFrom.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';
import { formatSummary } from '../format.js';
import { addDataOptions, dataBlock, type DataFlags } from '../dataFlags.js';

interface TrainFlags extends ClampFlags, DataFlags {
  preset?: string;
  headsFrom?: string;
  seqs?: number;
  classes?: number;
  labels?: number;
  seedInit?: number;
  seedTrain?: number;
  seedEval?: number;
  evalEvery?: number;
  ckptEvery?: number;
  out?: string;
  backend?: 'auto' | 'wasm' | 'reference' | 'webgpu';
  resume?: string;
  json?: boolean;
  progress: boolean;
}

/** Total classes in the Omniglot feature file; the test classes are always the last 100 (spec 1.2). */
const TOTAL_CLASSES = 1623;
const TEST_CLASSES = 100;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one run (the paper\'s main run with --preset main)')
    .argument('[config]', 'JSON run config file (see README: "Run config")')
    .option('--preset <name>', `start from a named preset (${Object.keys(PRESETS).join(', ')})`)
    .option('--heads-from <run>', "with a head-clamping preset: clamp the finished run's strongest induction and previous-token heads")
    .option('--seqs <n>', 'training length in sequences (not steps)', positiveInt)
    .option('--classes <n>', 'training classes (spec 1.2: 50; Fig. 6: 100, 200)', positiveInt)
    .option('--labels <n>', 'output labels L (spec 1.3: 5; Fig. 6: 10, 15)', positiveInt)
    .option('--seed-init <n>', 'parameter init seed (default 5)', nonNegativeInt)
    .option('--seed-train <n>', 'training-stream seed (default 0)', nonNegativeInt)
    .option('--seed-eval <n>', 'eval-set seed (default 1)', nonNegativeInt)
    .option('--eval-every <n>', 'eval cadence in sequences (default 5000)', positiveInt)
    .option('--ckpt-every <n>', 'checkpoint cadence in sequences (default 10000)', positiveInt)
    .option('--out <dir>', 'run directory to create (default runs/<preset>-<timestamp>)')
    .option('--backend <name>', 'auto (webgpu on a hardware adapter, else wasm) | wasm | reference | webgpu (forced; software adapters allowed, with a warning)', oneOf('auto', 'wasm', 'reference', 'webgpu'))
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--no-progress', 'no progress bar');
  addClampOptions(addDataOptions(cmd)).action(async (configFile: string | undefined, flags: TrainFlags) => {
      const summary = flags.resume ? await resume(flags) : await fresh(configFile, flags);
      if (flags.json) process.stdout.write(JSON.stringify(jsonSummary(summary)) + '\n');
      else process.stdout.write(formatSummary(summary) + '\n');
    });
}

async function fresh(configFile: string | undefined, flags: TrainFlags): Promise<RunSummary> {
  let cfg: RunConfigInput = flags.preset ? presetConfig(flags.preset, await presetHeads(flags)) : {};
  if (configFile) cfg = mergeConfig(cfg, readJsonObject(configFile, 'config file'));
  cfg = mergeConfig(cfg, flagsToConfig(flags));
  const spec = clampSpec(flags, cfg.interventions, parseRunConfig({ model: cfg.model }).model);
  if (spec) cfg = { ...cfg, interventions: spec };
  const config = parseRunConfig(cfg, configFile ?? 'config');
  if (flags.datasetPath !== undefined && config.data.source === 'synthetic')
    throw new Error(`--dataset-path ${flags.datasetPath}: the run's data is synthetic; give the feature file with --data <file>`);
  const out = flags.out ?? path.join('runs', `${config.preset ?? config.name ?? 'run'}-${timestamp()}`);
  return runWithUi(flags, (onEvent, signal) => train(config, { out, onEvent, signal }));
}

async function resume(flags: TrainFlags): Promise<RunSummary> {
  return runWithUi(flags, (onEvent, signal) => train({} as never, { out: flags.resume!, resume: true, onEvent, signal }));
}

/** Heads for a head-clamping preset: seed 5's defaults, or picked from a finished unclamped run. */
async function presetHeads(flags: TrainFlags) {
  if (!flags.headsFrom) return undefined;
  if (!PRESETS[flags.preset!]?.usesHeads) throw new Error(`--heads-from: preset '${flags.preset}' clamps no particular head`);
  return headsFromFlag(flags.headsFrom);
}

function flagsToConfig(f: TrainFlags): RunConfigInput {
  const c: RunConfigInput = {};
  if (f.seqs !== undefined || f.evalEvery !== undefined || f.ckptEvery !== undefined)
    c.schedule = { seqs: f.seqs, evalEvery: f.evalEvery, ckptEvery: f.ckptEvery };
  if (f.classes !== undefined) {
    const val = TOTAL_CLASSES - TEST_CLASSES - f.classes;
    if (val < 0) throw new Error(`--classes ${f.classes}: at most ${TOTAL_CLASSES - TEST_CLASSES} classes can be used for training`);
    c.task = { ...c.task, classSplit: [f.classes, val, TEST_CLASSES] };
  }
  if (f.labels !== undefined) c.task = { ...c.task, numLabels: f.labels };
  c.data = dataBlock(f);
  if (f.seedInit !== undefined || f.seedTrain !== undefined || f.seedEval !== undefined)
    c.seeds = { init: f.seedInit, train: f.seedTrain, eval: f.seedEval };
  if (f.backend) c.backend = f.backend;
  return dropUndefined(c);
}

function dropUndefined<T>(x: T): T {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
  return Object.fromEntries(
    Object.entries(x)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, dropUndefined(v)]),
  ) as T;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

type Runner = (onEvent: (e: TrainEvent) => void, signal: AbortSignal) => Promise<RunSummary>;

/** Progress bar on stderr (stdout stays clean for --json); Ctrl-C saves state and exits 130. */
async function runWithUi(flags: TrainFlags, run: Runner): Promise<RunSummary> {
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const tty = flags.progress && process.stderr.isTTY;
  const bar = new SingleBar({
    format: ' {bar} {percentage}% | {value}/{total} seqs | {speed} seq/s | loss {loss} | ETA {eta_formatted}',
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  });
  const log = (s: string) => process.stderr.write(s + '\n');
  const onEvent = (e: TrainEvent) => {
    switch (e.type) {
      case 'start':
        if (flags.progress) {
          log(`${e.resumedFrom !== null ? 'resuming' : 'training'} ${e.record.config.preset ?? 'run'} → ${e.record.id} (${e.record.backend.used}: ${e.record.backend.reason})`);
          log(`data: ${e.record.data.description}; ${e.record.params.toLocaleString('en-US')} parameters`);
        }
        if (tty) bar.start(e.record.config.schedule.seqs, e.resumedFrom ?? 0, { speed: '-', loss: '-' });
        break;
      case 'progress':
        if (tty) bar.update(Math.min(e.seqs, e.total), { speed: Math.round(e.seqsPerSec).toLocaleString('en-US'), loss: e.loss.toFixed(4) });
        break;
      case 'eval':
        if (!tty && flags.progress) log(`seqs ${e.seqs}: ${Object.entries(e.metrics).map(([k, m]) => `${k} ${m.loss.toFixed(4)}`).join('  ')}`);
        break;
      case 'warning':
        log(`warning: ${e.message}`);
        break;
      case 'done':
        if (tty) bar.update(e.summary.seqs);
        break;
    }
  };
  try {
    return await run(onEvent, ac.signal);
  } catch (e) {
    if (e instanceof InterruptedError) Object.assign(e, { exitCode: 130 });
    throw e;
  } finally {
    if (tty) bar.stop();
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

function jsonSummary(s: RunSummary) {
  return {
    run_dir: s.run_dir,
    seqs: s.seqs,
    ms_per_step: s.ms_per_step,
    wall_s: s.wall_s,
    backend: s.backend,
    initial: s.initial,
    final: s.final,
    learning_time: s.learning_time,
    learned: s.learned,
  };
}
