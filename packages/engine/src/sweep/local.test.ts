import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticFeatures } from '../data/index.js';
import { RunDir, runChecksums } from '../store/runDir.js';
import { train } from '../train.js';
import { runLocalSweep } from './local.js';
import { planSweep, runMember } from './member.js';
import { expandSweep } from './spec.js';

const temps: string[] = [];
const tmp = (p: string) => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), p)));
  return temps[temps.length - 1];
};
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const { members } = expandSweep({
  name: 'pool',
  base: { backend: 'wasm', schedule: { seqs: 12_800, evalEvery: 640, ckptEvery: 640, evalSize: 100 } },
  grid: { 'task.numLabels': [5, 10] },
  seeds: [5, 6],
});
const refDir = tmp('opto-pool-ref-');

function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'));
}

beforeAll(async () => {
  // The uninterrupted reference, trained in this thread.
  const features = syntheticFeatures({ seed: 0 });
  for (const m of members) await train(m.config, { out: path.join(refDir, m.id), features });
});

describe('local sweep on worker threads', () => {
  it('Ctrl-C interrupts every running member cleanly; --resume finishes them bitwise identical to uninterrupted runs', async () => {
    const runsDir = path.join(tmp('opto-pool-'), 'runs');
    const ac = new AbortController();
    const started = new Set<string>();
    const out = await runLocalSweep(members, {
      runsDir,
      workers: 2,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'start') started.add(e.id);
        // Interrupt once a member is past its second checkpoint.
        if (e.type === 'progress' && e.seqs >= 1280) ac.abort();
      },
    });
    expect(out.interrupted).toBe(true);
    expect(started.size).toBe(2); // two threads: the other two members never started
    const interrupted = out.results.filter((r) => r.outcome === 'interrupted');
    expect(interrupted).toHaveLength(4);
    for (const id of started) {
      const rec = RunDir.open(path.join(runsDir, id)).readRecord();
      expect(rec.status).toBe('interrupted');
      expect(rec.progress.seqs).toBeGreaterThan(0);
      expect(rec.progress.seqs).toBeLessThan(12_800);
    }
    expect(fs.readdirSync(runsDir).sort()).toEqual([...started].sort());
    expect(tempFiles(runsDir)).toEqual([]);
    expect(() => planSweep(members, runsDir, { resume: false })).toThrow(/already holds 2 of this sweep's 4 runs \(0 finished, 2 unfinished\); continue with --resume/);

    // Corrupt one run's latest state: the resume must notice (checksum) and fall back to the previous one.
    const [corrupt] = started;
    const stateFile = path.join(runsDir, corrupt, 'state.safetensors');
    const bytes = fs.readFileSync(stateFile);
    bytes[bytes.length - 5] ^= 0x40;
    fs.writeFileSync(stateFile, bytes);

    const resumed = new Map<string, number | null>();
    const warnings: string[] = [];
    const again = await runLocalSweep(members, {
      runsDir,
      workers: 2,
      resume: true,
      onEvent: (e) => (e.type === 'start' ? resumed.set(e.id, e.resumedFrom) : e.type === 'warning' && warnings.push(`${e.id}: ${e.message}`)),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^${corrupt}: .*checksum.*falling back to the previous state`));
    expect(again.interrupted).toBe(false);
    expect(again.results.map((r) => r.outcome)).toEqual(['finished', 'finished', 'finished', 'finished']);
    for (const id of started) expect(resumed.get(id)).toBeGreaterThan(0);
    for (const m of members) expect(runChecksums(path.join(runsDir, m.id))).toEqual(runChecksums(path.join(refDir, m.id)));

    // A third pass has nothing to do.
    const third = await runLocalSweep(members, { runsDir, resume: true });
    expect(third.results.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('a run killed before its first saved state restarts from scratch on resume (no duplicate rows at 0)', async () => {
    const runsDir = path.join(tmp('opto-pool-nostate-'), 'runs');
    const m = members[0];
    const ref = RunDir.open(path.join(refDir, m.id));
    // What a kill between run.json and the first checkpoint leaves: a running record and the rows at 0.
    const dir = path.join(runsDir, m.id);
    fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...ref.readRecord(), status: 'running', progress: { seqs: 0, step: 0 }, summary: undefined }));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), ref.readMetrics().filter((r) => r.seqs === 0).map((r) => JSON.stringify(r) + '\n').join(''));
    const r = await runMember(m, runsDir, { features: syntheticFeatures({ seed: 0 }) });
    expect(r.outcome).toBe('finished');
    expect(runChecksums(dir)).toEqual(runChecksums(ref.dir));
    // A directory left before run.json existed (an empty checkpoints/) is cleared and started afresh.
    const stub = path.join(runsDir, members[1].id);
    fs.mkdirSync(path.join(stub, 'checkpoints'), { recursive: true });
    expect((await runMember(members[1], runsDir, { features: syntheticFeatures({ seed: 0 }) })).outcome).toBe('finished');
    expect(runChecksums(stub)).toEqual(runChecksums(path.join(refDir, members[1].id)));
  });

  it('a member that failed mid-run is retrained on --resume, never counted as finished', async () => {
    const runsDir = path.join(tmp('opto-pool-failed-'), 'runs');
    const m = members[1];
    const dir = path.join(runsDir, m.id);
    // A run that crashed after its second checkpoint: what train() leaves when the step throws
    // (status 'failed' with the error, its saved state in place).
    const stop = new AbortController();
    await expect(
      train(m.config, { out: dir, features: syntheticFeatures({ seed: 0 }), signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && e.seqs >= 1280 && stop.abort() }),
    ).rejects.toThrow();
    const rec = RunDir.open(dir).readRecord();
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...rec, status: 'failed', error: 'worker lost its GPU' }));
    const plan = planSweep([m], runsDir, { resume: true });
    expect([plan.start.length, plan.resume.map((r) => r.id), plan.skip.length]).toEqual([0, [m.id], 0]);
    const r = await runMember(m, runsDir, { features: syntheticFeatures({ seed: 0 }) });
    expect(r.outcome).toBe('finished');
    expect(r.trained).toBe(12_800 - rec.progress.seqs);
    expect(runChecksums(dir)).toEqual(runChecksums(path.join(refDir, m.id)));
    expect(RunDir.open(dir).readRecord().error).toBeUndefined();
  });

  it('a member that fails does not stop the others', async () => {
    const { members: ms } = expandSweep({
      name: 'fails',
      base: { backend: 'wasm', schedule: { seqs: 640, evalEvery: 640, evalSize: 50 } },
      // 2000 training classes do not exist: this member's train() throws.
      zip: { 'task.classSplit': [[50, 1473, 100], [2000, 0, 100]] },
    });
    const out = await runLocalSweep(ms, { runsDir: path.join(tmp('opto-pool-fail-'), 'runs'), workers: 2 });
    const byId = Object.fromEntries(out.results.map((r) => [r.id, r]));
    expect(byId[ms[0].id].outcome).toBe('finished');
    expect(byId[ms[1].id].outcome).toBe('failed');
    expect(byId[ms[1].id].error).toMatch(new RegExp(`^${ms[1].id} \\(task\\.classSplit=\\[2000,0,100\\]\\): `));
  });
});
