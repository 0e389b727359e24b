/**
 * A pool of worker threads that train sweep members, sharing one compiled core-wasm module (compiled
 * once here, instantiated per thread) and one copy of each feature table (loaded once here into a
 * SharedArrayBuffer; read-only in the threads). Used by the local sweep (`opto sweep --workers N`) and by the
 * queue worker (`opto worker`), whose main thread must stay free for the queue's heartbeats.
 *
 * `abort()` asks every running member to stop: `train` saves its resume state at the current step and
 * marks the run `interrupted`, so nothing is half-written and `--resume` continues exactly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { compileCoreModule } from '@optoscope/core-wasm';
import type { RunConfig } from '../config.js';
import type { RunStoreSpec } from '../store/runStore.js';
import type { FeatureSource } from '../data/types.js';
import { loadFeatures } from '../data/load.js';
import type { MemberResult } from './member.js';
import type { SweepMember } from './spec.js';

/** Messages to a pool thread. */
export type ToWorker = { type: 'run'; member: SweepMember; store: RunStoreSpec; features: FeatureSource | null; takeover: boolean } | { type: 'abort' };

/** Messages from a pool thread (training events are flattened to what a progress display needs). */
export type FromWorker =
  | { type: 'start'; id: string; resumedFrom: number | null; total: number }
  | { type: 'progress'; id: string; seqs: number; total: number; seqsPerSec?: number; loss?: number }
  | { type: 'warning'; id: string; message: string }
  | { type: 'result'; result: MemberResult };

export type PoolEvent = Exclude<FromWorker, { type: 'result' }>;

export interface PoolOptions {
  /** Threads (default: one per core). */
  size?: number;
  onEvent?: (e: PoolEvent) => void;
  /** Resume runs that look live elsewhere too (the queue: a job's lock decides who trains a run). */
  takeover?: boolean;
}

interface Slot {
  worker: Worker;
  busy: { member: SweepMember; resolve: (r: MemberResult) => void } | null;
}

interface Pending {
  member: SweepMember;
  store: RunStoreSpec;
  features: FeatureSource | null;
  resolve: (r: MemberResult) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

export class TrainPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly coreModule = compileCoreModule();
  private readonly features = new Map<string, Promise<FeatureSource | null>>();
  private aborted = false;
  private closed = false;

  constructor(private readonly opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? defaultWorkers());
    // Start every thread now: they load their modules while the first features are generated here.
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  /** Train (or resume, or skip) one member on the next free thread. Never rejects. */
  async run(member: SweepMember, where: string | RunStoreSpec): Promise<MemberResult> {
    const store = typeof where === 'string' ? { location: where } : where;
    const features = await this.featuresFor(member.config);
    return new Promise((resolve) => {
      if (this.aborted || this.closed) return resolve({ id: member.id, outcome: 'interrupted', trained: 0 });
      this.queue.push({ member, store, features, resolve });
      this.dispatch();
    });
  }

  /** One shared copy per data config; null if it fails to load (the thread then reports the error). */
  private featuresFor(cfg: RunConfig): Promise<FeatureSource | null> {
    const key = JSON.stringify(cfg.data);
    let f = this.features.get(key);
    if (!f) {
      f = loadFeatures(cfg).then(
        (src) => {
          const data = new Float32Array(new SharedArrayBuffer(src.data.byteLength));
          data.set(src.data);
          return { ...src, data };
        },
        () => null,
      );
      this.features.set(key, f);
    }
    return f;
  }

  /** Interrupt every running member (they save state) and drop the queued ones. */
  abort(): void {
    this.aborted = true;
    for (const p of this.queue.splice(0)) p.resolve({ id: p.member.id, outcome: 'interrupted', trained: 0 });
    for (const s of this.slots) if (s.busy) s.worker.postMessage({ type: 'abort' } satisfies ToWorker);
  }

  /** Interrupt one running member (a queue job whose lock was lost). */
  abortMember(id: string): void {
    for (const s of this.slots) if (s.busy?.member.id === id) s.worker.postMessage({ type: 'abort' } satisfies ToWorker);
  }

  get running(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Terminate the threads (after the members in flight have reported). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      // A thread that died is replaced.
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = { member: job.member, resolve: job.resolve };
      slot.worker.postMessage({ type: 'run', member: job.member, store: job.store, features: job.features, takeover: this.opts.takeover ?? false } satisfies ToWorker);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(workerScript(), { workerData: { coreModule: this.coreModule } });
    const slot: Slot = { worker, busy: null };
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'result') return this.opts.onEvent?.(m);
      const done = slot.busy;
      slot.busy = null;
      done?.resolve(m.result);
      this.dispatch();
    });
    const lost = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const done = slot.busy;
      slot.busy = null;
      if (done) done.resolve({ id: done.member.id, outcome: 'failed', trained: 0, error: `${done.member.id}: worker thread ${why}` });
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (e) => lost(`crashed: ${e.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}

/** The compiled thread entry (vitest runs this file from src/, where only the .ts exists). */
function workerScript(): URL {
  const here = new URL('./poolWorker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/sweep/poolWorker.js', import.meta.url);
}
