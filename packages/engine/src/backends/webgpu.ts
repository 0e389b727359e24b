/**
 * The webgpu backend: the Backend interface over @tensorflow/tfjs-backend-webgpu kernels.
 *
 * The interface is synchronous and WebGPU is not (buffer maps are async, and tfjs's readSync needs an
 * OffscreenCanvas that Node lacks), so the device lives in a worker thread (webgpuWorker.ts) and this
 * side is a proxy: kernel calls are queued and posted in batches (no round trip), and only read/sumSq
 * block, with Atomics.wait on a shared cell, until the worker has posted the values on a reply port.
 * One device (one worker) serves any number of backends; each backend is its own namespace of buffers.
 *
 * Node only (Atomics.wait is not allowed on a browser's main thread).
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, getEnvironmentData, isMainThread, receiveMessageOnPort, setEnvironmentData, type MessagePort } from 'node:worker_threads';
import type { Backend, Buf } from '../backend.js';
import { HOW_TO_GET_A_WEBGPU_ADAPTER, type WebGpuAdapterInfo } from './webgpuAdapter.js';
import type { Batch, Cmd, InitReply, Kind, Reply, Win, WorkerInit } from './webgpuProtocol.js';

interface GBuf {
  readonly length: number;
  readonly kind: Kind;
  readonly w: Win;
}
const G = (b: Buf): GBuf => b as unknown as GBuf;
const isBuf = (a: unknown): a is GBuf => typeof a === 'object' && a !== null && 'w' in a && 'kind' in a;

export interface WebGpuDevice {
  readonly info: WebGpuAdapterInfo;
  readonly isSoftware: boolean;
  /** How the adapter was obtained and what it is, in one sentence. */
  readonly reason: string;
  /** A new backend (its own buffers) on this device. */
  createBackend(): Backend;
  /**
   * A backend whose every buffer holds `runs` independent replicas and whose every kernel runs on all of
   * them in one device step (runs as a leading batch dimension): one traced program trains `runs` runs
   * that differ only in their host data (seeds). See {@link BatchedRunsBackend} for the host I/O.
   */
  createBatchedBackend(runs: number): BatchedRunsBackend;
  /**
   * Stop the GPU worker; backends made by this device stop working. A device opened in a worker thread
   * must be closed before that thread ends (see the teardown lock below).
   */
  close(): Promise<void>;
}

// Mesa's EGL reads EGL_PLATFORM from the C environment, and without a display only "surfaceless" works.
// Only the main thread's process.env reaches the C environment (a worker thread's is a private copy), so
// it is set here, when the engine loads on the main thread: that covers devices opened later from worker
// threads too (sweep pool members), which inherit it. An explicit setting is left alone.
if (isMainThread) process.env.EGL_PLATFORM ??= 'surfaceless';

/**
 * Tearing down two Dawn devices at the same time (two GPU workers terminated concurrently, e.g. by a
 * sweep pool whose threads each trained on webgpu) crashes the process in Mesa's EGL (measured: 3 of 6
 * runs segfaulted; 0 of 8 when the same teardowns ran one after another). So every `close()` in the
 * process takes one lock: an Int32 in a SharedArrayBuffer made by the main thread and handed to every
 * worker thread spawned later through environment data (structured cloning shares its memory).
 */
const TEARDOWN_LOCK_KEY = 'optoscope.webgpu.teardownLock';
if (isMainThread) setEnvironmentData(TEARDOWN_LOCK_KEY, new SharedArrayBuffer(4));
const teardownLock = new Int32Array((getEnvironmentData(TEARDOWN_LOCK_KEY) as SharedArrayBuffer | undefined) ?? new SharedArrayBuffer(4));
async function withTeardownLock<T>(f: () => Promise<T>): Promise<T> {
  while (Atomics.compareExchange(teardownLock, 0, 0, 1) !== 0) await new Promise((r) => setTimeout(r, 5));
  try {
    return await f();
  } finally {
    Atomics.store(teardownLock, 0, 0);
  }
}

/** Commands queued before a batch is posted even without a read (bounds the queue's memory). */
const MAX_QUEUED = 1024;

/**
 * A backend over `runs` replicas. Writes go to every replica (the same values) unless `hostRun` selects
 * one; reads need a selected run (`read`) or return all of them (`readRuns`). Kernels act on all replicas.
 */
export interface BatchedRunsBackend extends Backend {
  readonly runs: number;
  /** The run that `write`/`read`/`sumSq` address; null: writes broadcast to every run, reads refuse. */
  hostRun: number | null;
  /** Every run's values of `b`, run-major ([runs, n]). */
  readRuns(b: Buf, offset?: number, n?: number): Float32Array | Int32Array;
  /** Wait until every queued kernel has run (and surface any kernel error). */
  sync(): void;
}

