// sweep/member.ts in this thread with tiny runs: what memberState reads from a run directory, how planSweep
// classifies a sweep, and what runMember reports for each state. local.test.ts drives the same code through worker
// threads (and Ctrl-C), which Stryker's thread pool cannot host; these run under `npm run mutation` too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { withJsonChecksum } from '../store/jsonChecksum.js';
import { RunDir, runChecksums, type RunRecord } from '../store/runDir.js';
import { train } from '../train.js';
import { memberDir, memberState, planSweep, runMember } from './member.js';
import { expandSweep } from './spec.js';

const temps: string[] = [];
const tmp = (p: string) => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), p)));
  return temps[temps.length - 1];
};
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const SEQS = 640;
const { members } = expandSweep({
  name: 'member',
  base: { backend: 'wasm', schedule: { seqs: SEQS, evalEvery: 160, ckptEvery: 320, evalSize: 50 } },
  grid: { 'seeds.init': [2, 3, 4, 5, 6] },
});
const features = syntheticFeatures({ seed: 0 });
const refDir = tmp('opto-member-ref-');
let refRecord: RunRecord;

beforeAll(async () => {
  // One uninterrupted run: the reference for the retrained ones and the record the fabricated states copy.
  await train(members[0].config, { out: path.join(refDir, members[0].id), features });
  refRecord = RunDir.open(path.join(refDir, members[0].id)).readRecord();
}, 120_000);

/** A run directory for `m` whose run.json says `status` (checksummed, as the store writes it). */
function fakeRun(runsDir: string, m: (typeof members)[number], status: string, extra: Partial<RunRecord> = {}): string {
  const dir = memberDir(runsDir, m);
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(withJsonChecksum({ ...refRecord, config: m.config, status, ...extra })));
  return dir;
}

function beat(dir: string, ageMs: number, pid = process.pid, host = os.hostname()): void {
  const at = new Date(Date.now() - ageMs).toISOString();
  fs.writeFileSync(path.join(dir, 'heartbeat.json'), JSON.stringify({ host, pid, user: 'tester', at, seqs: 320 }));
}

