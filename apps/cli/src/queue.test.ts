/**
 * Many machines, for real: a redis-server of our own on a free 127.0.0.1 port (nothing else is ever
 * contacted), a sweep enqueued on it, two `opto worker` processes sharing one runs directory, and one of
 * them killed with SIGKILL in the middle of a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChecksums } from '@optoscope/engine';
import { describe, expect, it } from 'vitest';
import { optoSync, sleep, start, redisForFile, tmp, until, workerEvents as events, type Proc } from './testing/procs.js';

const procs: Proc[] = [];
const redis = redisForFile(procs);

describe('BullMQ queue with a real Redis', () => {
  it('two workers share a sweep; one is killed mid-run; every run completes exactly once and the resumed one matches an uninterrupted run', async () => {
    const d = tmp('opto-queue-');
    const spec = {
      name: 'q',
      base: { backend: 'wasm', schedule: { seqs: 32_000, evalEvery: 640, ckptEvery: 1280, evalSize: 100 } },
      grid: { 'task.numLabels': [5, 10] },
      seeds: [5, 6],
    };
    fs.writeFileSync(path.join(d, 's.json'), JSON.stringify(spec));
    const enq = optoSync(['sweep', 's.json', '--queue', redis()], d);
    expect(enq.code, enq.stderr).toBe(0);
    expect(enq.stdout).toMatch(/^enqueued 4 of 4 runs/);
    // Submitting again adds nothing (job IDs are run IDs).
    expect(optoSync(['sweep', 's.json', '--queue', redis()], d).stdout).toMatch(/^enqueued 0 of 4 runs on .*; 4 already queued or done/);

    // A 10 s lock: short enough for a quick takeover, long enough that a live worker on a loaded machine
    // (CI shares its cores) still renews it in time; 1.5 s lost live locks at load average ~10, and 5 s
    // lost one at load average ~22.
    const workerArgs = ['worker', '--queue', redis(), '--runs', 'runs', '--concurrency', '1', '--heartbeat', '10000', '--until-empty'];
    const a = start(workerArgs, d);
    const b = start(workerArgs, d);
    procs.push(a, b);
    // Kill A once its first run holds a resume state beyond 0, at a random moment after that. Three
    // checkpoints (0, 1280, 2560) are needed, not two: the state of a point is written just after its
    // checkpoint, by moving the older state aside first, so a kill right after checkpoint 1280 legitimately
    // resumes from 0 (a CI run once hit that window). Once checkpoint 2560 exists, state 1280 is on disk
    // whatever moment the kill lands.
    await until(() => events(a.stderr(), 'start').length > 0, 60_000, `worker A to start a run: ${a.stderr()}`);
    const victim = events(a.stderr(), 'start')[0];
    const ckpts = path.join(d, 'runs', victim, 'checkpoints');
    await until(() => fs.existsSync(ckpts) && fs.readdirSync(ckpts).filter((f) => f.endsWith('.safetensors')).length >= 3, 60_000, `three checkpoints of ${victim}`);
    await sleep(Math.floor(Math.random() * 300));
    a.child.kill('SIGKILL');
    await a.exited;
    const atKill = JSON.parse(fs.readFileSync(path.join(d, 'runs', victim, 'run.json'), 'utf8'));
    expect(atKill.status).toBe('running');

    // B finishes its own runs, takes the dead worker's job over once its lock lapses, and exits when the queue is empty.
    expect(await b.exited, b.stderr()).toBe(0);
    if (process.env.OPTO_TEST_VERBOSE) console.log(a.stderr(), b.stderr());
    const logA = a.stderr();
    const logB = b.stderr();
    const ids = optoSync(['sweep', 's.json', '--list'], d).stdout.trim().split('\n').slice(0, -1).map((l) => l.trim().split(/\s+/)[1]);
    // Exactly once: every run started fresh once, finished once; only the victim was resumed, by B.
    expect([...events(logA, 'start'), ...events(logB, 'start')].sort()).toEqual([...ids].sort());
    expect([...events(logA, 'finished'), ...events(logB, 'finished')].sort()).toEqual([...ids].sort());
    expect(events(logA, 'finished')).not.toContain(victim);
    expect(events(logB, 'skipped')).toEqual([]);
    expect(events(logB, 'resume')).toEqual([victim]);
    expect(logB).toMatch(new RegExp(`resume ${victim} from [1-9]`));
    for (const id of ids) expect(JSON.parse(fs.readFileSync(path.join(d, 'runs', id, 'run.json'), 'utf8')).status).toBe('finished');
    const wait = optoSync(['sweep', 's.json', '--queue', redis(), '--wait', '--no-progress'], d);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.stdout).toMatch(/4 completed, 0 failed on the queue/);

    // The resumed run against the same member trained without interruption (as an array-job task would).
    const index = ids.indexOf(victim);
    const ref = optoSync(['sweep', 's.json', '--index', String(index), '--runs', 'ref', '--no-progress'], d);
    expect(ref.code, ref.stderr).toBe(0);
    const resumed = runChecksums(path.join(d, 'runs', victim));
    expect(resumed, `killed at ${atKill.progress.seqs} sequences`).toEqual(runChecksums(path.join(d, 'ref', victim)));
    // No metric row twice (a run trained twice would repeat them).
    const rows = fs.readFileSync(path.join(d, 'runs', victim, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(new Set(rows).size).toBe(rows.length);
  });
});