function workerScript(): URL {
  const here = new URL('./webgpuWorker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  // Running from src/ (vitest): the worker must be JavaScript, so use the build (tests run after `nx build`).
  const built = new URL('../../dist/backends/webgpuWorker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(built))) return built;
  throw new Error(`webgpu backend: no worker script at ${fileURLToPath(here)} or ${fileURLToPath(built)}; build @optoscope/engine first (npx nx run-many -t build)`);
}

/**
 * Start a GPU worker on the best adapter (see webgpuAdapter.ts). Rejects, with how to get an adapter,
 * when none can be had. `replyTimeoutMs`: how long a read may wait for the GPU before it is declared hung.
 */
export async function openWebGpuDevice(opts: { initTimeoutMs?: number; replyTimeoutMs?: number } = {}): Promise<WebGpuDevice> {
  const signalBuf = new SharedArrayBuffer(4);
  const signal = new Int32Array(signalBuf);
  const { port1, port2 } = new MessageChannel();
  const init: WorkerInit = { signal: signalBuf, replyPort: port2 };
  // The worker inherits Node's flags, except --input-type, which a worker rejects (`node --input-type=module -e ...`).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(workerScript(), { workerData: init, transferList: [port2], execArgv });
  let exited: string | null = null;
  worker.on('error', (e) => (exited ??= `the GPU worker crashed: ${e.message}`));
  worker.on('exit', (code) => (exited ??= `the GPU worker exited (code ${code})`));

  const take = (): Reply | InitReply | undefined => {
    const m = receiveMessageOnPort(port1 as MessagePort);
    return m?.message as Reply | InitReply | undefined;
  };
  // Start-up is awaited (the caller is async); polling keeps the worker's events flowing meanwhile.
  const initTimeout = opts.initTimeoutMs ?? 120_000;
  const t0 = Date.now();
  let first: InitReply | undefined;
  while (!(first = take() as InitReply | undefined)) {
    if (exited) throw new Error(`webgpu: ${exited} before reporting an adapter`);
    if (Date.now() - t0 > initTimeout) {
      await worker.terminate();
      throw new Error(`webgpu: the GPU worker reported nothing within ${initTimeout / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new Error(`webgpu: no WebGPU adapter: ${first.reason}\n${HOW_TO_GET_A_WEBGPU_ADAPTER}`);
  }
  // Neither the worker nor the reply port may keep a finished CLI process alive.
  worker.unref();
  port1.unref();

  const replyTimeout = opts.replyTimeoutMs ?? 600_000;
  /** Block this thread until the worker answers the request just posted. */
  const waitReply = (what: string): Reply => {
    const start = Date.now();
    for (;;) {
      let m = take();
      if (m) return m as Reply;
      // Clear a flag left by an earlier reply, then look again: a reply posted in between is not lost.
      Atomics.store(signal, 0, 0);
      if ((m = take())) return m as Reply;
      if (exited) throw new Error(`webgpu: ${exited}; no answer to ${what}`);
      if (Date.now() - start > replyTimeout) throw new Error(`webgpu: no answer to ${what} from the GPU worker within ${replyTimeout / 1000} s`);
      Atomics.wait(signal, 0, 0, 200);
    }
  };

  let nextBid = 0;
  const cleanup = new FinalizationRegistry<number>((bid) => {
    if (!exited) worker.postMessage({ bid, runs: 1, cmds: [['dispose']] } satisfies Batch);
  });

  const createBackend = (runs = 1): BatchedRunsBackend => {
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`webgpu: runs must be a positive integer, got ${runs}`);
    const bid = nextBid++;
    let nextRoot = 0;
    let queue: Cmd[] = [];
    const flush = () => {
      if (!queue.length) return;
      if (exited) throw new Error(`webgpu: ${exited}`);
      worker.postMessage({ bid, runs, cmds: queue } satisfies Batch);
      queue = [];
    };
    const push = (c: Cmd) => {
      queue.push(c);
      if (queue.length >= MAX_QUEUED) flush();
    };
    const ask = (c: Cmd, what: string): Reply => {
      queue.push(c);
      flush();
      const r = waitReply(what);
      if (r.type === 'error') throw new Error(r.message);
      return r;
    };
    const alloc = (n: number, kind: Kind): Buf => {
      if (!Number.isInteger(n) || n < 0) throw new Error(`webgpu alloc: n must be a non-negative integer, got ${n}`);
      const r = nextRoot++;
      push(['alloc', r, n, kind]);
      return { length: n, kind, w: { r, o: 0, n } } as unknown as Buf;
    };
    const windowOf = (b: GBuf, offset: number, n: number, what: string): Win => {
      if (!Number.isInteger(offset) || offset < 0 || offset + n > b.length) throw new Error(`webgpu ${what}: [${offset}, ${offset + n}) outside a buffer of ${b.length}`);
      return { r: b.w.r, o: b.w.o + offset, n };
    };
    /** A kernel call: buffers travel as their windows, everything else as is. */
    const k =
      (name: string) =>
      (...args: unknown[]): void =>
        push([name, ...args.map((a) => (isBuf(a) ? a.w : a))]);
    let hostRun: number | null = null;
    const readWindow = (b: Buf, offset: number, n: number | undefined, run: number | null) => {
      const g = G(b);
      const len = n ?? g.length - offset;
      const r = ask(['read', windowOf(g, offset, len, 'read'), run], `a read of ${len} elements`);
      if (r.type !== 'values') throw new Error(`webgpu read: expected values from the GPU worker, got '${r.type}'`);
      return r.values;
    };
    const read: Backend['read'] = (b, out, offset = 0, n) => {
      const g = G(b);
      const len = n ?? g.length - offset;
      let values: Float32Array | Int32Array;
      if (runs > 1 && hostRun === null) {
        // No run selected: fine while every run holds the same values (e.g. the tape's loss-gradient seed
        // that the backward reads); an error as soon as they differ, never one run's values silently.
        const all = readWindow(b, offset, len, null);
        for (let i = len; i < all.length; i++)
          if (all[i] !== all[i % len])
            throw new Error(`webgpu read: the ${runs} runs hold different values at element ${offset + (i % len)} (run ${Math.floor(i / len)}); set hostRun to the run to read, or use readRuns`);
        values = all.subarray(0, len);
      } else values = readWindow(b, offset, len, runs > 1 ? hostRun : null);
      const o = out ?? (g.kind === 'f32' ? new Float32Array(len) : new Int32Array(len));
      o.set(values);
      return o;
    };

    const be: BatchedRunsBackend = {
      runs,
      get hostRun() {
        return hostRun;
      },
      set hostRun(r: number | null) {
        if (r !== null && (!Number.isInteger(r) || r < 0 || r >= runs)) throw new Error(`webgpu: hostRun ${r} outside 0..${runs - 1}`);
        hostRun = r;
      },
      readRuns: (b, offset = 0, n) => readWindow(b, offset, n, null),
      name: 'webgpu',
      precision: 'float32',
      allocF: (n) => alloc(n, 'f32'),
      allocI32: (n) => alloc(n, 'i32'),
      allocU8: (n) => alloc(n, 'u8'),
      slice(b, offset, n) {
        const g = G(b);
        return { length: n, kind: g.kind, w: windowOf(g, offset, n, 'slice') } as unknown as Buf;
      },
      write(b, src, offset = 0) {
        const g = G(b);
        const w = windowOf(g, offset, src.length, 'write');
        push(['write', w, g.kind === 'f32' ? Float32Array.from(src) : Int32Array.from(src), runs > 1 ? hostRun : null]);
      },
      read,
      mark: () => nextRoot,
      release(m) {
        push(['release', m]);
        nextRoot = m;
      },
      sync() {
        ask(['sync'], 'a sync');
      },

      matmulNT: k('matmulNT'),
      matmulNN: k('matmulNN'),
      matmulTN: k('matmulTN'),
      addBias: k('addBias'),
      sumRows: k('sumRows'),
      layerNormFwd: k('layerNormFwd'),
      layerNormBwd: k('layerNormBwd'),
      ropeFwd: k('ropeFwd'),
      ropeBwd: k('ropeBwd'),
      attnScoresFwd: k('attnScoresFwd'),
      attnScoresBwd: k('attnScoresBwd'),
      softmaxFwd: k('softmaxFwd'),
      softmaxBwd: k('softmaxBwd'),
      attnAvFwd: k('attnAvFwd'),
      attnAvBwd: k('attnAvBwd'),
      gatherRows: k('gatherRows'),
      scatterAddRows: k('scatterAddRows'),
      add: k('add'),
      axpy: k('axpy'),
      fill: k('fill'),
      copy: k('copy'),
      whereFwd: k('whereFwd'),
      whereBwd: k('whereBwd'),
      crossEntropyFwd: k('crossEntropyFwd'),
      crossEntropyBwd: k('crossEntropyBwd'),
      adamStep: k('adamStep'),
      sumSq(X, n) {
        // The interface promises a float64 sum: read the values and accumulate here.
        const x = read(X, undefined, 0, n);
        let s = 0;
        for (let i = 0; i < n; i++) s += x[i] * x[i];
        return s;
      },
    };
    cleanup.register(be, bid);
    return be;
  };

  return {
    info: first.info,
    isSoftware: first.isSoftware,
    reason: first.reason,
    createBackend: () => createBackend(1),
    createBatchedBackend: (runs) => createBackend(runs),
    async close() {
      await withTeardownLock(() => worker.terminate());
    },
  };
}

let shared: Promise<WebGpuDevice> | null = null;
/** The process-wide device (one GPU worker), opened on first use; a failed open is retried next time. */
export function sharedWebGpuDevice(): Promise<WebGpuDevice> {
  shared ??= openWebGpuDevice().catch((e) => {
    shared = null;
    throw e;
  });
  return shared;
}

/** A webgpu backend on the process-wide device. */
export async function createWebGpuBackend(): Promise<Backend> {
  return (await sharedWebGpuDevice()).createBackend();
}