describe('memberState', () => {
  it('the member directory is the run ID under the runs directory', () => {
    expect(memberDir('/r/runs', { id: 'x-0123456789' })).toBe(path.join('/r/runs', 'x-0123456789'));
    expect(memberDir('runs', members[2])).toBe(`runs${path.sep}${members[2].id}`);
  });

  it('absent, and a stub (an empty checkpoints/ and dot-temp files) that is safe to remove', () => {
    const runsDir = tmp('opto-member-stub-');
    expect(memberState(runsDir, members[0])).toEqual({ kind: 'absent' });
    const dir = memberDir(runsDir, members[0]);
    fs.mkdirSync(dir);
    expect(memberState(runsDir, members[0])).toEqual({ kind: 'stub' });
    fs.mkdirSync(path.join(dir, 'checkpoints'));
    fs.writeFileSync(path.join(dir, '.run.json.4711.tmp'), '{');
    expect(memberState(runsDir, members[0])).toEqual({ kind: 'stub' });
  });

  it('anything more than a stub without run.json is refused, naming the directory and the member', () => {
    const cases: [string, (dir: string) => void][] = [
      ['a file under checkpoints/', (d) => (fs.mkdirSync(path.join(d, 'checkpoints')), fs.writeFileSync(path.join(d, 'checkpoints', 'ckpt-320.bin'), 'x'))],
      ['checkpoints as a file', (d) => fs.writeFileSync(path.join(d, 'checkpoints'), '')],
      ['a temp file without the leading dot', (d) => fs.writeFileSync(path.join(d, 'run.json.1.tmp'), '')],
      ['a dot file that is not a temp file', (d) => fs.writeFileSync(path.join(d, '.run.json.1.tmpx'), '')],
      ['a dot file that only starts like one', (d) => fs.writeFileSync(path.join(d, 'x.run.tmp'), '')],
      ['metrics without a record', (d) => fs.writeFileSync(path.join(d, 'metrics.jsonl'), '')],
      ['an empty directory other than checkpoints/', (d) => fs.mkdirSync(path.join(d, 'analyses'))],
    ];
    for (const [what, make] of cases) {
      const runsDir = tmp('opto-member-junk-');
      const dir = memberDir(runsDir, members[3]);
      fs.mkdirSync(dir);
      make(dir);
      expect(() => memberState(runsDir, members[3]), what).toThrow(new Error(`${dir} holds files but no run.json; move it away to run sweep member 3`));
    }
  });

  it("another member's run under this member's ID is refused with the hash it holds", () => {
    const runsDir = tmp('opto-member-other-');
    const dir = memberDir(runsDir, members[1]);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(refDir, members[0].id, 'run.json'), path.join(dir, 'run.json'));
    // members[0]'s ID is `member-<its hash>`: the hash the refusal must name.
    const held = members[0].id.slice('member-'.length);
    expect(held).toMatch(/^[0-9a-f]{10}$/);
    expect(() => memberState(runsDir, members[1])).toThrow(new Error(`${dir} holds a run with a different config (hash ${held}); it is not sweep member 1`));
  });

  it('finished, failed, interrupted, running with a fresh or a stale heartbeat', () => {
    const runsDir = tmp('opto-member-states-');
    const fin = memberState(refDir, members[0]);
    expect(fin.kind).toBe('finished');
    const { sha256: _sum, ...onDisk } = JSON.parse(fs.readFileSync(path.join(refDir, members[0].id, 'run.json'), 'utf8'));
    expect(fin.kind === 'finished' && fin.record).toEqual(onDisk);
    // A fresh heartbeat makes only a `running` record live: a failed or interrupted writer is gone.
    for (const status of ['failed', 'interrupted']) {
      const dir = fakeRun(tmp('opto-member-s-'), members[1], status);
      beat(dir, 0);
      const s = memberState(path.dirname(dir), members[1]);
      expect([s.kind, s.kind === 'unfinished' && s.record.status]).toEqual(['unfinished', status]);
    }
    const live = fakeRun(runsDir, members[2], 'running');
    beat(live, 1_000, 4242, 'elsewhere-host');
    const s = memberState(runsDir, members[2]);
    expect(s.kind === 'live' && [s.host, s.pid, s.record.status]).toEqual(['elsewhere-host', 4242, 'running']);
    // 61 s without a beat: its writer is gone (liveness.ts's STALE_AFTER_MS is 60 s).
    beat(live, 61_000, 4242, 'elsewhere-host');
    expect(memberState(runsDir, members[2]).kind).toBe('unfinished');
    // `running` without a heartbeat file (a run from before heartbeats): no writer to wait for, so resumable.
    const noBeat = fakeRun(runsDir, members[3], 'running');
    expect(fs.existsSync(path.join(noBeat, 'heartbeat.json'))).toBe(false);
    expect(memberState(runsDir, members[3]).kind).toBe('unfinished');
  });
});

describe('planSweep', () => {
  it('puts every member in exactly one list and refuses existing runs without --resume, changing nothing', () => {
    const runsDir = tmp('opto-member-plan-');
    fs.mkdirSync(memberDir(runsDir, members[1]));
    fakeRun(runsDir, members[2], 'finished');
    beat(fakeRun(runsDir, members[3], 'running'), 0, 99, 'other-host');
    fakeRun(runsDir, members[4], 'failed');
    const ids = (ms: { id: string }[]) => ms.map((m) => m.id);
    const plan = planSweep(members, runsDir, { resume: true });
    expect([ids(plan.start), ids(plan.skip), ids(plan.live), ids(plan.resume)]).toEqual([
      [members[0].id, members[1].id],
      [members[2].id],
      [members[3].id],
      [members[4].id],
    ]);
    const before = fs.readdirSync(runsDir, { recursive: true }).map(String).sort();
    const refusal = () => planSweep(members, runsDir, { resume: false });
    expect(refusal).toThrow(
      new ConfigError(`${runsDir} already holds 3 of this sweep's 5 runs (1 finished, 2 unfinished, 1 of them training elsewhere); continue with --resume (nothing was changed)`),
    );
    expect(fs.readdirSync(runsDir, { recursive: true }).map(String).sort()).toEqual(before);
    // Without a live one the message says nothing about training elsewhere.
    fs.rmSync(memberDir(runsDir, members[3]), { recursive: true });
    expect(refusal).toThrow(new ConfigError(`${runsDir} already holds 2 of this sweep's 5 runs (1 finished, 1 unfinished); continue with --resume (nothing was changed)`));
  });

  it('a fresh sweep (no runs directory, or only stubs) starts everything, with or without --resume', () => {
    const missing = path.join(tmp('opto-member-none-'), 'runs');
    for (const resume of [false, true]) {
      const plan = planSweep(members, missing, { resume });
      expect([plan.start.length, plan.skip.length, plan.live.length, plan.resume.length]).toEqual([5, 0, 0, 0]);
    }
    const stubs = tmp('opto-member-stubs-');
    fs.mkdirSync(memberDir(stubs, members[0]));
    expect(planSweep(members, stubs, { resume: false }).start.length).toBe(5);
  });
});

