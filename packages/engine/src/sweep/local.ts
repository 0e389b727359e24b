/**
 * A sweep on this machine: every member not yet finished goes to a {@link TrainPool} of worker threads.
 * All checks (runs directory writable, existing runs, feature files present) happen before any thread
 * starts; an aborted signal interrupts the running members, which save their state.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../config.js';
import { openRunStoreAt } from '../store/runStores.js';
import { fileVerdictCache } from '../store/backendVerdicts.js';
import { runBatchedSweep, type BatchingEvent } from './batched.js';
import { planSweep, type MemberResult, type SweepPlan } from './member.js';
import { TrainPool, defaultWorkers, type PoolEvent } from './pool.js';
import type { SweepMember } from './spec.js';

export interface LocalSweepOptions {
  /** A runs directory or s3://bucket/prefix. */
  runsDir: string;
  /** With s3://: the local cache directory (default under ~/.cache/optoscope/s3). */
  cache?: string;
  /** Threads (default one per core, at most one per member to run). */
  workers?: number;
  /** Continue unfinished members and skip finished ones (otherwise existing runs are refused). */
  resume?: boolean;
  /** Members on webgpu (or auto, where measured faster) train batched on the device, this many per device step (default: measured). */
  replicas?: number;
  signal?: AbortSignal;
  onEvent?: (e: SweepEvent) => void;
}

export type SweepEvent =
  | { type: 'plan'; plan: SweepPlan; workers: number }
  | PoolEvent
  | BatchingEvent
  | { type: 'end'; member: SweepMember; result: MemberResult };

export interface SweepOutcome {
  results: MemberResult[];
  interrupted: boolean;
}

/** Check everything a sweep needs before any work starts (the store writable, feature files present, which runs exist); throws one line. */
export async function preflightSweep(members: SweepMember[], runsDir: string, resume: boolean, cache?: string): Promise<SweepPlan> {
  const store = await openRunStoreAt({ location: runsDir, cache });
  try {
    await store.prepare();
    for (const src of new Set(members.map((m) => m.config.data.source)))
      if (src !== 'synthetic' && !fs.existsSync(src)) throw new ConfigError(`feature file not found: ${src}`);
    // Run records and heartbeats say which members exist, are finished, or train elsewhere right now.
    return planSweep(members, await store.refresh('records'), { resume });
  } finally {
    store.close();
  }
}

export async function runLocalSweep(members: SweepMember[], opts: LocalSweepOptions): Promise<SweepOutcome> {
  const plan = await preflightSweep(members, opts.runsDir, opts.resume ?? false, opts.cache);
  const todo = [...plan.start, ...plan.resume].sort((a, b) => a.index - b.index);
  const workers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), todo.length));
  const emit = opts.onEvent ?? (() => undefined);
  emit({ type: 'plan', plan, workers });

  const results: MemberResult[] = [
    ...plan.skip.map((m): MemberResult => ({ id: m.id, outcome: 'skipped', trained: 0 })),
    ...plan.live.map((m): MemberResult => ({ id: m.id, outcome: 'live', trained: 0 })),
  ];
  if (todo.length === 0) return { results, interrupted: false };
  // webgpu members, and auto ones, may train batched on the device (sweep/batched.ts); a run store other
  // than a local directory (s3://) goes through the pool, which mirrors what training writes.
  const local = !opts.runsDir.includes('://');
  const mayBatch = (m: SweepMember) => local && (m.config.backend === 'webgpu' || m.config.backend === 'auto');
  // The pool's threads start on first use: a sweep that is all on the device starts none.
  let pool: TrainPool | null = null;
  const running: Promise<void>[] = [];
  const byId = new Map(todo.map((m) => [m.id, m]));
  const done = (result: MemberResult) => {
    results.push(result);
    emit({ type: 'end', member: byId.get(result.id)!, result });
  };
  const toPool = (ms: SweepMember[]) => {
    if (!ms.length) return;
    pool ??= new TrainPool({ size: workers, onEvent: emit });
    if (opts.signal?.aborted) pool.abort();
    const p = pool;
    running.push(...ms.map(async (member) => done(await p.run(member, { location: opts.runsDir, cache: opts.cache }))));
  };
  const onAbort = () => pool?.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    toPool(todo.filter((m) => !mayBatch(m)));
    const onDevice = todo.filter(mayBatch);
    if (onDevice.length) {
      const device = await runBatchedSweep(onDevice, {
        runsDir: opts.runsDir,
        replicas: opts.replicas,
        workers: opts.workers ?? defaultWorkers(),
        verdicts: fileVerdictCache(),
        signal: opts.signal,
        onEvent: emit,
        handOff: toPool,
      });
      device.forEach(done);
    }
    await Promise.all(running);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await (pool as TrainPool | null)?.close();
  }
  return { results, interrupted: opts.signal?.aborted ?? false };
}
