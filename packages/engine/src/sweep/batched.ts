/**
 * Batched sweeps on the device: the members of a sweep that share one traced program (the same config
 * apart from their init and train seeds, hence the same clamps) train together on webgpu, R at a time,
 * one device step per optimizer step, with the runs as a leading batch dimension of every kernel
 * (`createBatchedBackend`). A small model leaves a GPU idle on one run; R runs make every kernel R times
 * larger at about the same launch cost.
 *
 * Each replica is still a run of its own: its own run directory, run.json, metrics rows, checkpoints and
 * resume state, written exactly as `train()` writes them (same schedule, same rows, same state format), so
 * `opto train --resume`, the dashboard and the analyses cannot tell a batched run from a single one, and
 * a batched run killed anywhere resumes exactly, batched or alone. The model, clamps, Adam and eval sets
 * are the single run's (`setupTraining`); only the host I/O is per replica: initial parameters, each
 * run's batch stream, reads of its logits, its state.
 *
 * A run's numbers depend only on its config and R, never on which runs shared its device steps: replicas
 * never mix, and every batch runs at its full R (a short one is padded with ghost replicas whose results
 * are dropped), since tfjs may pick a different kernel tiling, and so float rounding, for another R. R is
 * kept in run.json (`backend.replicas`), so a resume trains at the same R and a run killed anywhere ends
 * identical to an uninterrupted one.
 *
 * Round trips: the loss and gradient norm of every step stay on the device in a ring of k slots
 * (stepStats.ts) and come back in one read every k steps and at every eval/checkpoint point.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Backend, BackendTiming } from '../backend.js';
import { timeSteps, verdictKey, type VerdictCache } from '../backends/autoChoice.js';
import { hardwareGpuPossible } from '../backends/gpuDeviceNodes.js';
import { selectBackend } from '../backends/index.js';
import { describeAdapter } from '../backends/webgpuAdapter.js';
import { openWebGpuDevice, type BatchedRunsBackend, type WebGpuDevice } from '../backends/webgpu.js';
import { donorLoader } from '../compileInterventions.js';
import type { RunConfig } from '../config.js';
import { allocBatch, type FeatureSource, type SequenceBatch, type Task } from '../data/types.js';
import { buildTask } from '../data/index.js';
import { loadFeatures } from '../data/load.js';
import { evalMetrics, type Metrics } from '../metrics.js';
import { Rng } from '../rng.js';
import { checkRunSizes } from '../sizes.js';
import { DeferredStepStats } from '../stepStats.js';
import { finishRun } from '../store/finishRun.js';
import { HEARTBEAT_EVERY_MS, writerIdentity } from '../store/liveness.js';
import { stateTensors } from '../store/paramIO.js';
import { RUN_SCHEMA, RunDir, type RunRecord } from '../store/runDir.js';
import type { SafetensorsFile } from '../store/safetensors.js';
import { codeVersion, resumeMeta, restoreState, saveParamCheckpoint, summarize, type ResumeMeta } from '../train.js';
import { emptyWindow, evalCheckpointSchedule, evalPointRows, setupTraining, type TrainingSetup, type TrainWindow } from '../trainSetup.js';
import { memberDir, memberState, type MemberResult } from './member.js';
import type { PoolEvent } from './pool.js';
import { canonicalJson, type SweepMember } from './spec.js';

/** Replicas measured at most when R is chosen by timing (R doubles from 1 while throughput grows). */
export const MAX_MEASURED_REPLICAS = 64;
/** Steps whose loss and gradient norm stay on the device between reads. */
export const READ_EVERY_STEPS = 16;

export interface BatchedSweepOptions {
  runsDir: string;
  /** Replicas per device run; default: measured per program (doubling from 1 while sequences/s grow). */
  replicas?: number;
  /** The wasm pool `auto` must beat: its thread count. */
  workers: number;
  /** `auto` on a software adapter: time it instead of skipping it by rule (default OPTO_AUTO_TIME_SOFTWARE=1). */
  timeSoftwareAdapters?: boolean;
  /** Where `auto`'s batching verdicts are kept (per machine, adapter, program and R). */
  verdicts?: VerdictCache;
  /** Timing budget per backend and candidate R, ms. */
  budgetMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: PoolEvent | BatchingEvent) => void;
  /** `auto` members the wasm pool should train instead (batching measured slower, or no adapter), once the device is closed. */
  handOff: (members: SweepMember[]) => void;
}

