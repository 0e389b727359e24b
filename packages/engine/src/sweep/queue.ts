/**
 * Sweeps across machines over BullMQ on Redis. `enqueueSweep` adds one job per member, its job ID the
 * member's run ID, so submitting a sweep twice adds nothing twice. `runQueueWorker` pulls jobs and trains
 * them in a {@link TrainPool} (the main thread stays free for the heartbeat: BullMQ renews each job's
 * lock every half `heartbeatMs`); a worker that dies stops renewing, the stalled-job check of any other
 * worker puts the job back, and the next worker resumes the run from its last checkpoint through
 * `runMember`. A run already finished on disk is skipped, never trained again.
 *
 * Runs live where every worker sees them: a shared runs directory (NFS, a cluster file system, a k8s
 * volume) or an S3-compatible bucket (each worker trains in its own local cache and mirrors to it).
 */
import * as os from 'node:os';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError } from '../config.js';
import { openRunStoreAt } from '../store/runStores.js';
import type { MemberResult } from './member.js';
import { TrainPool, defaultWorkers, type PoolEvent } from './pool.js';
import type { SweepMember } from './spec.js';

export const DEFAULT_QUEUE_NAME = 'optoscope';

/** Throws one line unless `url` is redis://host:port[/db] (or rediss://). */
export function checkRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue ${url}: expected redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`--queue ${url}: expected redis://host:port, got protocol ${u.protocol}`);
  if (!u.hostname) throw new ConfigError(`--queue ${url}: no host`);
  return u;
}

/**
 * A connection for BullMQ, after proving the server answers within `timeoutMs` (a probe that does not
 * retry), so an unreachable Redis is one clear error before any work starts.
 */
export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  checkRedisUrl(url);
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  let cause: Error | undefined;
  probe.on('error', (e: Error) => (cause ??= e)); // the socket's own error says more than the rejection
  try {
    await withTimeout(probe.connect().then(() => probe.ping()), timeoutMs);
  } catch (e) {
    probe.disconnect();
    const why = (cause ?? (e as Error)).message;
    throw new Error(`cannot reach Redis at ${url} (${why}); is redis-server running there and reachable from this machine?`);
  }
  await probe.quit();
  // BullMQ needs maxRetriesPerRequest: null; transient disconnects are retried for ever.
  const conn = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: timeoutMs });
  conn.on('error', () => undefined); // ioredis reconnects; BullMQ surfaces persistent failures
  return conn;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export interface EnqueueResult {
  added: number;
  /** Already queued, running or completed (left alone). */
  present: number;
  /** Failed jobs (retry limit exhausted) put back to wait. */
  retried: number;
}

