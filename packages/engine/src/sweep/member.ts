/**
 * One sweep member against its run directory, the single place that decides whether a member starts,
 * resumes or is skipped. Every executor (local worker threads, queue workers, array-job tasks) goes
 * through {@link runMember}, so a run killed anywhere is continued from its last checkpoint by whichever
 * executor picks it up next, and a finished run is never trained again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseRunConfig } from '../config.js';
import type { FeatureSource } from '../data/types.js';
import { readHeartbeat, runStaleness } from '../store/liveness.js';
import { RunDir, type RunRecord, type RunSummary } from '../store/runDir.js';
import type { RunStoreSpec } from '../store/runStore.js';
import { openRunStoreAt } from '../store/runStores.js';
import { InterruptedError, train, type TrainEvent } from '../train.js';
import { configHash, describeVary, type SweepMember } from './spec.js';

export type MemberState =
  | { kind: 'absent' }
  /** A directory left by a kill between its creation and the first run.json: safe to remove. */
  | { kind: 'stub' }
  | { kind: 'finished'; record: RunRecord }
  /** Interrupted, failed, or `running` with a stale heartbeat: its writer is gone, so it may be resumed. */
  | { kind: 'unfinished'; record: RunRecord }
  /** `running` with a fresh heartbeat: another process is training it right now. */
  | { kind: 'live'; record: RunRecord; host: string; pid: number };

/** The outcome of running one member. */
export interface MemberResult {
  id: string;
  /** live: left alone, another process is training it (fresh heartbeat). */
  outcome: 'finished' | 'skipped' | 'interrupted' | 'failed' | 'live';
  /** Sequences trained by this call (0 when skipped). */
  trained: number;
  summary?: RunSummary;
  error?: string;
}

export interface RunMemberOptions {
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  features?: FeatureSource;
  coreModule?: WebAssembly.Module;
  /** Resume a live-looking run too: the caller holds the run by other means (a queue job's lock). */
  takeover?: boolean;
}

export function memberDir(runsDir: string, member: Pick<SweepMember, 'id'>): string {
  return path.join(runsDir, member.id);
}

/** What the runs directory holds for a member; throws if it holds something else under the member's ID. */
export function memberState(runsDir: string, member: SweepMember): MemberState {
  const dir = memberDir(runsDir, member);
  if (!fs.existsSync(dir)) return { kind: 'absent' };
  if (!fs.existsSync(path.join(dir, 'run.json'))) {
    if (isStub(dir)) return { kind: 'stub' };
    throw new Error(`${dir} holds files but no run.json; move it away to run sweep member ${member.index}`);
  }
  const record = RunDir.open(dir).readRecord();
  const held = configHash(parseRunConfig(record.config, `${dir}/run.json config`));
  if (held !== configHash(member.config))
    throw new Error(`${dir} holds a run with a different config (hash ${held}); it is not sweep member ${member.index}`);
  if (record.status === 'finished') return { kind: 'finished', record };
  const beat = readHeartbeat(dir);
  if (record.status === 'running' && beat && runStaleness(record, beat, '') === null) return { kind: 'live', record, host: beat.host, pid: beat.pid };
  return { kind: 'unfinished', record };
}

export interface SweepPlan {
  start: SweepMember[];
  resume: SweepMember[];
  skip: SweepMember[];
  /** Being trained by another process right now (fresh heartbeat): left alone. */
  live: SweepMember[];
}

/**
 * Classify every member before any work starts. Without `resume`, a sweep whose runs already exist is
 * refused (nothing is changed), like `opto train --out` on an existing run.
 */
export function planSweep(members: SweepMember[], runsDir: string, opts: { resume: boolean }): SweepPlan {
  const plan: SweepPlan = { start: [], resume: [], skip: [], live: [] };
  for (const m of members) {
    const s = fs.existsSync(runsDir) ? memberState(runsDir, m) : { kind: 'absent' as const };
    if (s.kind === 'absent' || s.kind === 'stub') plan.start.push(m);
    else if (s.kind === 'finished') plan.skip.push(m);
    else if (s.kind === 'live') plan.live.push(m);
    else plan.resume.push(m);
  }
  const existing = plan.skip.length + plan.resume.length + plan.live.length;
  if (!opts.resume && existing > 0)
    throw new ConfigError(
      `${runsDir} already holds ${existing} of this sweep's ${members.length} runs (${plan.skip.length} finished, ${plan.resume.length + plan.live.length} unfinished${plan.live.length ? `, ${plan.live.length} of them training elsewhere` : ''}); continue with --resume (nothing was changed)`,
    );
  return plan;
}

/**
 * Start, resume or skip one member in a runs directory or another run store (which brings the member's
 * run to this machine first and receives what training writes); never throws for a failed run (the
 * result says so).
 */
export async function runMember(member: SweepMember, where: string | RunStoreSpec, opts: RunMemberOptions = {}): Promise<MemberResult> {
  const spec = typeof where === 'string' ? { location: where } : where;
  let dir = memberDir(spec.location, member);
  let firstSeqs = 0;
  let lastSeqs = 0;
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'start') firstSeqs = lastSeqs = e.resumedFrom ?? 0;
    else if (e.type === 'progress' || e.type === 'checkpoint' || e.type === 'eval') lastSeqs = Math.max(lastSeqs, e.seqs);
    opts.onEvent?.(e);
  };
  let store: Awaited<ReturnType<typeof openRunStoreAt>> | null = null;
  try {
    store = await openRunStoreAt(spec);
    await store.checkout(member.id);
    const runsDir = store.workDir;
    dir = memberDir(runsDir, member);
    const state = memberState(runsDir, member);
    if (state.kind === 'finished') return { id: member.id, outcome: 'skipped', trained: 0, summary: state.record.summary };
    if (state.kind === 'live' && !opts.takeover)
      return { id: member.id, outcome: 'live', trained: 0, error: `${member.id}: still training on ${state.host} (pid ${state.pid}); left alone` };
    if (state.kind === 'stub') fs.rmSync(dir, { recursive: true, force: true });
    const summary = await train(member.config, {
      out: dir,
      resume: state.kind === 'unfinished' || state.kind === 'live',
      takeover: opts.takeover,
      signal: opts.signal,
      onEvent,
      features: opts.features,
      coreModule: opts.coreModule,
      mirror: store.mirror(member.id) ?? undefined,
    });
    return { id: member.id, outcome: 'finished', trained: summary.seqs - firstSeqs, summary };
  } catch (e) {
    const outcome = e instanceof InterruptedError ? 'interrupted' : 'failed';
    if (outcome === 'interrupted') lastSeqs = savedSeqs(dir) ?? lastSeqs;
    const label = describeVary(member.vary);
    const error = outcome === 'failed' ? `${member.id}${label ? ` (${label})` : ''}: ${(e as Error).message}` : undefined;
    return { id: member.id, outcome, trained: lastSeqs - firstSeqs, error };
  } finally {
    store?.close();
  }
}

/** The sequence count run.json says the saved state has reached. */
function savedSeqs(dir: string): number | undefined {
  try {
    return RunDir.open(dir).readRecord().progress.seqs;
  } catch {
    return undefined;
  }
}

/** Only an empty `checkpoints/` and temp files: what `RunDir.create` leaves before run.json exists. */
function isStub(dir: string): boolean {
  return fs.readdirSync(dir).every((f) => {
    if (/^\..*\.tmp$/.test(f)) return true;
    if (f !== 'checkpoints') return false;
    const sub = path.join(dir, f);
    return fs.statSync(sub).isDirectory() && fs.readdirSync(sub).length === 0;
  });
}
