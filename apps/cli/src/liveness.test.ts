/**
 * Run liveness as a user meets it: a real `opto train` beats at least every 10 s, is killed with
 * SIGKILL, and `opto runs ls/show` call it stale with the command that resumes it; a copy whose heartbeat
 * comes from another host is live at 50 s and stale at 61 s.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optoSync, removeTemps, sleep, start, tmp, until } from './testing/procs.js';

afterAll(removeTemps);

const beatOf = (dir: string) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'heartbeat.json'), 'utf8')) as { host: string; pid: number; at: string; seqs: number };
  } catch {
    return null; // not written yet
  }
};

describe('run liveness', () => {
  it('a killed run shows as stale in opto runs ls and show, with its resume command, which continues it', async () => {
    const d = tmp('opto-live-');
    const cfg = { backend: 'wasm', schedule: { seqs: 2_000_000, evalEvery: 64_000, ckptEvery: 64_000, evalSize: 50 } };
    fs.writeFileSync(path.join(d, 'c.json'), JSON.stringify(cfg));
    const p = start(['train', 'c.json', '--out', 'runs/victim', '--no-progress'], d);
    const dir = path.join(d, 'runs', 'victim');
    await until(() => beatOf(dir) !== null, 60_000, `a first heartbeat: ${p.stderr()}`);
    // Watch the heartbeat for 12 s: every gap between beats is at most 10 s.
    const beats = new Set<string>();
    const t0 = Date.now();
    while (Date.now() - t0 < 12_000) {
      const b = beatOf(dir);
      if (b) beats.add(b.at);
      await sleep(100);
    }
    const times = [...beats].map(Date.parse).sort((a, b) => a - b);
    expect(times.length, [...beats].join(' ')).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeLessThanOrEqual(10_000);
    expect(beatOf(dir)).toMatchObject({ host: os.hostname(), pid: p.child.pid });

    const live = optoSync(['runs', 'ls', '--runs', 'runs'], d);
    expect(live.stdout).toMatch(/^victim\s+running\s/m);
    expect(live.stdout).not.toMatch(/stale/);

    p.child.kill('SIGKILL');
    await p.exited;
    const rec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(rec.status).toBe('running');
    expect(rec).toMatchObject({ host: os.hostname(), user: os.userInfo().username });
    const ls = optoSync(['runs', 'ls', '--runs', 'runs'], d);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^victim\s+stale\s/m);
    const when = beatOf(dir)!.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    expect(ls.stdout).toContain(`victim: stale: last seen ${when} on ${os.hostname()} (pid ${p.child.pid}); resume with: opto train --resume ${path.join('runs', 'victim')}`);
    expect(optoSync(['runs', 'ls', '--runs', 'runs', '--status', 'stale'], d).stdout).toMatch(/^1 run\(s\)/m);
    const json = JSON.parse(optoSync(['runs', 'ls', '--runs', 'runs', '--json'], d).stdout);
    expect(json[0].stale).toMatchObject({ host: os.hostname(), pid: p.child.pid, why: 'process gone', resume: `opto train --resume ${path.join('runs', 'victim')}` });
    expect(optoSync(['runs', 'show', 'victim', '--runs', 'runs'], d).stdout).toMatch(/^status\s+running, stale: last seen .* on .*; resume with: opto train --resume/m);

    // The same run as another host left it: its heartbeat decides, 60 s after the last beat.
    fs.cpSync(dir, path.join(d, 'runs', 'other'), { recursive: true });
    const other = (ageS: number) =>
      fs.writeFileSync(path.join(d, 'runs', 'other', 'heartbeat.json'), JSON.stringify({ host: 'gpu-box-3', pid: 77, user: 'ana', at: new Date(Date.now() - ageS * 1000).toISOString(), seqs: 0 }));
    other(50);
    expect(optoSync(['runs', 'ls', '--runs', 'runs'], d).stdout).toMatch(/^other\s+running\s/m);
    other(61);
    const ls2 = optoSync(['runs', 'ls', '--runs', 'runs'], d).stdout;
    expect(ls2).toMatch(/^other\s+stale\s/m);
    expect(ls2).toMatch(/other: stale: last seen .* on gpu-box-3 \(pid 77\)/);
    fs.rmSync(path.join(d, 'runs', 'other'), { recursive: true });

    // The printed command resumes it: a new process beats, the run is live again, and stops cleanly.
    const resume = /resume with: (opto .*)$/m.exec(ls.stdout)![1].split(' ').slice(1);
    const q = start([...resume, '--no-progress'], d);
    await until(() => beatOf(dir)?.pid === q.child.pid, 60_000, `the resumed run to beat: ${q.stderr()}`);
    expect(optoSync(['runs', 'ls', '--runs', 'runs'], d).stdout).toMatch(/^victim\s+running\s/m);
    q.child.kill('SIGINT');
    expect(await q.exited).toBe(130);
    expect(q.stderr()).toMatch(/resume with --resume/);
    expect(optoSync(['runs', 'ls', '--runs', 'runs'], d).stdout).toMatch(/^victim\s+interrupted\s/m);
  }, 180_000);
});
