/**
 * Messages between the webgpu backend (the engine's thread) and its GPU worker, in Node (worker_threads)
 * and in a browser (Web Workers) alike.
 *
 * Kernel calls are queued on the engine's thread and posted in batches (postMessage, no answer). Only
 * `read` and `sync` need one, and the engine's thread must block for it (the Backend interface is
 * synchronous): the GPU worker writes the answer into a reply slot, a SharedArrayBuffer both sides hold,
 * and wakes the engine's thread, which waits with Atomics.wait. Browsers have no synchronous way to take a
 * message from a port, so the answer itself travels through the slot, not through a message.
 * One request is outstanding at a time (the engine's thread waits for each), so one slot suffices.
 */
import type { WebGpuAdapterInfo } from './webgpuAdapter.js';

export type Kind = 'f32' | 'i32' | 'u8';

/** A window of a root allocation: root id r, element offset o, n elements. */
export interface Win {
  r: number;
  o: number;
  n: number;
}

/** One queued command: [kernel name, ...arguments], windows for buffers, null for skipped gradients. */
export type Cmd = [string, ...unknown[]];

export interface Batch {
  /** Which backend (namespace of roots) the commands belong to. */
  bid: number;
  /** Replicas of every buffer in that backend (batched runs; 1 = an ordinary backend). */
  runs: number;
  cmds: Cmd[];
}

export type Reply =
  | { type: 'values'; values: Float32Array | Int32Array }
  | { type: 'ok' }
  | { type: 'error'; message: string };

export type InitReply =
  | { type: 'ready'; info: WebGpuAdapterInfo; isSoftware: boolean; via: string; reason: string }
  | { type: 'failed'; reason: string };

/** What a Node GPU worker gets as workerData (a browser GPU worker gets it as its port's first message). */
export interface WorkerInit {
  /** The reply slot (see `createReplySlot`). */
  slot: SharedArrayBuffer;
}

// Slot layout: Int32 header [state (0 empty, 1 full), payload type, payload bytes, unused], then the payload.
const HEADER_BYTES = 16;
const F32 = 1;
const I32 = 2;
const JSON_TEXT = 3;
/** Payload capacity of a reply slot: reads longer than this are split into several requests (see `readChunk`). */
export const REPLY_SLOT_BYTES = 8 << 20;

/** The smallest payload: the start-up answer (adapter description, JSON) and error messages must fit. */
export const MIN_REPLY_SLOT_BYTES = 4096;

export function createReplySlot(payloadBytes = REPLY_SLOT_BYTES): SharedArrayBuffer {
  if (!Number.isInteger(payloadBytes) || payloadBytes < MIN_REPLY_SLOT_BYTES) throw new Error(`webgpu: replySlotBytes must be an integer ≥ ${MIN_REPLY_SLOT_BYTES}, got ${payloadBytes}`);
  return new SharedArrayBuffer(HEADER_BYTES + payloadBytes);
}

/** The most 4-byte elements one reply can carry. */
export const slotElements = (slot: SharedArrayBuffer): number => Math.floor((slot.byteLength - HEADER_BYTES) / 4);

/** GPU side: write `m` into the slot and wake the engine's thread. */
export function postReply(slot: SharedArrayBuffer, m: Reply | InitReply): void {
  const head = new Int32Array(slot, 0, 4);
  const payload = new Uint8Array(slot, HEADER_BYTES);
  let type: number;
  let bytes: Uint8Array;
  if (m.type === 'values') {
    type = m.values instanceof Float32Array ? F32 : I32;
    bytes = new Uint8Array(m.values.buffer, m.values.byteOffset, m.values.byteLength);
  } else {
    type = JSON_TEXT;
    bytes = new TextEncoder().encode(JSON.stringify(m));
  }
  if (bytes.length > payload.length) {
    // The engine splits reads to fit; only a huge error text can get here.
    const message = m.type === 'values' ? `a reply of ${bytes.length} bytes exceeds the reply slot (${payload.length})` : JSON.stringify(m).slice(0, payload.length / 4);
    return postReply(slot, { type: 'error', message });
  }
  payload.set(bytes);
  head[1] = type;
  head[2] = bytes.length;
  Atomics.store(head, 0, 1);
  Atomics.notify(head, 0);
}

/** Engine side: the reply in the slot (emptying it), or undefined when none has arrived. */
export function takeReply(slot: SharedArrayBuffer): Reply | InitReply | undefined {
  const head = new Int32Array(slot, 0, 4);
  if (Atomics.load(head, 0) !== 1) return undefined;
  const [type, n] = [head[1], head[2]];
  // Copy out of shared memory first: TextDecoder refuses views of a SharedArrayBuffer in browsers.
  const bytes = new Uint8Array(n);
  bytes.set(new Uint8Array(slot, HEADER_BYTES, n));
  Atomics.store(head, 0, 0);
  if (type === F32) return { type: 'values', values: new Float32Array(bytes.buffer) };
  if (type === I32) return { type: 'values', values: new Int32Array(bytes.buffer) };
  return JSON.parse(new TextDecoder().decode(bytes)) as Reply | InitReply;
}

/**
 * Engine side: block this thread until the reply to the request just posted arrives. `dead` says why the
 * GPU worker can no longer answer (null while it can); polled every 200 ms.
 */
export function waitReply(slot: SharedArrayBuffer, what: string, timeoutMs: number, dead: () => string | null): Reply {
  const head = new Int32Array(slot, 0, 4);
  const start = Date.now();
  for (;;) {
    const m = takeReply(slot);
    if (m) return m as Reply;
    const why = dead();
    if (why) throw new Error(`webgpu: ${why}; no answer to ${what}`);
    if (Date.now() - start > timeoutMs) throw new Error(`webgpu: no answer to ${what} from the GPU worker within ${timeoutMs / 1000} s`);
    Atomics.wait(head, 0, 0, 200);
  }
}

/**
 * Engine side, asynchronously (start-up): the GPU worker's first reply, polled without blocking. A
 * failure is `{ type: 'failed', reason }`, also when the worker answered with an error instead.
 */
export async function awaitInitReply(slot: SharedArrayBuffer, timeoutMs: number, dead: () => string | null): Promise<InitReply> {
  const start = Date.now();
  for (;;) {
    const m = takeReply(slot);
    if (m?.type === 'error') return { type: 'failed', reason: m.message };
    if (m) return m as InitReply;
    const why = dead();
    if (why) throw new Error(`webgpu: ${why} before reporting an adapter`);
    if (Date.now() - start > timeoutMs) throw new Error(`webgpu: the GPU worker reported nothing within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
