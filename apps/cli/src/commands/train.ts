/**
 * `opto train`: one run from a preset, a JSON config file and/or flags (later layers override earlier:
 * preset ← file ← flags), with a live progress bar and a closing summary (`--json`: one JSON line).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import {
  classSplitFor,
  InterruptedError,
  isS3Url,
  openRunStoreAt,
  resumeCommand,
  mergeConfig,
  PRESETS,
  parseRunConfig,
  presetConfig,
  resumeTraining,
  readJsonObject,
  train,
  TASK_KINDS,
  TASK_PRESETS,
  type TaskKind,
  type RunConfigInput,
  type RunSummary,
  type TrainEvent,
} from '@optoscope/engine';
import { nonNegativeInt, oneOf, positiveInt } from '../args.js';
import { headsFromFlag } from '../headsFrom.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';
import { formatSummary } from '../format.js';
import { addDataOptions, addTaskOptions, dataBlock, type DataFlags } from '../dataFlags.js';
import { RUNS_HELP, addCacheOption, type CacheFlags } from '../runsFlags.js';

interface TrainFlags extends ClampFlags, DataFlags, CacheFlags {
  runs?: string;
  preset?: string;
  headsFrom?: string;
  seqs?: number;
  classes?: number;
  labels?: number;
  task?: string;
  shots?: number;
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

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one run (the paper\'s main run with --preset main)')
    .argument('[config]', 'JSON run config file (see README: "Run config")')
    .option('--preset <name>', `start from a named preset (${[...Object.keys(PRESETS), ...Object.keys(TASK_PRESETS)].join(', ')})`)
    .option('--heads-from <run>', "with a head-clamping preset: clamp the finished run's strongest induction and previous-token heads")
    .option('--seqs <n>', 'training length in sequences (not steps)', positiveInt)
    .option('--task <kind>', `the task (config task.kind): ${TASK_KINDS.join(' | ')} (default fewShot, the paper's)`, oneOf(...TASK_KINDS))
    .option('--shots <k>', 'exemplar-label pairs per sequence of the few-shot task (config task.shots; default 2: 5 tokens)', positiveInt)
    .option('--seed-init <n>', 'parameter init seed (default 5)', nonNegativeInt)
    .option('--seed-train <n>', 'training-stream seed (default 0)', nonNegativeInt)
    .option('--seed-eval <n>', 'eval-set seed (default 1)', nonNegativeInt)
    .option('--eval-every <n>', 'eval cadence in sequences (default 5000)', positiveInt)
    .option('--ckpt-every <n>', 'checkpoint cadence in sequences (default 10000)', positiveInt)
    .option('--out <dir>', 'run directory to create (default <runs>/<preset>-<timestamp>); with --runs s3://..., the run\'s name in the bucket')
    .option('--runs <dir>', `${RUNS_HELP}; where --out and --resume names are found`)
    .option('--backend <name>', 'auto (webgpu on a hardware adapter, else wasm) | wasm | reference | webgpu (forced; software adapters allowed, with a warning)', oneOf('auto', 'wasm', 'reference', 'webgpu'))
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint (a run directory; with --runs s3://..., a run name in the bucket)')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--no-progress', 'no progress bar');
  addCacheOption(cmd);
  addClampOptions(addDataOptions(addTaskOptions(cmd))).action(async (configFile: string | undefined, flags: TrainFlags) => {
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
  const name = `${config.preset ?? config.name ?? 'run'}-${timestamp()}`;
  if (flags.runs !== undefined && isS3Url(flags.runs)) return inStore(flags, flags.out ?? name, false, (out, mirror) => runWithUi(flags, (onEvent, signal) => train(config, { out, onEvent, signal, mirror })));
  const out = flags.out ?? path.join(flags.runs ?? 'runs', name);
  return runWithUi(flags, (onEvent, signal) => train(config, { out, onEvent, signal }));
}

async function resume(flags: TrainFlags): Promise<RunSummary> {
  if (flags.runs !== undefined && isS3Url(flags.runs))
    return inStore(flags, flags.resume!, true, (out, mirror) => runWithUi(flags, (onEvent, signal) => resumeTraining(out, { onEvent, signal, mirror })));
  return runWithUi(flags, (onEvent, signal) => resumeTraining(flags.resume!, { onEvent, signal }));
}

type Mirror = NonNullable<Parameters<typeof train>[1]['mirror']>;

/** Train run `id` of an object store: in its local cache, brought up to date first, mirrored as it goes. */
async function inStore(flags: TrainFlags, id: string, resuming: boolean, run: (out: string, mirror: Mirror | undefined) => Promise<RunSummary>): Promise<RunSummary> {
  if (!/^[\w.-]+$/.test(id) || id.startsWith('.')) throw new Error(`${resuming ? '--resume' : '--out'} ${id}: with --runs s3://... give a run name (letters, digits, . _ -), not a path`);
  const store = await openRunStoreAt({ location: flags.runs!, cache: flags.cache });
  try {
    await store.prepare();
    await store.checkout(id);
    const out = path.join(store.workDir, id);
    const held = fs.existsSync(path.join(out, 'run.json'));
    if (resuming && !held) throw new Error(`--resume ${id}: no run '${id}' in ${store.spec.location}`);
    if (!resuming && held) throw new Error(`--out ${id}: ${store.spec.location} already holds a run '${id}'; continue it with --resume ${id}, or choose another --out (nothing was changed)`);
    return await run(out, store.mirror(id) ?? undefined);
  } catch (e) {
    if (e instanceof InterruptedError) e.message = e.message.replace(/resume with .*$/, `resume with: ${resumeCommand(store.spec.location, id)}`);
    throw e;
  } finally {
    store.close();
  }
}

/** Heads for a head-clamping preset: seed 5's defaults, or picked from a finished unclamped run. */
async function presetHeads(flags: TrainFlags) {
  if (!flags.headsFrom) return undefined;
  if (!PRESETS[flags.preset!]?.usesHeads) throw new Error(`--heads-from: preset '${flags.preset}' clamps no particular head`);
  return headsFromFlag(flags.headsFrom);
}

/** The run-config layer the flags give (shared with `opto data export`, which names data the same way). */
/** The flags that become run config (shared with `opto data export`, whose flags carry no clamps). */
type ConfigFlags = Pick<TrainFlags, 'seqs' | 'evalEvery' | 'ckptEvery' | 'classes' | 'labels' | 'task' | 'shots' | 'seedInit' | 'seedTrain' | 'seedEval' | 'backend'> & DataFlags;

export function flagsToConfig(f: Partial<ConfigFlags>): RunConfigInput {
  const c: RunConfigInput = {};
  if (f.seqs !== undefined || f.evalEvery !== undefined || f.ckptEvery !== undefined)
    c.schedule = { seqs: f.seqs, evalEvery: f.evalEvery, ckptEvery: f.ckptEvery };
  if (f.classes !== undefined) {
    try {
      c.task = { ...c.task, classSplit: classSplitFor(f.classes) };
    } catch (e) {
      throw new Error(`--classes: ${(e as Error).message}`);
    }
  }
  if (f.labels !== undefined) c.task = { ...c.task, numLabels: f.labels };
  if (f.task !== undefined) c.task = { ...c.task, kind: f.task as TaskKind };
  if (f.shots !== undefined) c.task = { ...c.task, shots: f.shots };
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
