/**
 * The run directory, the contract between engine, CLI and dashboard (see README "Run directory"):
 *
 *   <run>/run.json                      config, seeds, backend, code version, status, summary
 *   <run>/metrics.jsonl                 append-only rows: {kind:'eval'|'train', seqs, step, ...}
 *   <run>/checkpoints/seqs-NNNNNNNNNN.safetensors   parameters on the checkpoint schedule
 *   <run>/state.safetensors (+ state.prev.safetensors)  full resume state: params, Adam moments, RNG
 *   <run>/heartbeat.json                {host, pid, user, at, seqs} every few seconds while training (liveness.ts)
 *
 * Every file is replaced atomically; metrics are appended a whole line at a time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendTiming } from '../backend.js';
import type { RunConfig } from '../config.js';
import { appendLines, makeDirs, writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { jsonErrorLine } from './jsonFile.js';
import { verifyJsonChecksum, withJsonChecksum } from './jsonChecksum.js';
import { HEARTBEAT_FILE, writerIdentity, type Heartbeat } from './liveness.js';
import { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsFile } from './safetensors.js';

export const RUN_SCHEMA = 'optoscope.run/1';

export type RunStatus = 'running' | 'finished' | 'failed' | 'interrupted';

export interface SetMetrics {
  loss: number;
  acc: number;
}

export interface RunSummary {
  run_dir: string;
  seqs: number;
  steps: number;
  ms_per_step: number;
  wall_s: number;
  backend: string;
  initial: Record<string, SetMetrics>;
  final: Record<string, SetMetrics>;
  /** Spec 5.9: first eval x with fsl_train loss < 0.4·ln 2, else the last eval x. */
  learning_time: number;
  learned: boolean;
}

export interface RunRecord {
  schema: typeof RUN_SCHEMA;
  id: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  config: RunConfig;
  seeds: RunConfig['seeds'];
  /** `replicas`: a batched sweep's runs per device step (sweep/batched.ts); a resume keeps it, so the run's numbers stay the same. */
  backend: { requested: string; used: string; reason: string; timing?: BackendTiming; replicas?: number };
  code: { version: string; git: string | null };
  /** Where and by whom the run was last started or resumed (absent in runs from before liveness). */
  host?: string;
  user?: string;
  data: { description: string };
  params: number;
  progress: { seqs: number; step: number };
  summary?: RunSummary;
  error?: string;
}

export interface MetricRow {
  kind: 'eval' | 'train';
  seqs: number;
  step: number;
  set?: string;
  [metric: string]: number | string | undefined;
}

/**
 * Hears about every file a RunDir has just written (its path relative to the run directory), in write
 * order: how a run is mirrored to object storage as it trains (s3/mirror.ts).
 */
export interface RunWriteListener {
  written(rel: string): void;
}

export class RunDir {
  /** Told after each write; set by the trainer when the run is mirrored elsewhere. */
  listener: RunWriteListener | null = null;

  private constructor(readonly dir: string) {}

  get id(): string {
    return path.basename(path.resolve(this.dir));
  }
  get recordFile(): string {
    return path.join(this.dir, 'run.json');
  }
  get metricsFile(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }
  get checkpointDir(): string {
    return path.join(this.dir, 'checkpoints');
  }
  get stateFile(): string {
    return path.join(this.dir, 'state.safetensors');
  }
  get prevStateFile(): string {
    return path.join(this.dir, 'state.prev.safetensors');
  }

  /** Throws (changing nothing) unless `dir` is absent or an empty directory we may write into. */
  static assertCreatable(dir: string): void {
    if (fs.existsSync(dir)) {
      const rec = path.join(dir, 'run.json');
      if (fs.existsSync(rec)) {
        const status = RunDir.peekStatus(rec);
        if (status === 'finished') throw new Error(`--out ${dir} already holds a finished run; choose another --out (nothing was changed)`);
        throw new Error(`--out ${dir} already holds an unfinished run (status ${status}); continue it with --resume ${dir} (nothing was changed)`);
      }
      if (!fs.statSync(dir).isDirectory()) throw new Error(`--out ${dir} exists and is not a directory`);
      if (fs.readdirSync(dir).length > 0) throw new Error(`--out ${dir} exists and is not empty (nothing was changed)`);
    }
    let parent = path.resolve(dir);
    while (!fs.existsSync(parent)) parent = path.dirname(parent);
    try {
      fs.accessSync(parent, fs.constants.W_OK);
    } catch {
      throw new Error(`--out ${dir} is not writable (${parent} denies write access)`);
    }
  }