/** How a group of members was placed: on the device (R replicas) or left to the wasm pool, and why. */
export type BatchingEvent = { type: 'batching'; members: string[]; onDevice: boolean; replicas: number; reason: string; timing?: BackendTiming };

/** The traced program a member trains: its config without the seeds that only change host data. */
export function programKey(cfg: RunConfig): string {
  return canonicalJson({ ...cfg, seeds: { ...cfg.seeds, init: null, train: null } });
}

/** Members that can share device steps, in sweep order; each group in member order. */
export function groupByProgram(members: SweepMember[]): SweepMember[][] {
  const groups = new Map<string, SweepMember[]>();
  for (const m of [...members].sort((a, b) => a.index - b.index)) {
    const k = programKey(m.config);
    groups.set(k, [...(groups.get(k) ?? []), m]);
  }
  return [...groups.values()];
}

/**
 * Train the members whose backend is webgpu, batched, and those on `auto` where batching is measured to
 * beat the wasm pool on all cores; the other `auto` ones are handed off (`o.handOff`).
 */
export async function runBatchedSweep(members: SweepMember[], o: BatchedSweepOptions): Promise<MemberResult[]> {
  const emit = o.onEvent ?? (() => undefined);
  const out = { results: [] as MemberResult[] };
  // Handed to the pool only once this device is closed: pool threads on auto time WebGPU themselves, and a
  // Dawn device starting in one thread while another's is torn down crashes the process in Mesa (measured).
  const later: SweepMember[] = [];
  const forced = members.filter((m) => m.config.backend === 'webgpu');
  let auto = members.filter((m) => m.config.backend === 'auto');
  if (!forced.length && !auto.length) return out.results;
  const timeSoftware = o.timeSoftwareAdapters ?? process.env.OPTO_AUTO_TIME_SOFTWARE === '1';
  const toPool = (ms: SweepMember[], reason: string) => {
    if (!ms.length) return;
    later.push(...ms);
    emit({ type: 'batching', members: ms.map((m) => m.id), onDevice: false, replicas: 0, reason: `auto: ${reason}; the wasm pool trains them` });
  };
  if (auto.length && !timeSoftware && !forced.length) {
    const hw = await hardwareGpuPossible();
    if (!hw.possible) {
      toPool(auto, `no hardware WebGPU adapter is possible (${hw.why})`);
      o.handOff(later);
      return out.results;
    }
  }
  let dev: WebGpuDevice;
  try {
    dev = await openWebGpuDevice();
  } catch (e) {
    toPool(auto, `no WebGPU device (${(e as Error).message.split('\n')[0]})`);
    o.handOff(later);
    for (const m of forced) out.results.push({ id: m.id, outcome: 'failed', trained: 0, error: `${m.id}: ${(e as Error).message}` });
    return out.results;
  }
  try {
    if (auto.length && dev.isSoftware && !timeSoftware) {
      toPool(auto, `the only WebGPU adapter is a software one (${describeAdapter(dev.info)}), slower than the wasm core (not timed; OPTO_AUTO_TIME_SOFTWARE=1 times it)`);
      auto = [];
    }
    for (const group of groupByProgram([...forced, ...auto])) {
      if (o.signal?.aborted) {
        out.results.push(...group.map((m): MemberResult => ({ id: m.id, outcome: 'interrupted', trained: 0 })));
        continue;
      }
      const cfg = group[0].config;
      let features: FeatureSource;
      let task: Task;
      try {
        features = await loadFeatures(cfg);
        checkRunSizes(cfg, features.dim, 'config');
        task = buildTask(cfg.task, features);
      } catch (e) {
        out.results.push(...group.map((m): MemberResult => ({ id: m.id, outcome: 'failed', trained: 0, error: `${m.id}: ${(e as Error).message}` })));
        continue;
      }
      const donors = donorLoader(path.resolve(o.runsDir));
      const build: BuildSetup = (be) => setupTraining(cfg, task, features, be, donors);
      const placed = placeGroup(group, dev, build, o);
      emit({ type: 'batching', members: group.map((m) => m.id), ...placed });
      if (!placed.onDevice) {
        later.push(...group);
        continue;
      }
      out.results.push(...(await trainGroup(group, dev, { build, features }, placed.replicas, placed.reason, o)));
    }
  } finally {
    await dev.close();
    o.handOff(later);
  }
  return out.results;
}

