/**
 * Messages between the webgpu backend (the engine's thread) and its GPU worker thread.
 *
 * Kernel calls are queued on the engine's thread and posted in batches; only `read`, `sumSq` and
 * `sync` need an answer, which the worker posts on a dedicated reply port and signals through a shared
 * Int32 cell, so the engine's thread can block with Atomics.wait and take it with receiveMessageOnPort.
 */
import type { MessagePort } from 'node:worker_threads';
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

export interface WorkerInit {
  /** Int32Array(1) over a SharedArrayBuffer: 0 = no reply pending, 1 = a reply was posted. */
  signal: SharedArrayBuffer;
  replyPort: MessagePort;
}