  /** A new run directory. Refuses to touch a directory that already holds anything. */
  static create(dir: string): RunDir {
    RunDir.assertCreatable(dir);
    makeDirs(path.join(dir, 'checkpoints'), `--out ${dir}`);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
      throw new Error(`--out ${dir} is not writable: ${(e as Error).message}`);
    }
    return new RunDir(dir);
  }

  /** An existing run directory (resume, eval, report). */
  static open(dir: string): RunDir {
    const rd = new RunDir(dir);
    if (!fs.existsSync(rd.recordFile)) throw new Error(`${dir} is not a run directory (no run.json)`);
    return rd;
  }

  private static peekStatus(file: string): string {
    try {
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord).status ?? 'unknown';
    } catch {
      return 'unreadable';
    }
  }

  readRecord(): RunRecord {
    let rec: RunRecord;
    try {
      rec = JSON.parse(fs.readFileSync(this.recordFile, 'utf8'));
    } catch (e) {
      throw new Error(`${this.recordFile}: not valid JSON (${jsonErrorLine(e)})`);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Error(`${this.recordFile}: not a run record (a JSON object)`);
    if (rec.schema !== RUN_SCHEMA) throw new Error(`${this.recordFile}: unknown schema ${JSON.stringify(rec.schema)}, expected '${RUN_SCHEMA}'`);
    rec = verifyJsonChecksum(rec, this.recordFile);
    const missing = recordProblem(rec);
    if (missing) throw new Error(`${this.recordFile}: ${missing}`);
    return rec;
  }

  writeRecord(rec: RunRecord): void {
    writeJsonAtomic(this.recordFile, withJsonChecksum({ ...rec, updated_at: new Date().toISOString() }));
    this.listener?.written('run.json');
  }

  /** A sign of life from this process (see liveness.ts). */
  writeHeartbeat(seqs: number): void {
    const { host, pid, user } = writerIdentity();
    const beat: Heartbeat = { host, pid, user, at: new Date().toISOString(), seqs };
    writeJsonAtomic(path.join(this.dir, HEARTBEAT_FILE), beat);
    this.listener?.written(HEARTBEAT_FILE);
  }

  appendMetrics(rows: MetricRow[]): void {
    appendLines(
      this.metricsFile,
      rows.map((r) => JSON.stringify(r)),
    );
    this.listener?.written('metrics.jsonl');
  }

  /** All complete metric rows; a trailing partial line (a crash mid-append) is ignored. */
  readMetrics(): MetricRow[] {
    if (!fs.existsSync(this.metricsFile)) return [];
    const text = fs.readFileSync(this.metricsFile, 'utf8');
    const lines = text.split('\n');
    if (!text.endsWith('\n')) lines.pop();
    const rows: MetricRow[] = [];
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line));
      } catch {
        throw new Error(`${this.metricsFile}:${i + 1}: malformed metrics row`);
      }
    }
    return rows;
  }

  /** Keep only rows with seqs ≤ `seqs` (exact resume from a checkpoint). */
  truncateMetrics(seqs: number): void {
    const keep = this.readMetrics().filter((r) => r.seqs <= seqs);
    writeFileAtomic(this.metricsFile, keep.map((r) => JSON.stringify(r) + '\n').join(''));
    this.listener?.written('metrics.jsonl');
  }

  /** Remove temp files a killed writer left behind (see atomic.ts); the files they were replacing are intact. */
  removeTempFiles(): void {
    for (const d of [this.dir, this.checkpointDir]) {
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d)) if (/^\..+\.tmp$/.test(f)) fs.rmSync(path.join(d, f), { force: true });
    }
  }

  checkpointFile(seqs: number): string {
    return path.join(this.checkpointDir, `seqs-${String(seqs).padStart(10, '0')}.safetensors`);
  }

  /** Sequence counts of the saved parameter checkpoints, ascending. */
  listCheckpoints(): number[] {
    if (!fs.existsSync(this.checkpointDir)) return [];
    return fs
      .readdirSync(this.checkpointDir)
      .map((f) => /^seqs-(\d+)\.safetensors$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  saveCheckpoint(seqs: number, tensors: Record<string, NamedTensor>, metadata: Record<string, string>): void {
    writeSafetensors(this.checkpointFile(seqs), tensors, metadata);
    this.listener?.written(path.relative(this.dir, this.checkpointFile(seqs)));
  }

  /** Resume state, keeping the previous one so a corrupt latest state can fall back. */
  saveState(tensors: Record<string, NamedTensor>, metadata: Record<string, string>): void {
    if (fs.existsSync(this.stateFile)) {
      fs.renameSync(this.stateFile, this.prevStateFile);
      this.listener?.written(path.basename(this.prevStateFile));
    }
    writeSafetensors(this.stateFile, tensors, metadata);
    this.listener?.written(path.basename(this.stateFile));
  }

  /**
   * The newest readable resume state (checksum-verified) that `accept` takes (it returns why not, or
   * null), or null; `warn` hears about every fallback.
   */
  loadState(warn: (msg: string) => void = () => undefined, accept: (s: SafetensorsFile) => string | null = () => null): SafetensorsFile | null {
    for (const f of [this.stateFile, this.prevStateFile]) {
      if (!fs.existsSync(f)) continue;
      try {
        const s = readSafetensors(f);
        const why = accept(s);
        if (why === null) return s;
        warn(`${f}: ${why}; falling back to the previous state`);
      } catch (e) {
        warn(`${(e as Error).message}; falling back to the previous state`);
      }
    }
    return null;
  }

  /** Checkpoints that fail to read (truncated, flipped bits: the checksum catches both), with why. */
  corruptCheckpoints(): { seqs: number; file: string; error: string }[] {
    const bad: { seqs: number; file: string; error: string }[] = [];
    for (const seqs of this.listCheckpoints()) {
      const file = this.checkpointFile(seqs);
      try {
        readSafetensors(file);
      } catch (e) {
        bad.push({ seqs, file, error: (e as Error).message });
      }
    }
    return bad;
  }
}

const STATUSES: readonly string[] = ['running', 'finished', 'failed', 'interrupted'];
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a run record lacks that every reader relies on (listings, resume, the dashboard), or null. */
function recordProblem(rec: RunRecord): string | null {
  if (!STATUSES.includes(rec.status)) return `status ${JSON.stringify(rec.status)} is not one of ${STATUSES.join(', ')}`;
  if (!isObj(rec.config)) return 'no config';
  if (!isObj(rec.config.schedule) || typeof rec.config.schedule.seqs !== 'number') return 'config.schedule.seqs is missing';
  if (!isObj(rec.config.task) || !Array.isArray(rec.config.task.classSplit)) return 'config.task.classSplit is missing';
  if (!isObj(rec.seeds)) return 'no seeds';
  if (!isObj(rec.progress) || typeof rec.progress.seqs !== 'number') return 'progress.seqs is missing';
  if (!isObj(rec.backend)) return 'no backend';
  return null;
}

/**
 * Checksums that say whether two runs ended identically: SHA-256 of the last checkpoint's tensor data
 * (not the file, whose metadata names the run) and of every metric row.
 */
export function runChecksums(dir: string): { status: RunStatus; checkpoint: number | null; params: string | null; metrics: string[] } {
  const run = RunDir.open(dir);
  const last = run.listCheckpoints().at(-1) ?? null;
  let params: string | null = null;
  if (last !== null) {
    const { tensors } = readSafetensors(run.checkpointFile(last));
    const h = createHash('sha256');
    for (const name of Object.keys(tensors).sort()) h.update(name).update(new Uint8Array(tensors[name].data.buffer, tensors[name].data.byteOffset, tensors[name].data.byteLength));
    params = h.digest('hex');
  }
  // Every field but `wall_s`, the seconds of training so far: a clock reading, not a result, so it differs
  // between a resumed run and an uninterrupted one (and between any two machines) by nature.
  const metrics = run.readMetrics().map(({ wall_s: _wall, ...r }) => createHash('sha256').update(JSON.stringify(r)).digest('hex'));
  return { status: run.readRecord().status, checkpoint: last, params, metrics };
}
