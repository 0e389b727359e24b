/**
 * Run liveness. A training run writes `<run>/heartbeat.json` ({host, pid, user, at, seqs}) when it starts
 * and at least every {@link HEARTBEAT_EVERY_MS} while it trains, so a reader on any machine can tell a
 * live run from one whose process died without a word (`kill -9`, a lost machine): a run whose run.json
 * says `running` is *stale* once its heartbeat is older than {@link STALE_AFTER_MS}, or at once when the
 * heartbeat names this host and a process id that no longer exists.
 *
 * Heartbeat times are the writer's clock: machines that share runs should keep their clocks in step (NTP);
 * a minute of slack covers the usual skew.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const HEARTBEAT_FILE = 'heartbeat.json';
/** Well inside the issue's 10 s, so a slow step or an eval cannot stretch the gap past it. */
export const HEARTBEAT_EVERY_MS = 5_000;
export const STALE_AFTER_MS = 60_000;

export interface Heartbeat {
  host: string;
  pid: number;
  user: string;
  /** ISO time of the beat. */
  at: string;
  /** Sequences trained when it beat. */
  seqs: number;
}

/** Who is training here: host name, OS user, process id. */
export function writerIdentity(): { host: string; user: string; pid: number } {
  let user = process.env.USER ?? process.env.USERNAME ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry (some containers): the environment's name, or none */
  }
  return { host: os.hostname(), user: user || 'unknown', pid: process.pid };
}

/** The run's last heartbeat, or null when it has none (an older run) or it is unreadable (being replaced). */
export function readHeartbeat(dir: string): Heartbeat | null {
  try {
    const b = JSON.parse(fs.readFileSync(path.join(dir, HEARTBEAT_FILE), 'utf8')) as Heartbeat;
    return typeof b.at === 'string' && typeof b.host === 'string' ? b : null;
  } catch {
    return null;
  }
}

/** Why a `running` run is not running any more, and how to continue it. */
export interface Staleness {
  /** ISO time of the last sign of life (the heartbeat, or run.json's updated_at for runs without one). */
  lastSeen: string;
  host: string;
  pid: number | null;
  /** Seconds since the last sign of life. */
  ageS: number;
  why: 'heartbeat too old' | 'process gone';
  /** The command that continues the run from its last checkpoint. */
  resume: string;
}

/** `opto train --resume ...` for a run under `runsRoot` (a directory or an s3:// URL). */
export function resumeCommand(runsRoot: string, id: string): string {
  if (/^s3:\/\//i.test(runsRoot)) return `opto train --runs ${runsRoot} --resume ${id}`;
  return `opto train --resume ${path.join(runsRoot, id)}`;
}

/**
 * Null unless the run says `running` and its writer is gone. Runs from before heartbeats are judged by
 * run.json's updated_at (written at every checkpoint), the best sign of life they have.
 */
export function runStaleness(record: { status: string; updated_at: string; host?: string }, beat: Heartbeat | null, resume: string, now = Date.now()): Staleness | null {
  if (record.status !== 'running') return null;
  const lastSeen = beat?.at ?? record.updated_at;
  const host = beat?.host ?? record.host ?? 'an unknown host';
  const pid = beat?.pid ?? null;
  const t = Date.parse(lastSeen);
  const ageS = Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : Infinity;
  let why: Staleness['why'] | null = null;
  if (ageS * 1000 > STALE_AFTER_MS) why = 'heartbeat too old';
  else if (pid !== null && host === os.hostname() && !processExists(pid)) why = 'process gone';
  if (why === null) return null;
  return { lastSeen, host, pid, ageS: Number.isFinite(ageS) ? Math.round(ageS) : -1, why, resume };
}

/** "stale: last seen 2026-12-06 06:50:12 UTC on host-a (pid 123)". */
export function describeStaleness(s: Staleness): string {
  const when = s.lastSeen.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return `stale: last seen ${when} on ${s.host}${s.pid !== null ? ` (pid ${s.pid})` : ''}`;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