type BuildSetup = (be: Backend) => TrainingSetup;
/** What every batch of a program group is built from. */
interface GroupContext {
  build: BuildSetup;
  features: FeatureSource;
}

/** R for a group (given, or measured), and for `auto` whether the device beats the wasm pool. */
function placeGroup(group: SweepMember[], dev: WebGpuDevice, build: BuildSetup, o: BatchedSweepOptions): Omit<BatchingEvent, 'type' | 'members'> {
  const cfg = group[0].config;
  const budget = o.budgetMs ?? 1000;
  const adapter = describeAdapter(dev.info);
  const timeR = (R: number) => {
    const be = dev.createBatchedBackend(R);
    // ms per device step of R runs (R·B sequences). Kernels are only queued: each timed step waits for the
    // device (a sync), which overstates a step that the training loop pipelines (stats read every k steps).
    return timeSteps(
      be,
      (b) => {
        const step = batchedStep(build(b), b as BatchedRunsBackend, Array.from({ length: R }, (_, r) => new Rng(r)), Array.from({ length: R }, () => allocBatch(cfg.optim.batchSize)));
        return () => (step(), (b as BatchedRunsBackend).sync());
      },
      budget,
    );
  };
  let R = o.replicas ?? 0;
  let ms = NaN;
  let how = `--replicas ${R}`;
  if (!R || cfg.backend === 'auto') {
    // Double R while the device's sequences/s grow by 10% or more (or up to the group's size).
    const cap = Math.min(o.replicas ?? MAX_MEASURED_REPLICAS, group.length);
    let best = { R: 1, perSeq: (ms = timeR(1)) };
    for (let r = 2; r <= cap && !o.signal?.aborted; r *= 2) {
      const t = timeR(r);
      if (t / r > 0.9 * best.perSeq) break;
      best = { R: r, perSeq: t / r };
      ms = t;
    }
    if (!o.replicas) how = `R = ${best.R} measured (${(best.perSeq / cfg.optim.batchSize).toFixed(3)} ms per sequence)`;
    R = best.R;
  }
  R = Math.min(R, group.length);
  if (cfg.backend !== 'auto') return { onDevice: true, replicas: R, reason: `requested: webgpu, ${R} replicas per device step on the ${dev.reason} (${how})` };

  // auto: R runs per device step against `workers` wasm threads, each its own run: the same R·B sequences.
  const key = verdictKey(adapter, `batched sweep, ${R} replicas vs ${o.workers} wasm threads | ${programKey(cfg)}`);
  let timing = o.verdicts?.get(key) ?? null;
  if (!timing) {
    const wasm = selectBackend('wasm').backend;
    const wasmMs = timeSteps(wasm, (be) => build(be).trainStep.run, budget);
    const wasmMsForR = (wasmMs * R) / o.workers;
    timing = { wasmMsPerStep: wasmMsForR, webgpuMsPerStep: ms, picked: ms < wasmMsForR ? 'webgpu' : 'wasm', cached: false, measuredAt: new Date().toISOString() };
    o.verdicts?.put(key, timing);
  } else timing = { ...timing, cached: true };
  const figures = `${timing.cached ? 'cached verdict' : 'measured'}: ${R} run(s) per device step ${timing.webgpuMsPerStep.toFixed(1)} ms, the same ${R} run(s) on ${o.workers} wasm thread(s) ${timing.wasmMsPerStep.toFixed(1)} ms`;
  if (timing.picked === 'webgpu') return { onDevice: true, replicas: R, reason: `auto: batched on the ${dev.reason}, faster than the wasm pool (${figures})`, timing };
  return { onDevice: false, replicas: R, reason: `auto: the wasm pool, faster than batching on the ${dev.reason} (${figures})`, timing };
}

