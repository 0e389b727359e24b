/**
 * The training loop of spec 3: Adam on the mean query cross-entropy, batch 32 freshly sampled per step,
 * schedules counted in sequences (an eval/checkpoint happens at the first step whose sequence count
 * reaches each multiple of the cadence, plus a final one at `seqs`), four fixed eval sets, checkpoints
 * in safetensors, and exact resume (parameters, Adam moments and the train-stream RNG are checkpointed).
 */
import * as path from 'node:path';
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { selectBackendAsync } from './backends/index.js';
import { fileVerdictCache } from './store/backendVerdicts.js';
import { parseRunConfig, type RunConfig } from './config.js';
import { buildTask } from './data/index.js';
import { loadFeatures } from './data/load.js';
import { isPaperTask } from './data/tasks/schema.js';
import type { FeatureSource } from './data/types.js';
import { learningTime, type Metrics } from './metrics.js';
import { Adam } from './optim.js';
import { ParamStore } from './params.js';
import { type RngState } from './rng.js';
import { donorLoader } from './compileInterventions.js';
import { checkpointMetadata, loadParamTensors, paramTensors, stateTensors } from './store/paramIO.js';
import type { NamedTensor, SafetensorsFile } from './store/safetensors.js';
import { checkRunSizes } from './sizes.js';
import { runSchedule, type LoopState, type StepDone, type TrainEnv } from './trainLoop.js';
import { emptyWindow, setupTraining } from './trainSetup.js';
import { HEARTBEAT_EVERY_MS, readHeartbeat, runStaleness, writerIdentity } from './store/liveness.js';
import { finishRun } from './store/finishRun.js';
import { RUN_SCHEMA, RunDir, type RunRecord, type RunSummary, type RunWriteListener, type SetMetrics } from './store/runDir.js';


export type TrainEvent =
  | { type: 'start'; record: RunRecord; totalSteps: number; resumedFrom: number | null }
  | { type: 'progress'; seqs: number; total: number; loss: number; seqsPerSec: number }
  | { type: 'eval'; seqs: number; metrics: Record<string, Metrics> }
  | { type: 'checkpoint'; seqs: number }
  | { type: 'warning'; message: string }
  | { type: 'done'; summary: RunSummary; record: RunRecord };

export interface TrainOptions {
  /** The run directory (created; or, with `resume`, an existing unfinished run). */
  out: string;
  resume?: boolean;
  onEvent?: (e: TrainEvent) => void;
  /** Aborting saves the resume state at the current step and marks the run `interrupted`. */
  signal?: AbortSignal;
  /** Reuse already-loaded features (tests, sweeps); must match `config.data`. */
  features?: FeatureSource;
  /** A compiled core-wasm module to instantiate (worker threads share one compilation). */
  coreModule?: WebAssembly.Module;
  /**
   * Resume even while the run looks live elsewhere (fresh heartbeat): for an executor that holds a lock on
   * the run by other means (a queue job whose previous holder's lock lapsed).
   */
  takeover?: boolean;
  /** Told of every file written, in order, and flushed before train returns or throws (object storage). */
  mirror?: RunWriteListener & { readonly busy: boolean; flush(): Promise<void> };
}

/** Train (or, with `opts.resume`, resume) one run; resolves with its summary. */
export function train(config: RunConfig, opts: TrainOptions): Promise<RunSummary> {
  return runTraining(config, opts);
}

/** Resume the interrupted run in `out` from its last checkpoint, with the config its run.json holds. */
export function resumeTraining(out: string, opts: Omit<TrainOptions, 'out' | 'resume'> = {}): Promise<RunSummary> {
  return runTraining(null, { ...opts, out, resume: true });
}

