/**
 * train() on a tiny model for a handful of steps (wasm backend, batch 4), checked against an
 * independent loop: the same setup stepped by hand here, its parameters read after every step and its
 * losses averaged into the windows the metrics rows must hold. What train() adds around the steps (the
 * schedule, files, record, events, interrupt and resume, refusals) is checked against that loop and
 * against the files on disk, read directly.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends/index.js';
import { parseRunConfig, type RunConfig } from './config.js';
import { buildTask, syntheticFeatures } from './data/index.js';
import { learningTime } from './metrics.js';
import { checkpointMetadata, loadParamTensors, paramTensors, stateTensors } from './store/paramIO.js';
import { RUN_SCHEMA, RunDir, type MetricRow } from './store/runDir.js';
import { readSafetensors, type SafetensorsFile } from './store/safetensors.js';
import { codeVersion, InterruptedError, resumeMeta, resumeTraining, summarize, train, type TrainEvent } from './train.js';
import { clock, runSchedule, type LoopState, type StepDone, type TrainEnv } from './trainLoop.js';
import { emptyWindow, setupTraining } from './trainSetup.js';

const features = syntheticFeatures({ seed: 0 });
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-trainedges-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const B = 4;
const TOTAL = 40; // 10 steps of 4; evals every 12 (at 12, 24, 36 → first step reaching them), checkpoints every 16
const tiny = (): RunConfig =>
  parseRunConfig({
    backend: 'wasm',
    model: { dModel: 8, nHeads: 2, nLayers: 1 },
    task: { numLabels: 3 },
    optim: { batchSize: B, lr: 1e-2 },
    schedule: { seqs: TOTAL, evalEvery: 12, ckptEvery: 16, evalSize: 4 },
  });

/** The independent loop: the same setup, stepped here; parameters after each step and each step's loss and grad norm. */
function handLoop(cfg: RunConfig, steps = TOTAL / B) {
  const task = buildTask(cfg.task, features);
  const s = setupTraining(cfg, task, features, selectBackend('wasm').backend);
  const snap = () => Object.fromEntries(Object.entries(paramTensors(s.params)).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
  const params: Record<string, number[]>[] = [snap()];
  const losses: number[] = [];
  const norms: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(s.trainStep.run());
    norms.push(s.trainStep.gradNorm);
    params.push(snap());
  }
  return { params, losses, norms, total: s.params.total, evalNames: s.evalSets.map((e) => e.name) };
}
const tensorsOf = (f: SafetensorsFile) => Object.fromEntries(Object.entries(f.tensors).filter(([k]) => !k.startsWith('optimizer.')).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
const rowsOf = (out: string): MetricRow[] => fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const noWall = (rows: MetricRow[]) => rows.map(({ wall_s: _w, ...r }) => r);
const record = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
/** A mirror that notes what it is told of and how often it is flushed (a flush fails with `flushError`). */
function mirrorRecorder(busy: boolean, flushError?: Error) {
  const written: string[] = [];
  let flushed = 0;
  const mirror = {
    busy,
    written: (rel: string) => void written.push(rel),
    flush: async () => {
      flushed++;
      if (flushError) throw flushError;
    },
  };
  return { mirror, written, flushes: () => flushed };
}
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('train() against a loop stepped by hand', () => {
  it('the same parameters at every checkpoint, the windows’ mean losses and grad norms, the eval points of the schedule, the record and events', async () => {
    const cfg = tiny();
    const ref = handLoop(cfg);
    const out = path.join(tmp(), 'run');
    const events: TrainEvent[] = [];
    // a ticker on the event loop: the loop must not yield to it (no mirror, under 64 steps), so it stands still between evals
    let ticks = 0;
    let ticking = true;
    const tick = () => ticking && (ticks++, setImmediate(tick));
    tick();
    const ticksAt: number[] = [];
    const t0 = Date.now();
    const summary = await train(cfg, { out, features, onEvent: (e) => (events.push(e), e.type === 'eval' && ticksAt.push(ticks)) });
    ticking = false;
    expect(new Set(ticksAt.slice(1, 4)).size).toBe(1);

    // checkpoints at 0, 16, 32 (steps 0, 4, 8) and the final one at 40 (step 10)
    expect(fs.readdirSync(path.join(out, 'checkpoints')).sort()).toEqual(['seqs-0000000000.safetensors', 'seqs-0000000016.safetensors', 'seqs-0000000032.safetensors', 'seqs-0000000040.safetensors']);
    for (const [x, step] of [[0, 0], [16, 4], [32, 8], [40, 10]]) {
      const f = readSafetensors(path.join(out, 'checkpoints', `seqs-${String(x).padStart(10, '0')}.safetensors`));
      expect(tensorsOf(f), `checkpoint ${x}`).toEqual(ref.params[step]);
      expect(f.metadata).toMatchObject({ seqs: String(x), step: String(step), run: 'run', format: 'optoscope-params/1' });
    }
    // the resume state is the last checkpoint's, with the step, Adam's t and an empty window
    const state = readSafetensors(path.join(out, 'state.safetensors'));
    const meta = JSON.parse(state.metadata.optoscope);
    expect(state.metadata.format).toBe('optoscope-state/1');
    expect(meta).toMatchObject({ seqs: 40, step: 10, adamT: 10 });
    expect(meta.window).toEqual({ loss: 0, gradNorm: 0, n: 0 });
    expect(tensorsOf(state)).toEqual(ref.params[10]);

    // eval points: 0, then the first step reaching 12, 24, 36 (seqs 12, 24, 36: multiples of 4), and 40
    const rows = rowsOf(out);
    const evalXs = [...new Set(rows.filter((r) => r.kind === 'eval').map((r) => r.seqs))];
    expect(evalXs).toEqual([0, 12, 24, 36, 40]);
    expect(rows.filter((r) => r.kind === 'eval' && r.seqs === 0).map((r) => r.set)).toEqual(ref.evalNames);
    // train windows: steps 1-3 → row at 12, 4-6 → 24, 7-9 → 36, 10 → 40
    const windows: [number, number, number][] = [[12, 0, 3], [24, 3, 6], [36, 6, 9], [40, 9, 10]];
    const trainRows = rows.filter((r) => r.kind === 'train');
    expect(trainRows.map((r) => [r.seqs, r.step, r.steps])).toEqual(windows.map(([x, a, b]) => [x, x / B, b - a]));
    for (const [i, [, a, b]] of windows.entries()) {
      expect(trainRows[i].loss).toBeCloseTo(mean(ref.losses.slice(a, b)), 12);
      expect(trainRows[i].grad_norm).toBeCloseTo(mean(ref.norms.slice(a, b)), 12);
    }
    // a train row comes right before its point's eval rows, each row stamped with a wall time that never falls
    const evals = ref.evalNames.map(() => 'eval');
    expect(rows.map((r) => r.kind)).toEqual([...evals, ...[1, 2, 3, 4].flatMap(() => ['train', ...evals])]);
    const walls = rows.map((r) => r.wall_s as number);
    expect(walls.every((w, i) => typeof w === 'number' && w >= 0 && (i === 0 || w >= walls[i - 1]))).toBe(true);

    // the record
    const rec = record(out);
    expect(rec).toMatchObject({ status: 'finished', id: 'run', seeds: cfg.seeds, params: ref.total, progress: { seqs: 40, step: 10 } });
    expect(rec.backend).toEqual({ requested: 'wasm', used: 'wasm', reason: selectBackend('wasm').reason });
    expect(rec.user).toBe(os.userInfo().username);
    expect(rec.schema).toBe(RUN_SCHEMA);
    expect(Date.parse(rec.created_at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Date.parse(rec.created_at)).toBeLessThanOrEqual(Date.now());
    expect(rec.config).toEqual(JSON.parse(JSON.stringify(cfg)));
    expect(rec.data).toEqual({ description: features.description });
    expect(rec.host).toBe(os.hostname());
    expect(Date.parse(rec.created_at)).toBeLessThanOrEqual(Date.parse(rec.updated_at));
    expect(rec.error).toBeUndefined();
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(rec.code.version).toBe(pkg.version);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'heartbeat.json'), 'utf8'))).toMatchObject({ host: os.hostname(), pid: process.pid, seqs: 0 });

    // the summary, from the eval rows
    const evalRow = (x: number, set: string) => rows.find((r) => r.kind === 'eval' && r.seqs === x && r.set === set)!;
    expect(summary.steps).toBe(10);
    expect(summary.seqs).toBe(40);
    expect(summary.backend).toBe('wasm');
    expect(summary.run_dir).toBe(path.resolve(out));
    for (const set of ref.evalNames) {
      expect(summary.initial[set]).toEqual({ loss: evalRow(0, set).loss, acc: evalRow(0, set).acc });
      expect(summary.final[set]).toEqual({ loss: evalRow(40, set).loss, acc: evalRow(40, set).acc });
    }
    expect(summary.ms_per_step).toBeGreaterThan(0);
    expect(summary.wall_s).toBeGreaterThan(0);
    expect(rec.summary).toEqual(JSON.parse(JSON.stringify(summary)));

    // the events, in order
    const kinds = events.filter((e) => e.type !== 'progress' && e.type !== 'warning').map((e) => `${e.type}${'seqs' in e ? ` ${e.seqs}` : ''}`);
    expect(kinds).toEqual(['start', 'eval 0', 'checkpoint 0', 'eval 12', 'checkpoint 16', 'eval 24', 'checkpoint 32', 'eval 36', 'eval 40', 'checkpoint 40', 'done']);
    const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
    expect(start.totalSteps).toBe(10);
    expect(start.resumedFrom).toBeNull();
    expect(start.record.status).toBe('running');
    expect(start.record.progress).toEqual({ seqs: 0, step: 0 });
    const done = events.at(-1) as Extract<TrainEvent, { type: 'done' }>;
    expect(done.summary).toBe(summary);
    expect(done.record.status).toBe('finished');
    const ev12 = events.find((e) => e.type === 'eval' && e.seqs === 12) as Extract<TrainEvent, { type: 'eval' }>;
    expect(Object.keys(ev12.metrics)).toEqual(ref.evalNames);
    expect(ev12.metrics[ref.evalNames[0]].loss).toBe(evalRow(12, ref.evalNames[0]).loss);
  });

  it('interrupted between checkpoints, the run resumes to the uninterrupted result; the interrupt names where and how to resume', async () => {
    const cfg = tiny();
    const ref = handLoop(cfg);
    const dir = tmp();
    const out = path.join(dir, 'part');
    const ac = new AbortController();
    await expect(
      train(cfg, { out, features, signal: ac.signal, onEvent: (e) => e.type === 'eval' && e.seqs === 24 && ac.abort() }),
    ).rejects.toThrow(new InterruptedError(`interrupted at 24 sequences; resume with --resume ${out}`));
    let rec = record(out);
    expect(rec.status).toBe('interrupted');
    expect(rec.progress).toEqual({ seqs: 24, step: 6 });
    const meta = JSON.parse(readSafetensors(path.join(out, 'state.safetensors')).metadata.optoscope);
    expect(meta).toMatchObject({ seqs: 24, step: 6, adamT: 6, window: { loss: 0, gradNorm: 0, n: 0 } });
    expect(tensorsOf(readSafetensors(path.join(out, 'state.safetensors')))).toEqual(ref.params[6]);
    const events: TrainEvent[] = [];
    const summary = await resumeTraining(out, { features, onEvent: (e) => events.push(e) });
    const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
    expect(start.resumedFrom).toBe(24);
    expect(start.record.progress).toEqual({ seqs: 24, step: 6 });
    expect(start.record.status).toBe('running');
    // the point at 24 was written before the interrupt, so the resumed run goes on at the next (36)
    expect(events.filter((e) => e.type === 'eval').map((e) => (e as { seqs: number }).seqs)).toEqual([36, 40]);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { seqs: number }).seqs)).toEqual([32, 40]);
    const f = readSafetensors(path.join(out, 'checkpoints', 'seqs-0000000040.safetensors'));
    expect(tensorsOf(f)).toEqual(ref.params[10]);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'heartbeat.json'), 'utf8')).seqs).toBe(24);
    const walls = rowsOf(out).map((r) => r.wall_s as number);
    expect(walls.every((w, i) => i === 0 || w >= walls[i - 1])).toBe(true);
    rec = record(out);
    expect(rec.status).toBe('finished');
    expect(rec.progress).toEqual({ seqs: 40, step: 10 });
    expect(summary.steps).toBe(10);
    const full = path.join(dir, 'full');
    await train(cfg, { out: full, features });
    expect(noWall(rowsOf(out))).toEqual(noWall(rowsOf(full)));
    expect(rowsOf(out).filter((r) => r.kind === 'train').map((r) => r.steps)).toEqual([3, 3, 3, 1]);
    await expect(resumeTraining(out, { features })).rejects.toThrow(`${out} is already finished; nothing to resume`);
  });

  it('a resume with no usable state restarts from 0, dropping every row; one with a corrupt checkpoint passes it again', async () => {
    const cfg = tiny();
    const ref = handLoop(cfg);
    const out = path.join(tmp(), 'r');
    const ac = new AbortController();
    await expect(train(cfg, { out, features, signal: ac.signal, onEvent: (e) => e.type === 'eval' && e.seqs === 36 && ac.abort() })).rejects.toBeInstanceOf(InterruptedError);
    fs.rmSync(path.join(out, 'state.safetensors'));
    fs.rmSync(path.join(out, 'state.prev.safetensors'), { force: true });
    const warnings: string[] = [];
    const events: TrainEvent[] = [];
    await resumeTraining(out, { features, onEvent: (e) => (events.push(e), e.type === 'warning' && warnings.push(e.message)) });
    expect(warnings).toContain(`${out}: no usable resume state (state.safetensors, state.prev.safetensors); restarting from 0 sequences`);
    expect((events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>).resumedFrom).toBeNull();
    expect(rowsOf(out).filter((r) => r.kind === 'eval' && r.seqs === 0)).toHaveLength(ref.evalNames.length);
    expect([...new Set(rowsOf(out).map((r) => r.seqs))]).toEqual([0, 12, 24, 36, 40]);
    expect(tensorsOf(readSafetensors(path.join(out, 'checkpoints', 'seqs-0000000040.safetensors')))).toEqual(ref.params[10]);

    // a corrupt checkpoint at the resume point (32): resumed there, it is written again from the restored parameters
    const out2 = path.join(path.dirname(out), 'r2');
    const ac2 = new AbortController();
    await expect(train(cfg, { out: out2, features, signal: ac2.signal, onEvent: (e) => e.type === 'eval' && e.seqs === 36 && ac2.abort() })).rejects.toBeInstanceOf(InterruptedError);
    const ck32 = path.join(out2, 'checkpoints', 'seqs-0000000032.safetensors');
    const bytes = fs.readFileSync(ck32);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(ck32, bytes);
    const warn2: string[] = [];
    await resumeTraining(out2, { features, onEvent: (e) => e.type === 'warning' && warn2.push(e.message) });
    expect(warn2.some((w) => w.includes('seqs-0000000032') && w.endsWith('; it will be written again'))).toBe(true);
    expect(tensorsOf(readSafetensors(ck32))).toEqual(ref.params[8]);
    expect(tensorsOf(readSafetensors(path.join(out2, 'checkpoints', 'seqs-0000000040.safetensors')))).toEqual(ref.params[10]);
  });

  it('refusals: no config, an existing directory, a resume of a run still beating elsewhere (unless taken over)', async () => {
    const dir = tmp();
    await expect(train(null as unknown as RunConfig, { out: path.join(dir, 'x'), features })).rejects.toThrow('train: a config is needed unless resuming');
    const cfg = tiny();
    const out = path.join(dir, 'live');
    const ac = new AbortController();
    await expect(train(cfg, { out, features, signal: ac.signal, onEvent: (e) => e.type === 'eval' && e.seqs === 12 && ac.abort() })).rejects.toBeInstanceOf(InterruptedError);
    await expect(train(cfg, { out, features })).rejects.toThrow(`--out ${out} already holds an unfinished run (status interrupted); continue it with --resume ${out} (nothing was changed)`);
    // mark it running with a fresh heartbeat from another host: a live writer elsewhere
    const rec = record(out);
    RunDir.open(out).writeRecord({ ...rec, status: 'running', host: 'elsewhere' });
    fs.writeFileSync(path.join(out, 'heartbeat.json'), JSON.stringify({ at: new Date().toISOString(), host: 'elsewhere', pid: 4242, seqs: 12 }));
    const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    await expect(resumeTraining(out, { features })).rejects.toThrow(
      new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is still training on elsewhere \\(pid 4242, heartbeat [0-9] s ago\\); resume it only once it is stale`),
    );
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    // an interrupted record with the same heartbeat is not live: its writer stopped
    const ac2 = new AbortController();
    RunDir.open(out).writeRecord({ ...rec, status: 'interrupted', host: 'elsewhere' });
    await expect(resumeTraining(out, { features, onEvent: (e) => e.type === 'eval' && e.seqs === 24 && ac2.abort(), signal: ac2.signal })).rejects.toBeInstanceOf(InterruptedError);
    // still beating elsewhere, but taken over (a queue job that holds the run's lock)
    RunDir.open(out).writeRecord({ ...record(out), status: 'running', host: 'elsewhere' });
    fs.writeFileSync(path.join(out, 'heartbeat.json'), JSON.stringify({ at: new Date().toISOString(), host: 'elsewhere', pid: 4242, seqs: 24 }));
    const s = await resumeTraining(out, { features, takeover: true });
    expect(s.steps).toBe(10);
  });

  it('a mirror hears of every file written and is flushed before train returns', async () => {
    const out = path.join(tmp(), 'm');
    const { mirror, written, flushes } = mirrorRecorder(true);
    let ticks = 0;
    let ticking = true;
    const tick = () => ticking && (ticks++, setImmediate(tick));
    tick();
    const ticksAt: number[] = [];
    await train(tiny(), { out, features, mirror, onEvent: (e) => e.type === 'eval' && ticksAt.push(ticks) });
    ticking = false;
    // uploads pending: the loop lets the event loop turn after every step
    expect(ticksAt[2] - ticksAt[1]).toBeGreaterThanOrEqual(3);
    expect(flushes()).toBe(1);
    expect(written).toContain('run.json');
    expect(written).toContain('metrics.jsonl');
    expect(written).toContain('checkpoints/seqs-0000000040.safetensors');
    expect(written.at(-1)).toBe('run.json');
  });
});

describe('progress reports', () => {
  it('every 64 steps, when 200 ms have passed since the last: sequences, the loss EMA, the rate since the last report', async () => {
    const base = tiny();
    const cfg = parseRunConfig({ ...JSON.parse(JSON.stringify(base)), schedule: { ...base.schedule, seqs: 64 * B, evalEvery: 64 * B, ckptEvery: 64 * B } });
    const ref = handLoop(cfg, 64);
    const out = path.join(tmp(), 'p');
    const events: TrainEvent[] = [];
    let t0 = 0;
    let t1 = 0;
    await train(cfg, {
      out,
      features,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'eval' && e.seqs === 0) {
          // hold the first point for 250 ms: by step 64 more than 200 ms have passed since the loop began
          t0 = performance.now();
          while (performance.now() - t0 < 250);
        }
        if (e.type === 'progress') t1 = performance.now();
      },
    });
    const progress = events.filter((e) => e.type === 'progress') as Extract<TrainEvent, { type: 'progress' }>[];
    expect(progress).toHaveLength(1);
    const p = progress[0];
    expect(p.seqs).toBe(64 * B);
    expect(p.total).toBe(64 * B);
    let ema = ref.losses[0];
    for (const l of ref.losses.slice(1)) ema = 0.98 * ema + 0.02 * l;
    expect(p.loss).toBeCloseTo(ema, 12);
    // sequences since the loop began over the time since then (which holds the 250 ms wait and the steps)
    expect(p.seqsPerSec).toBeGreaterThan((64 * B * 1000) / (t1 - t0 + 1000));
    expect(p.seqsPerSec).toBeLessThan((64 * B * 1000) / 250);
    // its place: after the last step, before the final point
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf('progress')).toBeLessThan(kinds.lastIndexOf('eval'));
    expect(kinds.indexOf('progress')).toBeGreaterThan(kinds.indexOf('eval'));
  });
});

describe('a failure inside the loop', () => {
  it('marks the run failed with the message, flushes the mirror (its failure a warning), and rethrows', async () => {
    const out = path.join(tmp(), 'f');
    const warnings: string[] = [];
    const { mirror, flushes } = mirrorRecorder(false, new Error('bucket gone'));
    await expect(
      train(tiny(), {
        out,
        features,
        mirror,
        onEvent: (e) => {
          if (e.type === 'warning') warnings.push(e.message);
          if (e.type === 'eval' && e.seqs === 12) throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    expect(record(out)).toMatchObject({ status: 'failed', error: 'disk on fire' });
    expect(flushes()).toBe(1);
    expect(warnings).toEqual(['bucket gone']);
    // a failed run resumes (from its last state) and its record loses the error
    await resumeTraining(out, { features });
    const rec = record(out);
    expect(rec.status).toBe('finished');
    expect(rec.error).toBeUndefined();
  });
});

describe('resume metadata and summaries', () => {
  it('resumeMeta refuses a state whose metadata does not parse or lacks its counts, by name', () => {
    const f = (optoscope: string) => ({ metadata: { optoscope }, tensors: {} }) as unknown as SafetensorsFile;
    expect(resumeMeta(f('{"seqs":3,"step":1}'))).toEqual({ seqs: 3, step: 1 });
    expect(() => resumeMeta(f('{"seqs":3}'))).toThrow('resume state: unreadable metadata (seqs/step missing)');
    expect(() => resumeMeta(f('{"step":3}'))).toThrow('resume state: unreadable metadata (seqs/step missing)');
    expect(() => resumeMeta(f('{"seqs":"3","step":1}'))).toThrow('resume state: unreadable metadata (seqs/step missing)');
    expect(() => resumeMeta(f('{"seqs":3,"step":null}'))).toThrow('resume state: unreadable metadata (seqs/step missing)');
    expect(() => resumeMeta(f('not json'))).toThrow(/^resume state: unreadable metadata \(.*JSON/);
  });

  it('summarize: first and last eval points, learning time from fsl_train, rounded timings', () => {
    const dir = path.join(tmp(), 's');
    const run = RunDir.create(dir);
    const ev = (seqs: number, set: string, loss: number, acc: number) => ({ kind: 'eval', seqs, step: seqs / 4, set, loss, acc });
    const rows = [
      ev(100, 'fsl_train', 0.1, 0.9), // written out of order: the first point is still 0
      ev(0, 'fsl_train', 1.0, 0.2),
      ev(0, 'other', 2.0, 0.1),
      { kind: 'train', seqs: 50, step: 12, loss: 9, grad_norm: 1, steps: 12 },
      ev(50, 'fsl_train', 0.2, 0.7),
      ev(100, 'other', 1.5, 0.4),
    ] as MetricRow[];
    run.appendMetrics(rows);
    const cfg = tiny();
    const s = summarize(run, cfg, { msPerStep: 1.234567, wallS: 2.3456, backend: 'x', steps: 7 });
    expect(s.initial).toEqual({ fsl_train: { loss: 1.0, acc: 0.2 }, other: { loss: 2.0, acc: 0.1 } });
    expect(s.final).toEqual({ fsl_train: { loss: 0.1, acc: 0.9 }, other: { loss: 1.5, acc: 0.4 } });
    const lt = learningTime([
      { seqs: 100, loss: 0.1 },
      { seqs: 0, loss: 1.0 },
      { seqs: 50, loss: 0.2 },
    ]);
    expect(s.learning_time).toBe(lt.seqs);
    expect(s.learned).toBe(lt.learned);
    expect(s).toMatchObject({ run_dir: run.dir, seqs: TOTAL, steps: 7, ms_per_step: 1.2346, wall_s: 2.35, backend: 'x' });
  });

  it('codeVersion: the package version and the short git commit of the checkout', () => {
    const v = codeVersion();
    expect(v.version).toBe(JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    const git = execSync('git rev-parse --short HEAD', { cwd: path.dirname(new URL(import.meta.url).pathname) }).toString().trim();
    expect(v.git).toBe(git);
  });
});

describe('parameter tensors (store/paramIO.ts)', () => {
  it('names, shapes and values of the parameters and the Adam moments; loading checks every name and shape', () => {
    const cfg = tiny();
    const s = setupTraining(cfg, buildTask(cfg.task, features), features, selectBackend('wasm').backend);
    s.trainStep.run();
    const values = Array.from(s.params.readBlock('values'));
    const tensors = paramTensors(s.params);
    const list = s.params.list();
    expect(Object.keys(tensors)).toEqual(list.map((e) => e.spec.name));
    for (const e of list) {
      expect(tensors[e.spec.name].shape).toEqual(e.spec.shape);
      expect(Array.from(tensors[e.spec.name].data)).toEqual(values.slice(e.offset, e.offset + e.size));
    }
    const st = stateTensors(s.params);
    expect(Object.keys(st)).toEqual([...list.map((e) => e.spec.name), 'optimizer.m', 'optimizer.v']);
    expect(st['optimizer.m'].shape).toEqual([s.params.total]);
    expect(Array.from(st['optimizer.m'].data)).toEqual(Array.from(s.params.readBlock('m')));
    expect(Array.from(st['optimizer.v'].data)).toEqual(Array.from(s.params.readBlock('v')));
    expect(checkpointMetadata(s.params, { seqs: 12, step: 3, run: 'x' })).toEqual({ seqs: '12', step: '3', run: 'x', format: 'optoscope-params/1', model: JSON.stringify(s.params.config) });

    // a second store loads them back exactly (copies, so the first store's buffers are not shared)
    const other = setupTraining(cfg, buildTask(cfg.task, features), features, selectBackend('wasm').backend);
    const copies = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) }]));
    loadParamTensors(other.params, copies, 'here');
    expect(Array.from(other.params.readBlock('values'))).toEqual(values);
    const first = list[0].spec.name;
    const { [first]: _gone, ...missing } = copies;
    expect(() => loadParamTensors(other.params, missing, 'ckpt.safetensors')).toThrow(`ckpt.safetensors: missing tensor '${first}'`);
    const bad = { ...copies, [first]: { shape: [...list[0].spec.shape, 1], data: copies[first].data } };
    expect(() => loadParamTensors(other.params, bad, 'w')).toThrow(`w: tensor '${first}' has shape [${[...list[0].spec.shape, 1]}], expected [${list[0].spec.shape}]`);
  });
});

describe('runSchedule (trainLoop.ts) with an environment of its own', () => {
  /** The loop's calls, in order, from an environment that stops when told to. */
  function recorder(stopAt: number | null, asPromise = false, withCheckpoints = true) {
    const calls: string[] = [];
    const steps: StepDone[] = [];
    const env: TrainEnv = {
      evalPoint: (x, point, final) => calls.push(`eval ${x}${final ? ' final' : ''} ${point.rows.map((r) => r.kind[0]).join('')}`),
      beforeStep: () => calls.push('before'),
      afterStep: (d) => {
        steps.push(d);
        calls.push(`after ${d.seqs}`);
        const stop = stopAt !== null && d.step >= stopAt;
        return asPromise ? Promise.resolve(stop) : stop;
      },
    };
    if (withCheckpoints) env.checkpoint = (x) => calls.push(`ckpt ${x}`);
    return { env, calls, steps };
  }
  const fresh = (): LoopState => ({ seqs: 0, step: 0, win: emptyWindow() });
  const setupOf = (cfg: RunConfig) => setupTraining(cfg, buildTask(cfg.task, features), features, selectBackend('wasm').backend);

  it('a full run: evals and checkpoints before the step that reaches them, a final eval and checkpoint; the EMA of the loss', async () => {
    const cfg = tiny();
    const ref = handLoop(cfg);
    const { env, calls, steps } = recorder(null);
    const state = fresh();
    const t0 = clock();
    const res = await runSchedule(setupOf(cfg), { seqs: 20, evalEvery: 8, ckptEvery: 12 }, B, state, false, env);
    expect(res.stopped).toBe(false);
    expect(res.steps).toBe(5);
    expect(res.stepMs).toBeGreaterThan(0);
    expect(res.stepMs).toBeLessThanOrEqual(clock() - t0);
    expect(state).toMatchObject({ seqs: 20, step: 5 });
    const e = (x: number, rows: string) => `eval ${x} ${rows}`;
    const evals = 'eee';
    expect(calls).toEqual([
      e(0, evals), 'ckpt 0', 'before', 'after 4', 'before', 'after 8',
      e(8, 't' + evals), 'before', 'after 12',
      'ckpt 12', 'before', 'after 16',
      e(16, 't' + evals), 'before', 'after 20',
      `eval 20 final t${evals}`, 'ckpt 20',
    ]);
    expect(steps.map((d) => [d.seqs, d.step])).toEqual([[4, 1], [8, 2], [12, 3], [16, 4], [20, 5]]);
    let ema = NaN;
    for (const [i, d] of steps.entries()) {
      expect(d.loss).toBe(ref.losses[i]);
      ema = i === 0 ? ref.losses[0] : 0.98 * ema + 0.02 * ref.losses[i];
      expect(d.recentLoss).toBeCloseTo(ema, 12);
      expect(d.at).toBeGreaterThanOrEqual(t0);
    }
    // the window after the last point is empty again
    expect(state.win).toEqual(emptyWindow());
  });

  it('stopped by afterStep (true, or a promise of true): the final eval where it stopped, no final checkpoint', async () => {
    for (const asPromise of [false, true]) {
      const cfg = tiny();
      const { env, calls } = recorder(3, asPromise);
      const state = fresh();
      const res = await runSchedule(setupOf(cfg), { seqs: 40, evalEvery: 8, ckptEvery: 8 }, B, state, false, env);
      expect(res).toMatchObject({ stopped: true, steps: 3 });
      expect(calls.slice(-2)).toEqual(['after 12', 'eval 12 final teee']);
      expect(calls.filter((c) => c.startsWith('ckpt'))).toEqual(['ckpt 0', 'ckpt 8']);
    }
  });

  it('resumed: the first point is the next multiple after the state; without checkpoints in the environment none is asked for', async () => {
    const cfg = tiny();
    const { env, calls } = recorder(null, false, false);
    const state: LoopState = { seqs: 16, step: 4, win: { loss: 2, gradNorm: 4, n: 2 } };
    const res = await runSchedule(setupOf(cfg), { seqs: 28, evalEvery: 8, ckptEvery: 8 }, B, state, true, env);
    expect(res.steps).toBe(3);
    expect(calls).toEqual(['before', 'after 20', 'before', 'after 24', 'eval 24 teee', 'before', 'after 28', 'eval 28 final teee']);
    expect(state).toMatchObject({ seqs: 28, step: 7 });
  });

  it('clock reads milliseconds that only grow', () => {
    const a = clock();
    const b = clock();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - performance.now())).toBeLessThan(1000);
  });
});