/** One optimizer step of every replica: each run's own batch, then one forward, backward and Adam step. */
function batchedStep(s: TrainingSetup, be: BatchedRunsBackend, rngs: Rng[], batches: SequenceBatch[]): () => void {
  const model = s.trainModel;
  return () => {
    batches.forEach((b, r) => {
      s.dist.sample(rngs[r], b);
      be.hostRun = r;
      model.setBatch(b);
    });
    be.hostRun = null;
    model.program.forward();
    s.params.zeroGrads();
    model.program.backward();
    s.adam.step();
  };
}

/** A member's run directory made ready to train: created, or opened at its resume state (nothing on the device yet). */
interface Prepared {
  member: SweepMember;
  run: RunDir;
  record: RunRecord;
  /** The saved state to restore, and where it stands; null: from scratch. */
  state: { file: SafetensorsFile; meta: ResumeMeta; rewriteCheckpoint: boolean } | null;
  /** Replicas per device step this run trains at (kept in run.json). */
  replicas: number;
}

/** Create or open every member's run (as `train()` does before its loop), then train them R at a time. */
async function trainGroup(group: SweepMember[], dev: WebGpuDevice, ctx: GroupContext, R: number, reason: string, o: BatchedSweepOptions): Promise<MemberResult[]> {
  const results: MemberResult[] = [];
  const ready: Prepared[] = [];
  for (const m of group) {
    try {
      ready.push(prepare(m, o, reason, R));
    } catch (e) {
      results.push({ id: m.id, outcome: 'failed', trained: 0, error: `${m.id}: ${(e as Error).message}` });
    }
  }
  // Replicas share Adam's step count and the schedule: only runs at the same point, and at the same R, train together.
  const byPoint = new Map<string, Prepared[]>();
  for (const p of ready) {
    const k = `${p.replicas}:${p.state ? `${p.state.meta.seqs}/${p.state.meta.step}/${p.state.meta.adamT}` : 'start'}`;
    byPoint.set(k, [...(byPoint.get(k) ?? []), p]);
  }
  for (const same of byPoint.values()) {
    const r = same[0].replicas;
    for (let i = 0; i < same.length; i += r) {
      if (o.signal?.aborted) {
        results.push(...same.slice(i).map((p): MemberResult => ({ id: p.member.id, outcome: 'interrupted', trained: 0 })));
        break;
      }
      results.push(...(await trainBatch(same.slice(i, i + r), r, dev, ctx, o)));
    }
  }
  return results;
}

function prepare(m: SweepMember, o: BatchedSweepOptions, reason: string, R: number): Prepared {
  const dir = memberDir(o.runsDir, m);
  const st = memberState(o.runsDir, m);
  const me = writerIdentity();
  const warn = (message: string) => o.onEvent?.({ type: 'warning', id: m.id, message });
  if (st.kind === 'absent' || st.kind === 'stub') {
    if (st.kind === 'stub') fs.rmSync(dir, { recursive: true, force: true });
    RunDir.assertCreatable(dir);
    const run = RunDir.create(dir);
    const now = new Date().toISOString();
    const record: RunRecord = {
      schema: RUN_SCHEMA,
      id: run.id,
      status: 'running',
      created_at: now,
      updated_at: now,
      config: m.config,
      seeds: m.config.seeds,
      backend: { requested: m.config.backend, used: 'webgpu', reason, replicas: R },
      code: codeVersion(),
      host: me.host,
      user: me.user,
      data: { description: '' },
      params: 0,
      progress: { seqs: 0, step: 0 },
    };
    return { member: m, run, record, state: null, replicas: R };
  }
  if (st.kind === 'finished') throw new Error('already finished');
  // Unfinished (or live-looking but stale to the caller's plan): resume as train() does.
  const run = RunDir.open(dir);
  run.removeTempFiles();
  const bad = run.corruptCheckpoints();
  const limit = Math.min(Infinity, ...bad.map((b) => b.seqs));
  for (const b of bad) warn(`${b.error}; it will be written again`);
  const file = run.loadState(warn, (s) => {
    const at = resumeMeta(s).seqs;
    return at > limit ? `its ${at} sequences are past the corrupt checkpoint at ${limit}` : null;
  });
  if (!file) warn(`${dir}: no usable resume state; restarting from 0 sequences`);
  for (const b of bad) fs.rmSync(b.file, { force: true });
  const meta = file ? resumeMeta(file) : null;
  run.truncateMetrics(meta?.seqs ?? -1);
  // A run begun batched resumes at its R; one begun elsewhere (a pool thread, `opto train`) at this sweep's.
  const replicas = st.record.backend.replicas ?? R;
  const record: RunRecord = {
    ...st.record,
    status: 'running',
    progress: { seqs: meta?.seqs ?? 0, step: meta?.step ?? 0 },
    host: me.host,
    user: me.user,
    error: undefined,
    backend: { ...st.record.backend, replicas },
  };
  return { member: m, run, record, state: file && meta ? { file, meta, rewriteCheckpoint: bad.some((b) => b.seqs === meta.seqs) } : null, replicas };
}

