/**
 * Liveness at its edges (store/liveness.ts), which decide whether `--resume` retrains a run or leaves it to a
 * writer that is still alive: a heartbeat exactly 60 s old is live and a millisecond more is stale; another
 * host's run is never judged by a local process id; heartbeats without the fields a reader needs are ignored;
 * the stale line and the resume command, written out by hand.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_FILE, STALE_AFTER_MS, describeStaleness, readHeartbeat, resumeCommand, runStaleness, writerIdentity, type Heartbeat } from './liveness.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const at = '2026-12-06T06:50:12.345Z';
const t0 = Date.parse(at);
const running = { status: 'running', updated_at: at };
const beat = (host: string, pid: number): Heartbeat => ({ host, pid, user: 'u', at, seqs: 1000 });

describe('runStaleness at its edges', () => {
  it('60 s after the last beat is still live; 60.001 s is stale (another host, so only the age counts)', () => {
    expect(STALE_AFTER_MS).toBe(60_000);
    expect(runStaleness(running, beat('elsewhere', 1), 'r', t0 + 60_000)).toBeNull();
    expect(runStaleness(running, beat('elsewhere', 1), 'r', t0 + 60_001)).toEqual({ lastSeen: at, host: 'elsewhere', pid: 1, ageS: 60, why: 'heartbeat too old', resume: 'r' });
  });

  it('a young beat from another host is live whatever its pid; on this host a gone pid is stale at once', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(runStaleness(running, beat('elsewhere', gone), 'r', t0 + 5_000)).toBeNull();
    expect(runStaleness(running, beat(os.hostname(), process.pid), 'r', t0 + 5_000)).toBeNull();
    expect(runStaleness(running, beat(os.hostname(), gone), 'r', t0 + 5_000)?.why).toBe('process gone');
    // no heartbeat and no pid: only the age of run.json counts
    expect(runStaleness({ ...running, host: os.hostname() }, null, 'r', t0 + 5_000)).toBeNull();
  });

  it('an unreadable time is stale with age −1; a run without heartbeat or host is on "an unknown host"', () => {
    expect(runStaleness({ status: 'running', updated_at: 'garbage' }, null, 'r', t0)).toEqual({ lastSeen: 'garbage', host: 'an unknown host', pid: null, ageS: -1, why: 'heartbeat too old', resume: 'r' });
  });

  it('the stale line: UTC time to the second, host, and the pid when there is one', () => {
    const s = runStaleness(running, beat('host-a', 123), 'r', t0 + 120_000)!;
    expect(describeStaleness(s)).toBe('stale: last seen 2026-12-06 06:50:12 UTC on host-a (pid 123)');
    const noPid = runStaleness({ ...running, updated_at: '2026-12-06T06:50:12Z', host: 'host-b' }, null, 'r', t0 + 120_000)!;
    expect(describeStaleness(noPid)).toBe('stale: last seen 2026-12-06 06:50:12 UTC on host-b');
  });
});

describe('heartbeat files and resume commands', () => {
  const withBeat = (content: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'beat-'));
    dirs.push(d);
    fs.writeFileSync(path.join(d, HEARTBEAT_FILE), content);
    return d;
  };

  it('a heartbeat needs a string time and a string host; anything else reads as none', () => {
    const ok = { host: 'h', pid: 1, user: 'u', at, seqs: 0 };
    expect(readHeartbeat(withBeat(JSON.stringify(ok)))).toEqual(ok);
    for (const bad of [{ ...ok, at: 5 }, { ...ok, host: null }, { host: 'h' }, { at }]) expect(readHeartbeat(withBeat(JSON.stringify(bad))), JSON.stringify(bad)).toBeNull();
    expect(readHeartbeat(withBeat('{"at": "half-writ'))).toBeNull();
  });

  it('an s3:// runs root (any case) resumes by URL; a local path that merely contains s3:// joins as a path', () => {
    expect(resumeCommand('S3://bucket/runs', 'abc')).toBe('opto train --runs S3://bucket/runs --resume abc');
    expect(resumeCommand('/data/s3://x', 'abc')).toBe('opto train --resume /data/s3:/x/abc');
  });

  it('the writer is this process on this host, under the OS user', () => {
    expect(writerIdentity()).toEqual({ host: os.hostname(), user: os.userInfo().username, pid: process.pid });
  });
});