describe('runMember', () => {
  it('skips a finished run, leaves a live one alone, and reports a failed one with its varied fields', async () => {
    const fin = await runMember(members[0], refDir, { features });
    expect(fin).toEqual({ id: members[0].id, outcome: 'skipped', trained: 0, summary: refRecord.summary });

    const runsDir = tmp('opto-member-live-');
    const dir = fakeRun(runsDir, members[2], 'running');
    beat(dir, 0, 4242, 'elsewhere-host');
    const before = runChecksums(dir);
    const live = await runMember(members[2], runsDir, { features });
    expect(live).toEqual({ id: members[2].id, outcome: 'live', trained: 0, error: `${members[2].id}: still training on elsewhere-host (pid 4242); left alone` });
    expect(runChecksums(dir)).toEqual(before);

    const { members: bad } = expandSweep({
      name: 'fails',
      base: { backend: 'wasm', schedule: { seqs: 640, evalEvery: 640, evalSize: 50 } },
      // 2000 training classes do not exist: train() throws before any step.
      grid: { 'task.classSplit': [[2000, 0, 100]] },
    });
    const failed = await runMember(bad[0], tmp('opto-member-fail-'), { features });
    expect(failed.outcome).toBe('failed');
    expect(failed.trained).toBe(0);
    expect(failed.error).toMatch(new RegExp(`^${bad[0].id} \\(task\\.classSplit=\\[2000,0,100\\]\\): \\S`));
    // With no varied field the error is the ID and the message alone.
    const { members: one } = expandSweep({ name: 'fails1', base: { backend: 'wasm', task: { classSplit: [2000, 0, 100] }, schedule: { seqs: 640, evalEvery: 640, evalSize: 50 } } });
    expect(one[0].vary).toEqual([]);
    const alone = await runMember(one[0], tmp('opto-member-fail1-'), { features });
    expect(alone.error).toMatch(new RegExp(`^${one[0].id}: \\S`));
  });

  it('an interrupted member reports what it saved; resumed, it trains the rest and matches the uninterrupted run bitwise', async () => {
    const runsDir = tmp('opto-member-int-');
    const m = members[0];
    const stop = new AbortController();
    const events: string[] = [];
    const r1 = await runMember(m, runsDir, {
      features,
      signal: stop.signal,
      onEvent: (e) => {
        events.push(e.type);
        // Between checkpoints (at 0, 320): train() saves its state where it stops, and the member reports
        // what run.json says was saved.
        if (e.type === 'eval' && e.seqs === 480) stop.abort();
      },
    });
    expect(r1.outcome).toBe('interrupted');
    expect(r1.error).toBeUndefined();
    const saved = RunDir.open(memberDir(runsDir, m)).readRecord().progress.seqs;
    expect(saved).toBeGreaterThanOrEqual(480);
    expect(saved).toBeLessThan(SEQS);
    expect(r1.trained).toBe(saved);
    // The caller's onEvent sees every event runMember sees.
    expect(events[0]).toBe('start');
    expect(events).toContain('checkpoint');
    expect(planSweep([m], runsDir, { resume: true }).resume.map((x) => x.id)).toEqual([m.id]);

    const r2 = await runMember(m, runsDir, { features });
    expect([r2.outcome, r2.trained, r2.summary?.seqs]).toEqual(['finished', SEQS - saved, SEQS]);
    expect(runChecksums(memberDir(runsDir, m))).toEqual(runChecksums(path.join(refDir, m.id)));
  });

  it('a member whose training fails mid-run reports the sequences it trained before the failure and the error', async () => {
    const runsDir = tmp('opto-member-midfail-');
    const m = members[1];
    // The failure: a listener that throws at the checkpoint at 320 (what a full disk at that write looks like
    // to runMember: train() throws something other than an interruption).
    const r = await runMember(m, runsDir, {
      features,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.seqs === 320) throw new Error('disk full');
      },
    });
    expect(r).toEqual({ id: m.id, outcome: 'failed', trained: 320, error: `${m.id} (seeds.init=3): disk full` });
    // Resumed, it is retrained from its saved state, not skipped.
    expect(planSweep([m], runsDir, { resume: true }).resume.map((x) => x.id)).toEqual([m.id]);
  });

  it('a stub is cleared and trained afresh; a live run is taken over when the caller holds it', async () => {
    const runsDir = tmp('opto-member-take-');
    const m = members[0];
    const stub = memberDir(runsDir, m);
    fs.mkdirSync(path.join(stub, 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(stub, '.run.json.1.tmp'), '{');
    const r = await runMember(m, runsDir, { features });
    expect([r.outcome, r.trained]).toEqual(['finished', SEQS]);
    expect(fs.existsSync(path.join(stub, '.run.json.1.tmp'))).toBe(false);
    expect(runChecksums(stub)).toEqual(runChecksums(path.join(refDir, m.id)));

    // A `running` record with a fresh beat from a process that is not training it: a queue job's lock says
    // this caller owns it, so takeover resumes it from its last checkpoint.
    const held = path.join(tmp('opto-member-held-'), 'runs');
    const stop = new AbortController();
    await runMember(m, held, { features, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && e.seqs >= 320 && stop.abort() });
    const dir = memberDir(held, m);
    const rec = RunDir.open(dir).readRecord();
    RunDir.open(dir).writeRecord({ ...rec, status: 'running' });
    beat(dir, 0, 4242, 'elsewhere-host');
    expect((await runMember(m, held, { features })).outcome).toBe('live');
    const taken = await runMember(m, held, { features, takeover: true });
    expect([taken.outcome, taken.trained]).toEqual(['finished', SEQS - rec.progress.seqs]);
    expect(runChecksums(dir)).toEqual(runChecksums(path.join(refDir, m.id)));
  });

  it('a run.json whose config does not parse is refused naming the file', () => {
    const runsDir = tmp('opto-member-badcfg-');
    const dir = fakeRun(runsDir, members[1], 'finished', { config: { ...members[1].config, seeds: { init: 1, train: 1, eval: 1 } } as RunRecord['config'] });
    expect(() => memberState(runsDir, members[1])).toThrow(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/run\\.json config: seeds: `));
  });

  it('a run store given as a spec ({ location }) is the same runs directory', async () => {
    const r = await runMember(members[0], { location: refDir }, { features });
    expect([r.outcome, r.trained, r.summary]).toEqual(['skipped', 0, refRecord.summary]);
  });

  it('a failure between checkpoints counts up to the last event, also on a resumed member', async () => {
    // Evals every 160, checkpoints every 320: failing at the eval at 480 has trained 480 (its state saved at 320).
    const runsDir = tmp('opto-member-evalfail-');
    const m = members[4];
    const failAt = (seqs: number) => (e: { type: string; seqs?: number }) => {
      if (e.type === 'eval' && e.seqs === seqs) throw new Error('lost the device');
    };
    const r1 = await runMember(m, runsDir, { features, onEvent: failAt(480) });
    expect([r1.outcome, r1.trained]).toEqual(['failed', 480]);
    expect(RunDir.open(memberDir(runsDir, m)).readRecord().progress.seqs).toBe(320);
    // Resumed from 320 and failing at the eval at 480 again: 160 trained by this call.
    const r2 = await runMember(m, runsDir, { features, onEvent: failAt(480) });
    expect([r2.outcome, r2.trained]).toEqual(['failed', 160]);
    // Checkpoints every 160, evals every 320: failing at the checkpoint at 480 has trained 480.
    const { members: ck } = expandSweep({ name: 'ckpt', base: { backend: 'wasm', schedule: { seqs: SEQS, evalEvery: 320, ckptEvery: 160, evalSize: 50 } } });
    const r3 = await runMember(ck[0], tmp('opto-member-ckfail-'), {
      features,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.seqs === 480) throw new Error('disk full');
      },
    });
    expect([r3.outcome, r3.trained, r3.error]).toEqual(['failed', 480, `${ck[0].id}: disk full`]);
  });
});
