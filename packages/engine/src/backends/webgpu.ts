/**
 * The webgpu backend in Node: the Backend interface over @tensorflow/tfjs-backend-webgpu kernels.
 *
 * The interface is synchronous and WebGPU is not (buffer maps are async, and tfjs's readSync needs an
 * OffscreenCanvas that Node lacks), so the device lives in a worker thread (webgpuWorker.ts) and this
 * thread holds a proxy (webgpuProxy.ts) that blocks, with Atomics.wait on a shared reply slot, only when it
 * needs a value. One device (one worker) serves any number of backends. A browser page does the same
 * with two Web Workers (browser/webgpuWorkers.ts).
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import type { Backend } from '../backend.js';
import { HOW_TO_GET_A_WEBGPU_ADAPTER, type WebGpuAdapterInfo } from './webgpuAdapter.js';
import { awaitInitReply, createReplySlot, type WorkerInit } from './webgpuProtocol.js';
import { proxyBackends, type BatchedRunsBackend } from './webgpuProxy.js';

export type { BatchedRunsBackend } from './webgpuProxy.js';

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
 * when none can be had. `replyTimeoutMs`: how long a read may wait for the GPU before it is declared hung;
 * `replySlotBytes`: the reply slot's capacity (longer reads are split; see webgpuProtocol.ts).
 */
export async function openWebGpuDevice(opts: { initTimeoutMs?: number; replyTimeoutMs?: number; replySlotBytes?: number } = {}): Promise<WebGpuDevice> {
  const init: WorkerInit = { slot: createReplySlot(opts.replySlotBytes) };
  // The worker inherits Node's flags, except --input-type, which a worker rejects (`node --input-type=module -e ...`).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(workerScript(), { workerData: init, execArgv });
  let exited: string | null = null;
  worker.on('error', (e) => (exited ??= `the GPU worker crashed: ${e.message}`));
  worker.on('exit', (code) => (exited ??= `the GPU worker exited (code ${code})`));
  const dead = () => exited;

  let first;
  try {
    first = await awaitInitReply(init.slot, opts.initTimeoutMs ?? 120_000, dead);
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new Error(`webgpu: no WebGPU adapter: ${first.reason}\n${HOW_TO_GET_A_WEBGPU_ADAPTER}`);
  }
  // The worker may not keep a finished CLI process alive.
  worker.unref();
  const createBackend = proxyBackends({ post: (b) => worker.postMessage(b), slot: init.slot, dead, replyTimeoutMs: opts.replyTimeoutMs ?? 600_000 });

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
