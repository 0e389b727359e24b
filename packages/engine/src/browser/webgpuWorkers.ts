/**
 * The webgpu backend in a browser: the same proxy (backends/webgpuProxy.ts) and GPU executor
 * (backends/webgpuExecutor.ts) as in Node, on two Web Workers instead of two threads.
 *
 * A page's main thread may not block, and the Backend interface needs synchronous reads, so training runs
 * in a dedicated worker (trainWorker.ts), which may block with Atomics.wait; the WebGPU device lives in a
 * second worker (gpuWorker.ts, entry @optoscope/engine/browser-gpu), which answers through the reply
 * slot, a SharedArrayBuffer. The page
 * connects the two with a MessageChannel. SharedArrayBuffer needs a cross-origin isolated page (COOP
 * same-origin + COEP require-corp), which the dashboard's server sends.
 */
import type { WebGpuAdapterInfo } from '../backends/webgpuAdapter.js';
import { awaitInitReply, createReplySlot } from '../backends/webgpuProtocol.js';
import { proxyBackends, type BatchedRunsBackend } from '../backends/webgpuProxy.js';
import type { Backend } from '../backend.js';

/** The structural subset of a MessagePort / worker scope used here (the engine compiles without lib.dom). */
export interface PortLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  onmessage: ((e: { data: unknown }) => void) | null;
}

/** The first message on the port between the train worker and the GPU worker. */
export interface Connect {
  type: 'optoscope.webgpu.connect';
  slot: SharedArrayBuffer;
}

export interface BrowserWebGpuDevice {
  readonly info: WebGpuAdapterInfo;
  readonly isSoftware: boolean;
  /** What the adapter is and how it was obtained, in one sentence. */
  readonly reason: string;
  createBackend(): Backend;
  createBatchedBackend(runs: number): BatchedRunsBackend;
}

/**
 * In the train worker: connect to the GPU worker at the other end of `port`. Rejects with the reason
 * when it has no adapter. Needs SharedArrayBuffer, i.e. a cross-origin isolated page.
 */
export async function connectWebGpuDevice(port: PortLike, opts: { initTimeoutMs?: number; replyTimeoutMs?: number } = {}): Promise<BrowserWebGpuDevice> {
  if (typeof SharedArrayBuffer === 'undefined')
    throw new Error('webgpu: SharedArrayBuffer is unavailable: the page is not cross-origin isolated (it needs Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
  const slot = createReplySlot();
  port.postMessage({ type: 'optoscope.webgpu.connect', slot } satisfies Connect);
  const first = await awaitInitReply(slot, opts.initTimeoutMs ?? 60_000, () => null);
  if (first.type !== 'ready') throw new Error(`webgpu: no WebGPU adapter in this browser: ${first.reason}`);
  const create = proxyBackends({ post: (b) => port.postMessage(b), slot, dead: () => null, replyTimeoutMs: opts.replyTimeoutMs ?? 120_000 });
  return { info: first.info, isSoftware: first.isSoftware, reason: first.reason, createBackend: () => create(1), createBatchedBackend: create };
}