async function runTraining(config: RunConfig | null, opts: TrainOptions): Promise<RunSummary> {
  const emit = opts.onEvent ?? (() => undefined);
  const started = performance.now();
  let cfg: RunConfig;
  let prior: RunRecord | null = null;
  if (opts.resume) {
    const existing = RunDir.open(opts.out);
    prior = existing.readRecord();
    if (prior.status === 'finished') throw new Error(`${opts.out} is already finished; nothing to resume`);
    assertNotLive(prior, opts);
    cfg = parseRunConfig(prior.config, `${existing.recordFile} config`);
  } else {
    if (!config) throw new Error('train: a config is needed unless resuming');
    cfg = parseRunConfig(config);
    RunDir.assertCreatable(opts.out);
  }

  // Everything that can fail on bad input happens before the first file is written.
  const features = opts.features ?? (await loadFeatures(cfg));
  checkRunSizes(cfg, features.dim, opts.resume ? `${opts.out}/run.json config` : 'config');
  const task = buildTask(cfg.task, features);
  const donors = donorLoader(path.dirname(path.resolve(opts.out)));
  // `auto` times this run's own training step on each backend that can start (about a second in all).
  const sel = await selectBackendAsync(cfg.backend, opts.coreModule, {
    measure: (be) => setupTraining(cfg, task, features, be, donors).trainStep.run,
    programKey: JSON.stringify({ model: cfg.model, task: isPaperTask(cfg.task) ? cfg.task.numLabels : cfg.task, dim: features.dim, batch: cfg.optim.batchSize, interventions: cfg.interventions }),
    verdicts: fileVerdictCache(),
  });
  if (sel.warning) emit({ type: 'warning', message: sel.warning });
  const be = sel.backend;
  const { params, adam, evaluators, rng, trainStep } = setupTraining(cfg, task, features, be, donors);
  const B = cfg.optim.batchSize;

  const { seqs: total } = cfg.schedule;
  let seqs = 0;
  let step = 0;
  let win = emptyWindow();
  let resumedFrom: number | null = null;
  let record: RunRecord;
  const run = prior ? RunDir.open(opts.out) : RunDir.create(opts.out);
  run.listener = opts.mirror ?? null;
  const me = writerIdentity();

  if (prior) {
    run.removeTempFiles();
    const warn = (message: string) => emit({ type: 'warning', message });
    // A corrupt checkpoint must not survive into a run marked finished: resume from a state no later
    // than the first bad one, so training passes that point again and rewrites it.
    const bad = run.corruptCheckpoints();
    const limit = Math.min(Infinity, ...bad.map((b) => b.seqs));
    for (const b of bad) warn(`${b.error}; it will be written again`);
    const state = run.loadState(warn, (s) => {
      const at = resumeMeta(s).seqs;
      return at > limit ? `its ${at} sequences are past the corrupt checkpoint at ${limit}` : null;
    });
    if (state) {
      const meta = resumeMeta(state);
      restoreState(params, adam, state.tensors, meta);
      rng.setState({ s: meta.rng, spare: meta.spare });
      seqs = meta.seqs;
      step = meta.step;
      win = meta.window;
      resumedFrom = seqs;
    } else {
      warn(`${opts.out}: no usable resume state (${path.basename(run.stateFile)}, ${path.basename(run.prevStateFile)}); restarting from 0 sequences`);
    }
    for (const b of bad) fs.rmSync(b.file, { force: true });
    // The checkpoint at the resume point is not passed again: write it from the restored parameters
    // (the state and the checkpoint of one point hold the same parameters).
    if (resumedFrom !== null && bad.some((b) => b.seqs === resumedFrom))
      saveParamCheckpoint(run, params, resumedFrom, step);
    // Without any saved state the run restarts from scratch, so even the rows at 0 go.
    run.truncateMetrics(resumedFrom ?? -1);
    record = { ...prior, status: 'running', progress: { seqs, step }, host: me.host, user: me.user, error: undefined };
  } else {
    record = {
      schema: RUN_SCHEMA,
      id: run.id,
      status: 'running',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      config: cfg,
      seeds: cfg.seeds,
      backend: { requested: sel.requested, used: be.name, reason: sel.reason, ...(sel.timing && { timing: sel.timing }) },
      code: codeVersion(),
      host: me.host,
      user: me.user,
      data: { description: features.description },
      params: params.total,
      progress: { seqs: 0, step: 0 },
    };
  }
  run.writeRecord(record);
  run.writeHeartbeat(seqs);
  let lastBeat = Date.now();
  emit({ type: 'start', record, totalSteps: Math.ceil(total / B), resumedFrom });

  let lastReport = performance.now();
  let lastReportSeqs = seqs;
  let lastYield = performance.now();
  const at: LoopState = { seqs, step, win };

  // Wall seconds of training so far on every row (x by wall time); a resumed run continues from its last row's.
  const wallFrom = performance.now() - 1000 * (run.readMetrics().at(-1)?.wall_s as number | undefined ?? 0);
  const saveState = (x: number) => {
    const meta: ResumeMeta = { seqs: x, step: at.step, adamT: adam.t, rng: rng.getState().s, spare: rng.getState().spare, window: at.win };
    run.saveState(stateTensors(params), { optoscope: JSON.stringify(meta), format: 'optoscope-state/1' });
    run.writeRecord((record = { ...record, progress: { seqs: x, step: at.step } }));
  };
  // Node's side of the schedule loop: files, interrupts, heartbeats, a mirror's uploads.
  const env: TrainEnv = {
    evalPoint(x, { metrics, rows }) {
      const wall_s = Math.round(performance.now() - wallFrom) / 1000;
      run.appendMetrics(rows.map((r) => ({ ...r, wall_s })));
      emit({ type: 'eval', seqs: x, metrics });
    },
    checkpoint(x) {
      saveParamCheckpoint(run, params, x, at.step);
      saveState(x);
      emit({ type: 'checkpoint', seqs: x });
    },
    beforeStep() {
      if (!opts.signal?.aborted) return;
      saveState(at.seqs);
      run.writeRecord((record = { ...record, status: 'interrupted' }));
      throw new InterruptedError(`interrupted at ${at.seqs} sequences; resume with --resume ${opts.out}`);
    },
    afterStep: (s) => afterStep(s),
  };
  // Synchronous unless it yields: most steps return at once, without a promise to await.
  const yieldTurn = (): Promise<boolean> =>
    new Promise((r) =>
      setImmediate(() => {
        lastYield = performance.now();
        r(false);
      }),
    );
  const afterStep = (s: StepDone): boolean | Promise<boolean> => {
    // Checked every step (a clock read), not on a timer: the loop rarely yields to the event loop.
    if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
      run.writeHeartbeat(s.seqs);
      lastBeat = Date.now();
    }
    let turn = false;
    // A mirror's uploads run on this thread's event loop: while any are pending, let them progress every
    // step (one turn costs microseconds), or new rows would reach the bucket seconds late.
    if (opts.mirror?.busy) turn = true;
    if ((s.step & 63) === 0) {
      const now = performance.now();
      // Let signal handlers, worker-thread messages and queue heartbeats run; the loop is otherwise synchronous.
      if (now - lastYield > 50) turn = true;
      if (now - lastReport > 200) {
        emit({ type: 'progress', seqs: s.seqs, total, loss: s.recentLoss, seqsPerSec: ((s.seqs - lastReportSeqs) * 1000) / (now - lastReport) });
        lastReport = now;
        lastReportSeqs = s.seqs;
      }
    }
    return turn ? yieldTurn() : false;
  };

  let timing = { stepMs: 0, steps: 0 };
  try {
    timing = await runSchedule({ evaluators, trainStep }, cfg.schedule, B, at, resumedFrom !== null, env);
  } catch (e) {
    if (!(e instanceof InterruptedError)) run.writeRecord((record = { ...record, status: 'failed', error: (e as Error).message }));
    // The saved state and the record reach the mirror before the caller hears of the stop.
    await opts.mirror?.flush().catch((f: Error) => emit({ type: 'warning', message: f.message }));
    throw e;
  } finally {
    await sel.release?.(); // webgpu: stop the GPU worker before this (maybe pool) thread ends
  }

  const summary = summarize(run, cfg, {
    msPerStep: timing.steps ? timing.stepMs / timing.steps : 0,
    wallS: (performance.now() - started) / 1000,
    backend: be.name,
    steps: at.step,
  });
  // Its metrics' columnar copy, then the finished record (store/finishRun.ts; a mirrored run gets no copy).
  record = await finishRun(run, { ...record, progress: { seqs: total, step: at.step }, summary }, { warn: (message) => emit({ type: 'warning', message }) });
  await opts.mirror?.flush();
  emit({ type: 'done', summary, record });
  return summary;
}

