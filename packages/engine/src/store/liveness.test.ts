/**
 * Liveness: the heartbeat a run writes, and the stale verdict readers draw from it. Times are built here
 * from the clock (not taken from the code under test), so each boundary can fail either way.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticFeatures } from '../data/index.js';
import { planSweep, runMember } from '../sweep/member.js';
import { expandSweep } from '../sweep/spec.js';
import { train } from '../train.js';
import { HEARTBEAT_FILE, readHeartbeat, resumeCommand, runStaleness, type Heartbeat } from './liveness.js';
import { RunDir } from './runDir.js';

const temps: string[] = [];
const tmp = () => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-live-')));
  return temps[temps.length - 1];
};
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const running = { status: 'running', updated_at: ago(3600) };
const beat = (over: Partial<Heartbeat>): Heartbeat => ({ host: 'elsewhere-7', pid: 4242, user: 'ana', at: ago(1), seqs: 640, ...over });

/** A pid that belonged to a process on this host that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('runStaleness', () => {
  it('another host: live up to 60 s after its last heartbeat, stale after, with when, where and how to resume', () => {
    expect(runStaleness(running, beat({ at: ago(59) }), 'cmd', NOW)).toBeNull();
    const s = runStaleness(running, beat({ at: ago(61) }), 'opto train --resume runs/x', NOW);
    expect(s).toEqual({ lastSeen: ago(61), host: 'elsewhere-7', pid: 4242, ageS: 61, why: 'heartbeat too old', resume: 'opto train --resume runs/x' });
  });
  it('this host: stale at once when the pid is gone, live while it exists', () => {
    const s = runStaleness(running, beat({ host: os.hostname(), pid: deadPid(), at: new Date().toISOString() }), 'cmd');
    expect(s?.why).toBe('process gone');
    expect(runStaleness(running, beat({ host: os.hostname(), pid: process.pid, at: new Date().toISOString() }), 'cmd')).toBeNull();
  });
  it('only running runs are stale; a run from before heartbeats is judged by run.json updated_at and host', () => {
    for (const status of ['finished', 'failed', 'interrupted']) expect(runStaleness({ ...running, status }, beat({ at: ago(3600) }), 'cmd', NOW)).toBeNull();
    expect(runStaleness({ status: 'running', updated_at: ago(30), host: 'old-box' }, null, 'cmd', NOW)).toBeNull();
    expect(runStaleness({ status: 'running', updated_at: ago(90), host: 'old-box' }, null, 'cmd', NOW)).toMatchObject({ host: 'old-box', pid: null, ageS: 90 });
  });
  it('resume commands name the run the way the user named the runs', () => {
    expect(resumeCommand('runs', 'a1')).toBe(`opto train --resume ${path.join('runs', 'a1')}`);
    expect(resumeCommand('s3://team/opto', 'a1')).toBe('opto train --runs s3://team/opto --resume a1');
  });
});

const { members } = expandSweep({ name: 'live', base: { backend: 'wasm', schedule: { seqs: 1280, evalEvery: 640, ckptEvery: 640, evalSize: 50 } }, seeds: [5] });
const features = syntheticFeatures({ seed: 0 });

/** A member's run left as `running` with a heartbeat of our choosing (what a killed writer leaves). */
async function orphan(runsDir: string, hb: Heartbeat): Promise<string> {
  const dir = path.join(runsDir, members[0].id);
  const ac = new AbortController();
  const stop = train(members[0].config, { out: dir, features, signal: ac.signal, onEvent: (e) => e.type === 'checkpoint' && e.seqs === 640 && ac.abort() });
  await expect(stop).rejects.toThrow(/interrupted at 640 sequences/);
  const rd = RunDir.open(dir);
  rd.writeRecord({ ...rd.readRecord(), status: 'running' });
  fs.writeFileSync(path.join(dir, HEARTBEAT_FILE), JSON.stringify(hb));
  return dir;
}

describe('heartbeat and record', () => {
  it('a run records host, user and code version, and its heartbeat names this process', async () => {
    const dir = path.join(tmp(), 'r');
    const t0 = Date.now();
    await train(members[0].config, { out: dir, features });
    const rec = RunDir.open(dir).readRecord();
    expect(rec.host).toBe(os.hostname());
    expect(rec.user).toBe(os.userInfo().username);
    expect(rec.code.version).toMatch(/^\d+\.\d+\.\d+/);
    const hb = readHeartbeat(dir)!;
    expect(hb).toMatchObject({ host: os.hostname(), pid: process.pid, user: os.userInfo().username });
    expect(Date.parse(hb.at)).toBeGreaterThanOrEqual(t0 - 1000);
  });

  it('sweep --resume leaves a run that still beats elsewhere alone, and resumes it once stale; a queue job (takeover) resumes it anyway', async () => {
    const fresh = tmp();
    await orphan(fresh, beat({ at: new Date().toISOString() }));
    const plan = planSweep(members, fresh, { resume: true });
    expect(plan.live.map((m) => m.id)).toEqual([members[0].id]);
    expect(plan.resume).toEqual([]);
    const left = await runMember(members[0], fresh, { features });
    expect(left.outcome).toBe('live');
    expect(left.error).toMatch(/still training on elsewhere-7 \(pid 4242\)/);
    expect(() => planSweep(members, fresh, { resume: false })).toThrow(/1 of them training elsewhere.*--resume/);
    await expect(train({} as never, { out: path.join(fresh, members[0].id), resume: true, features })).rejects.toThrow(/still training on elsewhere-7 .*nothing was changed/);
    const taken = await runMember(members[0], fresh, { features, takeover: true });
    expect(taken.outcome).toBe('finished');

    const stale = tmp();
    await orphan(stale, beat({ at: new Date(Date.now() - 61_000).toISOString() }));
    expect(planSweep(members, stale, { resume: true }).resume.map((m) => m.id)).toEqual([members[0].id]);
    const resumed = await runMember(members[0], stale, { features });
    expect(resumed).toMatchObject({ outcome: 'finished', trained: 1280 - 640 });
  });
});
