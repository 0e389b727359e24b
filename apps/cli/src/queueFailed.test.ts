/**
 * A sweep member that fails on a queue worker, for real: mid-run its checkpoints directory is swapped for a
 * file, so its next checkpoint cannot be written and train() throws on the worker. BullMQ spends the job's
 * attempts (each resume fails the same way) and fails the job; the sweep reports it failed. With the directory
 * back, submitting the sweep again puts the failed job back on the queue, and a worker retrains that member from
 * its last checkpoint to the checksums of an uninterrupted run: a failed member is never counted as finished.
 * A redis-server of our own on a free 127.0.0.1 port; nothing else is contacted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChecksums } from '@optoscope/engine';
import { describe, expect, it } from 'vitest';
import { optoSync, start, redisForFile, tmp, until, workerEvents as events, type Proc } from './testing/procs.js';

const procs: Proc[] = [];
const redis = redisForFile(procs);

const readRecord = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));

describe('a member that fails on a queue worker', () => {
  it('is failed on the queue after its attempts, then retrained from its checkpoint when the sweep is submitted again', async () => {
    const d = tmp('opto-queue-failed-');
    const spec = {
      name: 'qf',
      base: { backend: 'wasm', schedule: { seqs: 32_000, evalEvery: 640, ckptEvery: 1280, evalSize: 100 } },
      seeds: [5, 6],
    };
    fs.writeFileSync(path.join(d, 's.json'), JSON.stringify(spec));
    const queue = ['--queue', redis(), '--queue-name', 'failed-member'];
    expect(optoSync(['sweep', 's.json', ...queue], d).stdout).toMatch(/^enqueued 2 of 2 runs/);
    const ids = optoSync(['sweep', 's.json', '--list'], d).stdout.trim().split('\n').slice(0, -1).map((l) => l.trim().split(/\s+/)[1]);
    expect(ids).toHaveLength(2);

    // One worker and no takeover here: a long lock, so that a loaded machine cannot make the job look stalled.
    const workerArgs = ['worker', ...queue, '--runs', 'runs', '--concurrency', '1', '--heartbeat', '20000', '--until-empty'];
    const w1 = start(workerArgs, d);
    procs.push(w1);
    await until(() => events(w1.stderr(), 'start').length > 0, 60_000, `the worker to start a run: ${w1.stderr()}`);
    const victim = events(w1.stderr(), 'start')[0];
    const runDir = path.join(d, 'runs', victim);
    const ckpts = path.join(runDir, 'checkpoints');
    await until(() => fs.existsSync(ckpts) && fs.readdirSync(ckpts).filter((f) => f.endsWith('.safetensors')).length >= 3, 60_000, `three checkpoints of ${victim}`); // state 1280 is on disk (see queue.test.ts)
    // The fault: later checkpoints (and the resumes of the retries) find a file where their directory was.
    fs.renameSync(ckpts, `${ckpts}.aside`);
    fs.writeFileSync(ckpts, 'not a directory');

    expect(await w1.exited, w1.stderr()).toBe(0);
    const log1 = w1.stderr();
    if (process.env.OPTO_TEST_VERBOSE) console.log(log1);
    // Three attempts (the queue's default), each failing; the other member is untouched by it and finishes.
    expect(events(log1, 'failed').map((id) => id.replace(/:$/, ''))).toEqual([victim, victim, victim]);
    expect(events(log1, 'finished')).toEqual(ids.filter((id) => id !== victim));
    expect(readRecord(runDir).status).toBe('failed');

    // The cause removed, the sweep is submitted again: only the failed member goes back on the queue (so the
    // queue held it as failed, not as done).
    fs.rmSync(ckpts);
    fs.renameSync(`${ckpts}.aside`, ckpts);
    const again = optoSync(['sweep', 's.json', ...queue], d);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^enqueued 0 of 2 runs on .*; 1 already queued or done, 1 failed ones retried/);
    const w2 = start(workerArgs, d);
    procs.push(w2);
    expect(await w2.exited, w2.stderr()).toBe(0);
    const log2 = w2.stderr();
    expect(events(log2, 'resume')).toEqual([victim]);
    expect(log2).toMatch(new RegExp(`resume ${victim} from [1-9]`));
    expect(events(log2, 'finished')).toEqual([victim]);
    expect(events(log2, 'start')).toEqual([]);
    const rec = readRecord(runDir);
    expect([rec.status, rec.error]).toEqual(['finished', undefined]);
    const done = optoSync(['sweep', 's.json', ...queue, '--wait', '--no-progress'], d);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/2 completed, 0 failed on the queue/);

    // Retrained, not patched over: the member ends exactly where an uninterrupted run of it ends.
    const ref = optoSync(['sweep', 's.json', '--index', String(ids.indexOf(victim)), '--runs', 'ref', '--no-progress'], d);
    expect(ref.code, ref.stderr).toBe(0);
    expect(runChecksums(runDir)).toEqual(runChecksums(path.join(d, 'ref', victim)));
    const rows = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(new Set(rows).size).toBe(rows.length);
  });
});