/** Refuse to resume a run whose writer still beats elsewhere: two writers would interleave its files. */
export function assertNotLive(prior: RunRecord, opts: TrainOptions): void {
  if (opts.takeover || prior.status !== 'running') return;
  const beat = readHeartbeat(opts.out);
  if (!beat || runStaleness(prior, beat, '') !== null) return;
  const age = Math.round((Date.now() - Date.parse(beat.at)) / 1000);
  throw new Error(
    `${opts.out} is still training on ${beat.host} (pid ${beat.pid}, heartbeat ${age} s ago); resume it only once it is stale (no heartbeat for 60 s) or its process has stopped (nothing was changed)`,
  );
}

export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** What a state file's metadata holds (also written by the batched sweep, sweep/batched.ts). */
export interface ResumeMeta {
  seqs: number;
  step: number;
  adamT: number;
  rng: RngState;
  spare: number | null;
  window: { loss: number; gradNorm: number; n: number };
}

export function saveParamCheckpoint(run: RunDir, params: ParamStore, seqs: number, step: number): void {
  run.saveCheckpoint(seqs, paramTensors(params), checkpointMetadata(params, { seqs, step, run: run.id }));
}

/** The resume metadata of a state file; a state whose metadata does not parse is refused by name. */
export function resumeMeta(s: SafetensorsFile): ResumeMeta {
  try {
    const m = JSON.parse(s.metadata.optoscope) as ResumeMeta;
    if (typeof m.seqs !== 'number' || typeof m.step !== 'number') throw new Error('seqs/step missing');
    return m;
  } catch (e) {
    throw new Error(`resume state: unreadable metadata (${(e as Error).message})`);
  }
}