export async function enqueueSweep(
  url: string,
  members: SweepMember[],
  opts: { queueName?: string; attempts?: number; timeoutMs?: number } = {},
): Promise<EnqueueResult> {
  const conn = await connectRedis(url, opts.timeoutMs);
  const queue = new Queue<SweepMember>(opts.queueName ?? DEFAULT_QUEUE_NAME, { connection: conn });
  try {
    const res: EnqueueResult = { added: 0, present: 0, retried: 0 };
    const fresh: SweepMember[] = [];
    for (const m of members) {
      const job = await queue.getJob(m.id);
      if (!job) fresh.push(m);
      else if ((await job.getState()) === 'failed') {
        await job.retry('failed');
        res.retried++;
      } else res.present++;
    }
    await queue.addBulk(
      fresh.map((m) => ({
        name: m.id,
        data: m,
        opts: {
          jobId: m.id,
          attempts: opts.attempts ?? 3,
          backoff: { type: 'fixed', delay: 2000 },
          // Completed jobs stay, so a resubmitted sweep recognises its finished members.
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    res.added = fresh.length;
    return res;
  } finally {
    await queue.close();
    await conn.quit();
  }
}

export interface SweepQueueStatus {
  counts: Record<'waiting' | 'active' | 'completed' | 'failed' | 'other', number>;
  active: { id: string; seqs: number; total: number }[];
  completed: string[];
  failed: { id: string; reason: string }[];
}

/** Where each member's job is (for `opto sweep --queue --wait`). */
export async function sweepQueueStatus(conn: Redis, members: SweepMember[], queueName = DEFAULT_QUEUE_NAME): Promise<SweepQueueStatus> {
  const queue = new Queue<SweepMember>(queueName, { connection: conn });
  try {
    const st: SweepQueueStatus = { counts: { waiting: 0, active: 0, completed: 0, failed: 0, other: 0 }, active: [], completed: [], failed: [] };
    const jobs = await Promise.all(members.map((m) => queue.getJob(m.id)));
    const states = await Promise.all(jobs.map((j) => (j ? j.getState() : Promise.resolve('missing'))));
    states.forEach((s, i) => {
      const key = s === 'waiting' || s === 'prioritized' || s === 'delayed' ? 'waiting' : s === 'active' || s === 'completed' || s === 'failed' ? s : 'other';
      st.counts[key]++;
      const job = jobs[i];
      if (s === 'active' && job) {
        const p = job.progress as { seqs?: number; total?: number } | number;
        st.active.push({ id: members[i].id, seqs: typeof p === 'object' ? (p.seqs ?? 0) : 0, total: members[i].config.schedule.seqs });
      }
      if (s === 'completed') st.completed.push(members[i].id);
      if (s === 'failed' && job) st.failed.push({ id: members[i].id, reason: job.failedReason });
    });
    return st;
  } finally {
    await queue.close();
  }
}

export interface QueueWorkerOptions {
  url: string;
  /** A runs directory shared by the workers, or s3://bucket/prefix. */
  runsDir: string;
  /** With s3://: this worker's local cache directory. */
  cache?: string;
  queueName?: string;
  /** Members trained at once by this process (default one per core). */
  concurrency?: number;
  /** Lock duration: renewed every half of it; a job whose lock lapses is stalled and retried. */
  heartbeatMs?: number;
  /** Times a job may stall (its worker died) before it is failed. */
  maxStalled?: number;
  /** Exit once the queue holds no waiting, delayed or active jobs. */
  untilEmpty?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { type: 'ready'; queue: string; concurrency: number }
  | (PoolEvent & { attempt?: number })
  | { type: 'end'; id: string; result: MemberResult }
  | { type: 'requeued'; id: string; why: string }
  | { type: 'error'; message: string };

/** Pull and train jobs until `signal` aborts (or, with `untilEmpty`, the queue is empty). */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<MemberResult[]> {
  const conn = await connectRedis(opts.url, opts.timeoutMs);
  try {
    const store = await openRunStoreAt({ location: opts.runsDir, cache: opts.cache });
    await store.prepare().finally(() => store.close());
  } catch (e) {
    await conn.quit();
    throw e;
  }
  const emit = opts.onEvent ?? (() => undefined);
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const concurrency = Math.max(1, opts.concurrency ?? defaultWorkers());
  const heartbeat = opts.heartbeatMs ?? 30_000;
  const results: MemberResult[] = [];
  const lastProgress = new Map<string, number>();
  const jobs = new Map<string, Job<SweepMember>>();
  const pool = new TrainPool({
    size: concurrency,
    // The job's lock says who trains a run: a job handed over after its worker stalled resumes the run even
    // though its heartbeat may still look fresh.
    takeover: true,
    onEvent: (e) => {
      emit(e);
      const job = jobs.get(e.id);
      // Progress into the job (for `opto sweep --wait`), at most every 2 s per job.
      if (job && e.type === 'progress' && Date.now() - (lastProgress.get(e.id) ?? 0) > 2000) {
        lastProgress.set(e.id, Date.now());
        job.updateProgress({ seqs: e.seqs, total: e.total }).catch(() => undefined);
      }
    },
  });

  const worker = new Worker<SweepMember>(
    queueName,
    async (job, token) => {
      const member = job.data;
      jobs.set(member.id, job);
      try {
        const result = await pool.run(member, { location: opts.runsDir, cache: opts.cache });
        results.push(result);
        emit({ type: 'end', id: member.id, result });
        if (result.outcome === 'failed') throw new Error(result.error ?? 'failed');
        if (result.outcome === 'interrupted') {
          // This worker is stopping (or lost the job's lock): hand the job back without spending an attempt.
          await job.moveToWait(token).catch(() => undefined);
          emit({ type: 'requeued', id: member.id, why: 'interrupted here, its state saved' });
          throw new WaitingError();
        }
        return { outcome: result.outcome, trained: result.trained, learning_time: result.summary?.learning_time ?? null };
      } finally {
        jobs.delete(member.id);
      }
    },
    {
      connection: conn,
      // Recorded on every job this worker processes.
      name: `${os.hostname()}:${process.pid}`,
      concurrency,
      lockDuration: heartbeat,
      stalledInterval: heartbeat,
      maxStalledCount: opts.maxStalled ?? 3,
      drainDelay: 1,
      autorun: false,
    },
  );
  worker.on('lockRenewalFailed', (ids: string[]) => {
    // Another worker may take the job over: stop training it here (its state is saved).
    for (const id of ids) {
      emit({ type: 'error', message: `lost the lock of ${id}; stopping it here` });
      pool.abortMember(id);
    }
  });
  worker.on('error', (e) => emit({ type: 'error', message: e.message }));

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onAbort = () => {
    pool.abort();
    stop();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let poll: NodeJS.Timeout | undefined;
  if (opts.untilEmpty) {
    const probe = new Queue(queueName, { connection: conn });
    poll = setInterval(async () => {
      try {
        const c = await probe.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0) && pool.running === 0) stop();
      } catch {
        /* transient; the next poll retries */
      }
    }, 1000);
    stopped.finally(() => probe.close().catch(() => undefined));
  }
  void worker.run();
  emit({ type: 'ready', queue: queueName, concurrency });
  try {
    await stopped;
  } finally {
    clearInterval(poll);
    opts.signal?.removeEventListener('abort', onAbort);
    await worker.close();
    await pool.close();
    await conn.quit().catch(() => conn.disconnect());
  }
  return results;
}