/** Per-replica host state during a batch; a ghost pads a short batch to its R and writes nothing. */
interface Replica extends Prepared {
  ghost: boolean;
  rng: Rng;
  batch: SequenceBatch;
  win: TrainWindow;
  firstSeqs: number;
  resumedFrom: number | null;
}

async function trainBatch(batch: Prepared[], R: number, dev: WebGpuDevice, ctx: GroupContext, o: BatchedSweepOptions): Promise<MemberResult[]> {
  const emit = o.onEvent ?? (() => undefined);
  const started = performance.now();
  const cfg = batch[0].member.config;
  const B = cfg.optim.batchSize;
  const total = cfg.schedule.seqs;
  const be = dev.createBatchedBackend(R);
  const all: Replica[] = Array.from({ length: R }, (_, r) => {
    const p = batch[r % batch.length];
    return {
      ...p,
      ghost: r >= batch.length,
      rng: new Rng(p.member.config.seeds.train),
      batch: allocBatch(B),
      win: emptyWindow(),
      firstSeqs: p.state?.meta.seqs ?? 0,
      resumedFrom: p.state ? p.state.meta.seqs : null,
    };
  });
  // What is written: the real runs (ghosts only train alongside).
  const reps = all.filter((x) => !x.ghost);
  const on = <T>(r: number, f: () => T): T => {
    be.hostRun = r;
    try {
      return f();
    } finally {
      be.hostRun = null;
    }
  };
  let seqs = reps[0].firstSeqs;
  let step = reps[0].state?.meta.step ?? 0;
  let stepMs = 0;
  let timedSteps = 0;
  try {
    const s = ctx.build(be);
    const { params, adam } = s;
    all.forEach((rep, r) =>
      on(r, () => {
        if (rep.state) {
          restoreState(params, adam, rep.state.file.tensors, rep.state.meta);
          rep.rng.setState({ s: rep.state.meta.rng, spare: rep.state.meta.spare });
          rep.win = { ...rep.state.meta.window };
          if (rep.state.rewriteCheckpoint && !rep.ghost) saveParamCheckpoint(rep.run, params, seqs, step);
        } else params.init(rep.member.config.seeds.init);
      }),
    );
    const stepAll = batchedStep(s, be, all.map((x) => x.rng), all.map((x) => x.batch));
    const stats = new DeferredStepStats(be, s.trainModel.loss.buf, params.grads, params.total, READ_EVERY_STEPS);
    const recent = reps.map(() => NaN);
    const drain = () => {
      const v = stats.drain();
      reps.forEach((rep, r) =>
        v.loss[r].forEach((loss, i) => {
          rep.win.loss += loss;
          rep.win.gradNorm += v.gradNorm[r][i];
          rep.win.n++;
          recent[r] = Number.isNaN(recent[r]) ? loss : 0.98 * recent[r] + 0.02 * loss;
        }),
      );
    };

    for (const rep of reps) {
      if (!rep.state) rep.record = { ...rep.record, data: { description: ctx.features.description }, params: params.total };
      rep.run.writeRecord(rep.record);
      rep.run.writeHeartbeat(seqs);
      emit({ type: 'start', id: rep.member.id, resumedFrom: rep.resumedFrom, total });
    }
    const wallFrom = reps.map((rep) => performance.now() - 1000 * ((rep.run.readMetrics().at(-1)?.wall_s as number | undefined) ?? 0));
    const L = s.modelCfg.numLabels;
    const runEval = (x: number) => {
      drain();
      // One forward of every replica per eval set, one read of every replica's logits.
      const perRun: Record<string, Metrics>[] = reps.map(() => ({}));
      for (const ev of s.evaluators) {
        ev.forward();
        const logits = be.readRuns(ev.logits);
        const n = ev.logits.length;
        reps.forEach((_, r) => (perRun[r][ev.set.name] = evalMetrics(logits.subarray(r * n, (r + 1) * n), ev.set.batch, L)));
      }
      reps.forEach((rep, r) => {
        const { rows } = evalPointRows(s.evaluators.map((ev) => ({ set: ev.set, run: () => perRun[r][ev.set.name] })), x, step, rep.win);
        rep.win = emptyWindow();
        const wall_s = Math.round(performance.now() - wallFrom[r]) / 1000;
        rep.run.appendMetrics(rows.map((row) => ({ ...row, wall_s })));
      });
    };
    const saveState = (x: number) =>
      reps.forEach((rep, r) =>
        on(r, () => {
          const st = rep.rng.getState();
          const meta: ResumeMeta = { seqs: x, step, adamT: adam.t, rng: st.s, spare: st.spare, window: rep.win };
          rep.run.saveState(stateTensors(params), { optoscope: JSON.stringify(meta), format: 'optoscope-state/1' });
          rep.run.writeRecord((rep.record = { ...rep.record, progress: { seqs: x, step } }));
        }),
      );
    const checkpoint = (x: number) => {
      drain();
      reps.forEach((rep, r) => on(r, () => saveParamCheckpoint(rep.run, params, x, step)));
      saveState(x);
    };

    const points = evalCheckpointSchedule(cfg.schedule, seqs, reps[0].resumedFrom !== null);
    let lastBeat = Date.now();
    let lastYield = performance.now();
    let lastReport = performance.now();
    let lastReportSeqs = seqs;
    while (seqs < total) {
      const due = points.due(seqs);
      if (due.evaluate) runEval(seqs);
      if (due.checkpoint) checkpoint(seqs);
      if (o.signal?.aborted) {
        drain();
        saveState(seqs);
        for (const rep of reps) rep.run.writeRecord((rep.record = { ...rep.record, status: 'interrupted' }));
        return reps.map((rep) => ({ id: rep.member.id, outcome: 'interrupted', trained: seqs - rep.firstSeqs }));
      }
      const t0 = performance.now();
      stepAll();
      stats.record();
      if (stats.full) drain();
      stepMs += performance.now() - t0;
      timedSteps++;
      seqs += B;
      step++;
      if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
        for (const rep of reps) rep.run.writeHeartbeat(seqs);
        lastBeat = Date.now();
      }
      const now = performance.now();
      if (now - lastYield > 50) {
        // Signals, pool threads' messages and timers run only when this loop yields.
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      if (now - lastReport > 200) {
        const rate = ((seqs - lastReportSeqs) * 1000) / (now - lastReport);
        reps.forEach((rep, r) => emit({ type: 'progress', id: rep.member.id, seqs, total, seqsPerSec: rate, loss: recent[r] }));
        lastReport = now;
        lastReportSeqs = seqs;
      }
    }
    runEval(total);
    checkpoint(total);
    const results: MemberResult[] = [];
    for (const rep of reps) {
      const summary = summarize(rep.run, rep.member.config, { msPerStep: timedSteps ? stepMs / timedSteps : 0, wallS: (performance.now() - started) / 1000, backend: 'webgpu', steps: step });
      // As train() finishes a run: its metrics' columnar copy, then the finished record (store/finishRun.ts).
      rep.record = await finishRun(rep.run, { ...rep.record, progress: { seqs: total, step }, summary }, { warn: (message) => emit({ type: 'warning', id: rep.member.id, message }) });
      results.push({ id: rep.member.id, outcome: 'finished', trained: total - rep.firstSeqs, summary });
    }
    return results;
  } catch (e) {
    const message = (e as Error).message;
    for (const rep of reps) rep.run.writeRecord((rep.record = { ...rep.record, status: 'failed', error: message }));
    return reps.map((rep) => ({ id: rep.member.id, outcome: 'failed', trained: 0, error: `${rep.member.id} (batched, ${R} replicas): ${message}` }));
  } finally {
    be.release(0);
  }
}