export function restoreState(params: ParamStore, adam: Adam, tensors: Record<string, NamedTensor>, meta: ResumeMeta): void {
  loadParamTensors(params, tensors, 'resume state');
  params.writeBlock('m', tensors['optimizer.m'].data);
  params.writeBlock('v', tensors['optimizer.v'].data);
  adam.t = meta.adamT;
}

export function summarize(run: RunDir, cfg: RunConfig, t: { msPerStep: number; wallS: number; backend: string; steps: number }): RunSummary {
  const evals = run.readMetrics().filter((r) => r.kind === 'eval');
  const pick = (x: number): Record<string, SetMetrics> =>
    Object.fromEntries(evals.filter((r) => r.seqs === x).map((r) => [r.set!, { loss: Number(r.loss), acc: Number(r.acc) }]));
  const xs = [...new Set(evals.map((r) => r.seqs))].sort((a, b) => a - b);
  const lt = learningTime(evals.filter((r) => r.set === 'fsl_train').map((r) => ({ seqs: r.seqs, loss: Number(r.loss) })));
  return {
    run_dir: run.dir,
    seqs: cfg.schedule.seqs,
    steps: t.steps,
    ms_per_step: Number(t.msPerStep.toFixed(4)),
    wall_s: Number(t.wallS.toFixed(2)),
    backend: t.backend,
    initial: pick(xs[0]),
    final: pick(xs[xs.length - 1]),
    learning_time: lt.seqs,
    learned: lt.learned,
  };
}

export function codeVersion(): { version: string; git: string | null } {
  let version = '0.0.0';
  try {
    version = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    /* running from an unusual layout; the version is informational */
  }
  let git: string | null = null;
  try {
    git = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'], cwd: new URL('.', import.meta.url) }).toString().trim() || null;
  } catch {
    git = null;
  }
  return { version, git };
}
