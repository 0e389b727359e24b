/**
 * The sweep queue against a real redis-server (one per file, on a free 127.0.0.1 port): URL checks, the
 * probe's one-line errors (a closed port, a server that never answers), enqueueing twice, retrying failed
 * jobs, the status of every job state, and a worker that trains tiny members to the end of the queue. Job
 * states and fields are read back with BullMQ's own Queue, not through the code under test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { RunDir } from '../store/runDir.js';
import { freePort } from '../testing/ports.js';
import { checkRedisUrl, connectRedis, DEFAULT_QUEUE_NAME, enqueueSweep, runQueueWorker, sweepQueueStatus, type QueueWorkerEvent } from './queue.js';
import { expandSweep, type SweepMember } from './spec.js';

let redis: ChildProcess;
let url = '';
let root = '';
let n = 0;


beforeAll(async () => {
  // The pool's threads run the built poolWorker.js beside src/ (../../dist). Stryker's sandbox copies src/
  // without dist/: there, dist/ is pointed at the package's build, so the threads start as they do here.
  const dist = fileURLToPath(new URL('../../dist', import.meta.url));
  if (!fs.existsSync(dist)) fs.symlinkSync(path.dirname(createRequire(import.meta.url).resolve('@optoscope/engine')), dist);
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed: apt-get install -y redis-server');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-queueedges-'));
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    redis.stdout!.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  url = `redis://127.0.0.1:${port}`;
});

afterAll(async () => {
  redis?.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

/** Tiny members (a few steps each) of a sweep with a fresh name, so every test has its own jobs. */
function tinyMembers(count: number): SweepMember[] {
  n++;
  const { members } = expandSweep({
    name: `q${n}`,
    base: { backend: 'wasm', model: { dModel: 8, nHeads: 2, nLayers: 1 }, optim: { batchSize: 4 }, schedule: { seqs: 16, evalEvery: 8, ckptEvery: 8, evalSize: 4 } },
    seeds: Array.from({ length: count }, (_, i) => i + 5),
  });
  return members;
}
const queueName = () => `test-${n}`;

async function withQueue<T>(name: string, f: (q: Queue, conn: Redis) => Promise<T>): Promise<T> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const q = new Queue(name, { connection: conn });
  try {
    return await f(q, conn);
  } finally {
    await q.close();
    await conn.quit();
  }
}
const until = async (cond: () => Promise<boolean>, ms = 10_000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Redis URL and connection', () => {
  it('checkRedisUrl accepts redis:// and rediss:// with a host; anything else is a ConfigError naming the value', () => {
    expect(checkRedisUrl('redis://h:6379/2').hostname).toBe('h');
    expect(checkRedisUrl('rediss://h').protocol).toBe('rediss:');
    const bad = (u: string, msg: string) => {
      let err: unknown;
      try {
        checkRedisUrl(u);
      } catch (e) {
        err = e;
      }
      expect(err, u).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(msg);
    };
    bad('not a url', '--queue not a url: expected redis://host:port');
    bad('http://h:1', '--queue http://h:1: expected redis://host:port, got protocol http:');
    bad('redis://', '--queue redis://: no host');
    bad('redis:///0', '--queue redis:///0: no host');
  });

  it('connectRedis: a closed port and a server that never answers are one line each; a live server gives a BullMQ-ready connection', async () => {
    const port = await freePort();
    await expect(connectRedis(`redis://127.0.0.1:${port}`, 2000)).rejects.toThrow(
      new Error(`cannot reach Redis at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); is redis-server running there and reachable from this machine?`),
    );
    // a socket that accepts and says nothing
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sp = (silent.address() as net.AddressInfo).port;
    const t0 = Date.now();
    await expect(connectRedis(`redis://127.0.0.1:${sp}`, 300)).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \((no answer within 300 ms|.*timeout.*)\); is redis-server running/i);
    expect(Date.now() - t0).toBeLessThan(2500);
    silent.close();
    await expect(connectRedis('ftp://x')).rejects.toBeInstanceOf(ConfigError);
    const conn = await connectRedis(url);
    expect(conn.options.maxRetriesPerRequest).toBeNull();
    expect(await conn.ping()).toBe('PONG');
    await conn.quit();
  });
});

