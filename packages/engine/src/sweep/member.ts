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
import { RunDir, type RunRecord, type RunSummary } from '../store/runDir.js';
import { makeDirs } from '../store/atomic.js';
import { InterruptedError, train, type TrainEvent } from '../train.js';
import { configHash, describeVary, type SweepMember } from './spec.js';

export type MemberState =
  | { kind: 'absent' }
  /** A directory left by a kill between its creation and the first run.json: safe to remove. */
  | { kind: 'stub' }
  | { kind: 'finished'; record: RunRecord }
  | { kind: 'unfinished'; record: RunRecord };

/** The outcome of running one member. */
export interface MemberResult {
  id: string;
  outcome: 'finished' | 'skipped' | 'interrupted' | 'failed';
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
}

/** Create the runs directory if needed and prove it writable with a real write; throws one line. */
export function prepareRunsDir(runsDir: string): void {
  try {
    if (fs.existsSync(runsDir) && !fs.statSync(runsDir).isDirectory()) throw new Error('exists and is not a directory');
    makeDirs(runsDir);
    const probe = path.join(runsDir, `.write-probe.${process.pid}.${Date.now()}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`runs directory ${runsDir} is not writable: ${err.code ? `${err.code} ${err.syscall ?? ''}`.trim() : err.message}`);
  }
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
  return record.status === 'finished' ? { kind: 'finished', record } : { kind: 'unfinished', record };
}

export interface SweepPlan {
  start: SweepMember[];
  resume: SweepMember[];
  skip: SweepMember[];
}

/**
 * Classify every member before any work starts. Without `resume`, a sweep whose runs already exist is
 * refused (nothing is changed), like `opto train --out` on an existing run.
 */
export function planSweep(members: SweepMember[], runsDir: string, opts: { resume: boolean }): SweepPlan {
  const plan: SweepPlan = { start: [], resume: [], skip: [] };
  for (const m of members) {
    const s = fs.existsSync(runsDir) ? memberState(runsDir, m) : { kind: 'absent' as const };
    if (s.kind === 'absent' || s.kind === 'stub') plan.start.push(m);
    else if (s.kind === 'finished') plan.skip.push(m);
    else plan.resume.push(m);
  }
  const existing = plan.skip.length + plan.resume.length;
  if (!opts.resume && existing > 0)
    throw new ConfigError(
      `${runsDir} already holds ${existing} of this sweep's ${members.length} runs (${plan.skip.length} finished, ${plan.resume.length} unfinished); continue with --resume (nothing was changed)`,
    );
  return plan;
}

/** Start, resume or skip one member; never throws for a failed run (the result says so). */
export async function runMember(member: SweepMember, runsDir: string, opts: RunMemberOptions = {}): Promise<MemberResult> {
  const dir = memberDir(runsDir, member);
  let firstSeqs = 0;
  let lastSeqs = 0;
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'start') firstSeqs = lastSeqs = e.resumedFrom ?? 0;
    else if (e.type === 'progress' || e.type === 'checkpoint' || e.type === 'eval') lastSeqs = Math.max(lastSeqs, e.seqs);
    opts.onEvent?.(e);
  };
  try {
    const state = memberState(runsDir, member);
    if (state.kind === 'finished') return { id: member.id, outcome: 'skipped', trained: 0, summary: state.record.summary };
    if (state.kind === 'stub') fs.rmSync(dir, { recursive: true, force: true });
    const summary = await train(member.config, {
      out: dir,
      resume: state.kind === 'unfinished',
      signal: opts.signal,
      onEvent,
      features: opts.features,
      coreModule: opts.coreModule,
    });
    return { id: member.id, outcome: 'finished', trained: summary.seqs - firstSeqs, summary };
  } catch (e) {
    const outcome = e instanceof InterruptedError ? 'interrupted' : 'failed';
    if (outcome === 'interrupted') lastSeqs = savedSeqs(dir) ?? lastSeqs;
    const label = describeVary(member.vary);
    const error = outcome === 'failed' ? `${member.id}${label ? ` (${label})` : ''}: ${(e as Error).message}` : undefined;
    return { id: member.id, outcome, trained: lastSeqs - firstSeqs, error };
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