describe('enqueueSweep and sweepQueueStatus', () => {
  it('one job per member, its ID the member’s; submitting again adds nothing; a failed job is put back to wait', async () => {
    const members = tinyMembers(3);
    const name = queueName();
    expect(await enqueueSweep(url, members, { queueName: name, attempts: 1 })).toEqual({ added: 3, present: 0, retried: 0 });
    await withQueue(name, async (q) => {
      const jobs = await Promise.all(members.map((m) => q.getJob(m.id)));
      for (const [i, j] of jobs.entries()) {
        expect(j!.id).toBe(members[i].id);
        expect(j!.name).toBe(members[i].id);
        expect(j!.data).toEqual(JSON.parse(JSON.stringify(members[i])));
        expect(j!.opts).toMatchObject({ attempts: 1, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: false, removeOnFail: false });
        expect(await j!.getState()).toBe('waiting');
      }
    });
    expect(await enqueueSweep(url, members, { queueName: name })).toEqual({ added: 0, present: 3, retried: 0 });
    // fail the first job for real (a BullMQ worker whose processor throws), then submit again
    await withQueue(name, async (q, conn) => {
      const w = new Worker(name, async (job) => {
        if (job.id === members[0].id) throw new Error('boom');
        await new Promise(() => undefined); // the others stay active until the worker closes
      }, { connection: conn, concurrency: 3, autorun: true });
      await until(async () => (await q.getJob(members[0].id))!.getState().then((s) => s === 'failed'));
      await w.close(true);
    });
    const again = await enqueueSweep(url, members, { queueName: name });
    expect(again).toEqual({ added: 0, present: 2, retried: 1 });
    await withQueue(name, async (q) => expect(await (await q.getJob(members[0].id))!.getState()).toBe('waiting'));
  });

  it('the default attempts are 3 and the default queue is optoscope', async () => {
    const members = tinyMembers(1);
    expect(await enqueueSweep(url, members)).toEqual({ added: 1, present: 0, retried: 0 });
    await withQueue(DEFAULT_QUEUE_NAME, async (q) => {
      expect((await q.getJob(members[0].id))!.opts.attempts).toBe(3);
      await q.obliterate({ force: true });
    });
    expect(DEFAULT_QUEUE_NAME).toBe('optoscope');
  });

  it('status: waiting (and delayed), active with its progress, completed, failed with the reason, and missing jobs', async () => {
    const members = tinyMembers(6);
    const name = queueName();
    await enqueueSweep(url, members.slice(0, 4), { queueName: name, attempts: 1 });
    await withQueue(name, async (q, conn) => {
      await q.add(members[4].id, members[4], { jobId: members[4].id, delay: 60_000 }); // delayed counts as waiting
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      const w = new Worker(
        name,
        async (job) => {
          if (job.id === members[0].id) return 'ok';
          if (job.id === members[1].id) throw new Error('bad luck');
          if (job.id === members[2].id) {
            await job.updateProgress({ seqs: 8, total: 16 });
            await held;
          }
          if (job.id === members[3].id) {
            await job.updateProgress(42); // a bare number: no seqs known
            await held;
          }
        },
        { connection: conn, concurrency: 4 },
      );
      await until(async () => {
        const s = await sweepQueueStatus(conn, members, name);
        return s.counts.completed === 1 && s.counts.failed === 1 && s.active.length === 2 && s.active.every((a) => a.seqs > 0 || a.id === members[3].id);
      });
      const st = await sweepQueueStatus(conn, members, name);
      expect(st.counts).toEqual({ waiting: 1, active: 2, completed: 1, failed: 1, other: 1 });
      expect(st.completed).toEqual([members[0].id]);
      expect(st.failed).toEqual([{ id: members[1].id, reason: 'bad luck' }]);
      expect([...st.active].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [
          { id: members[2].id, seqs: 8, total: 16 },
          { id: members[3].id, seqs: 0, total: 16 },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );
      release();
      await w.close();
      expect(conn.status).toBe('ready'); // the status leaves the caller's connection open
    });
  });
});

describe('runQueueWorker', () => {
  it('trains every queued member to the end of the queue, records each result on its job, and stops when the queue is empty', async () => {
    const members = tinyMembers(2);
    const name = queueName();
    const runsDir = path.join(root, `runs-${n}`);
    fs.mkdirSync(runsDir);
    // a member that cannot be trained: its run directory is taken by a file
    const broken = tinyMembers(1)[0];
    fs.writeFileSync(path.join(runsDir, broken.id), 'not a run');
    await enqueueSweep(url, [...members, broken], { queueName: name, attempts: 1 });
    const events: QueueWorkerEvent[] = [];
    const results = await runQueueWorker({ url, runsDir, queueName: name, concurrency: 2, untilEmpty: true, onEvent: (e) => events.push(e), heartbeatMs: 5000 });
    expect(results.map((r) => [r.id, r.outcome]).sort()).toEqual([...members.map((m) => [m.id, 'finished']), [broken.id, 'failed']].sort());
    expect(events[0]).toEqual({ type: 'ready', queue: name, concurrency: 2 });
    expect(events.filter((e) => e.type === 'end').map((e) => (e as { id: string }).id).sort()).toEqual([...members.map((m) => m.id), broken.id].sort());
    expect(events.some((e) => e.type === 'start')).toBe(true);
    for (const m of members) expect(RunDir.open(path.join(runsDir, m.id)).readRecord().status).toBe('finished');
    await withQueue(name, async (q) => {
      for (const m of members) {
        const j = (await q.getJob(m.id))!;
        expect(await j.getState()).toBe('completed');
        const lt = RunDir.open(path.join(runsDir, m.id)).readRecord().summary!.learning_time;
        expect(j.returnvalue).toEqual({ outcome: 'finished', trained: 16, learning_time: lt });
        expect(j.processedBy).toBe(`${os.hostname()}:${process.pid}`);
        // the first progress goes into the job at once (later ones at most every 2 s)
        expect(j.progress).toEqual({ seqs: 0, total: 16 });
      }
      const bj = (await q.getJob(broken.id))!;
      expect(await bj.getState()).toBe('failed');
      expect(bj.failedReason).toBe(results.find((r) => r.id === broken.id)!.error);
      expect(bj.failedReason.startsWith(`${broken.id}`)).toBe(true);
    });
  }, 60_000);

  it('a worker stopped mid-run hands the job back to wait, its state saved, without spending an attempt', async () => {
    n++;
    const { members } = expandSweep({
      name: `q${n}`,
      base: { backend: 'wasm', model: { dModel: 8, nHeads: 2, nLayers: 1 }, optim: { batchSize: 4 }, schedule: { seqs: 400_000, evalEvery: 8, ckptEvery: 8, evalSize: 4 } },
      seeds: [5],
    });
    const name = queueName();
    const runsDir = path.join(root, `runs-${n}`);
    await enqueueSweep(url, members, { queueName: name, attempts: 1 });
    const ac = new AbortController();
    const events: QueueWorkerEvent[] = [];
    const results = await runQueueWorker({
      url,
      runsDir,
      queueName: name,
      concurrency: 1,
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress' && e.seqs >= 16) ac.abort();
      },
    });
    expect(results.map((r) => [r.id, r.outcome])).toEqual([[members[0].id, 'interrupted']]);
    expect(events).toContainEqual({ type: 'requeued', id: members[0].id, why: 'interrupted here, its state saved' });
    const rec = RunDir.open(path.join(runsDir, members[0].id)).readRecord();
    expect(rec.status).toBe('interrupted');
    await withQueue(name, async (q) => {
      const j = (await q.getJob(members[0].id))!;
      expect(await j.getState()).toBe('waiting');
      expect(j.attemptsMade).toBe(0);
    });
  }, 30_000);

  it('a runs directory that cannot be prepared fails before any job is taken; an aborted signal stops at once', async () => {
    const file = path.join(root, `plain-file-${n}`);
    fs.writeFileSync(file, 'x');
    await expect(runQueueWorker({ url, runsDir: path.join(file, 'runs'), queueName: 'never' })).rejects.toThrow(file);
    const ac = new AbortController();
    ac.abort();
    const members = tinyMembers(1);
    const name = queueName();
    await enqueueSweep(url, members, { queueName: name });
    const runsDir = path.join(root, `runs-${n}`);
    expect(await runQueueWorker({ url, runsDir, queueName: name, concurrency: 1, signal: ac.signal })).toEqual([]);
    await withQueue(name, async (q) => expect(await (await q.getJob(members[0].id))!.getState()).toBe('waiting'));
  }, 30_000);
});
