/**
 * The reply slot between the engine's thread and its GPU worker (webgpuProtocol.ts), without a GPU: the
 * documented layout (Int32 header [state, payload type, payload bytes, unused], then the payload) read
 * straight from the SharedArrayBuffer, round trips of every reply kind, the size limits, and the waits,
 * with a real worker thread answering late.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MIN_REPLY_SLOT_BYTES, REPLY_SLOT_BYTES, awaitInitReply, createReplySlot, postReply, slotElements, takeReply, waitReply } from './webgpuProtocol.js';

const HEADER = 16;
const head = (slot: SharedArrayBuffer) => Array.from(new Int32Array(slot, 0, 4));
const alive = () => null;

describe('reply slot size', () => {
  it('a 16-byte header and the payload; 8 MiB by default, at least 4096 bytes', () => {
    expect(REPLY_SLOT_BYTES).toBe(8 * 1024 * 1024);
    expect(MIN_REPLY_SLOT_BYTES).toBe(4096);
    expect(createReplySlot().byteLength).toBe(HEADER + 8 * 1024 * 1024);
    expect(createReplySlot(4096).byteLength).toBe(HEADER + 4096);
    expect(createReplySlot(4100).byteLength).toBe(HEADER + 4100);
    expect(() => createReplySlot(4095)).toThrow('webgpu: replySlotBytes must be an integer ≥ 4096, got 4095');
    expect(() => createReplySlot(4096.5)).toThrow('got 4096.5');
    expect(() => createReplySlot(Number.NaN)).toThrow('got NaN');
  });

  it('slotElements: how many 4-byte values fit after the header', () => {
    expect(slotElements(createReplySlot(4096))).toBe(1024);
    expect(slotElements(createReplySlot(4099))).toBe(1024);
    expect(slotElements(createReplySlot(4100))).toBe(1025);
  });
});

describe('postReply / takeReply', () => {
  it('float32 values: header says full, type 1, byte count; the payload holds the values; taking empties it', () => {
    const slot = createReplySlot(4096);
    expect(takeReply(slot)).toBeUndefined();
    const v = Float32Array.from([1.5, -2.25, 3e-8, Number.POSITIVE_INFINITY]);
    postReply(slot, { type: 'values', values: v });
    expect(head(slot)).toEqual([1, 1, 16, 0]);
    expect(new Float32Array(slot, HEADER, 4)).toEqual(v);
    const r = takeReply(slot);
    expect(r).toEqual({ type: 'values', values: v });
    expect((r as { values: unknown }).values).toBeInstanceOf(Float32Array);
    expect(head(slot)[0]).toBe(0);
    expect(takeReply(slot)).toBeUndefined();
  });

  it('int32 values, also a view into a larger buffer (only the view travels)', () => {
    const slot = createReplySlot(4096);
    const all = Int32Array.from([9, 8, -7, 2 ** 31 - 1, -(2 ** 31), 5]);
    const view = all.subarray(2, 5);
    postReply(slot, { type: 'values', values: view });
    expect(head(slot)).toEqual([1, 2, 12, 0]);
    const r = takeReply(slot) as { type: string; values: Int32Array };
    expect(r.type).toBe('values');
    expect(r.values).toBeInstanceOf(Int32Array);
    expect(Array.from(r.values)).toEqual([-7, 2 ** 31 - 1, -(2 ** 31)]);
  });

  it('the reply does not alias the slot: a later reply leaves an earlier one as it was', () => {
    const slot = createReplySlot(4096);
    postReply(slot, { type: 'values', values: Float32Array.from([1, 2]) });
    const a = takeReply(slot) as { values: Float32Array };
    postReply(slot, { type: 'values', values: Float32Array.from([3, 4]) });
    expect(Array.from(a.values)).toEqual([1, 2]);
    expect(a.values.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it('ok, error and the start-up replies travel as JSON (type 3)', () => {
    const slot = createReplySlot(4096);
    for (const m of [
      { type: 'ok' },
      { type: 'error', message: 'shader failed: ü ✓' },
      { type: 'ready', info: { vendor: 'mesa', architecture: '', device: 'llvmpipe', description: 'x' }, isSoftware: true, via: 'GLES', reason: 'software adapter' },
      { type: 'failed', reason: 'no adapter' },
    ] as const) {
      postReply(slot, m as never);
      const text = JSON.stringify(m);
      const bytes = new TextEncoder().encode(text);
      expect(head(slot)).toEqual([1, 3, bytes.length, 0]);
      expect(new TextDecoder().decode(new Uint8Array(slot, HEADER, bytes.length).slice())).toBe(text);
      expect(takeReply(slot)).toEqual(m);
    }
  });

  it('a reply exactly the payload size fits; one value more becomes an error naming both sizes', () => {
    const slot = createReplySlot(4096);
    const fits = Float32Array.from({ length: 1024 }, (_, i) => i / 7);
    postReply(slot, { type: 'values', values: fits });
    expect(takeReply(slot)).toEqual({ type: 'values', values: fits });
    postReply(slot, { type: 'values', values: new Float32Array(1025) });
    expect(takeReply(slot)).toEqual({ type: 'error', message: 'a reply of 4100 bytes exceeds the reply slot (4096)' });
  });

  it('a huge error text is cut to a quarter of the slot and still arrives as an error', () => {
    const slot = createReplySlot(4096);
    const message = 'x'.repeat(10_000);
    postReply(slot, { type: 'error', message });
    const r = takeReply(slot) as { type: string; message: string };
    expect(r.type).toBe('error');
    expect(r.message).toBe(JSON.stringify({ type: 'error', message }).slice(0, 1024));
  });
});

describe('waiting for a reply', () => {
  it('waitReply returns a reply already there, and blocks until a worker thread posts one', async () => {
    const slot = createReplySlot(4096);
    postReply(slot, { type: 'ok' });
    expect(waitReply(slot, 'sync', 1000, alive)).toEqual({ type: 'ok' });
    // A real second thread writes the slot 300 ms later: the same layout, written by hand.
    const w = new Worker(
      `const { workerData } = require('node:worker_threads');
       setTimeout(() => {
         const head = new Int32Array(workerData, 0, 4);
         new Float32Array(workerData, 16, 2).set([0.5, 4]);
         head[1] = 1; head[2] = 8;
         Atomics.store(head, 0, 1); Atomics.notify(head, 0);
       }, 300);`,
      { eval: true, workerData: slot },
    );
    try {
      const t0 = Date.now();
      const r = waitReply(slot, 'read', 20_000, alive);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(r).toEqual({ type: 'values', values: Float32Array.from([0.5, 4]) });
    } finally {
      await w.terminate();
    }
  });

  it('waitReply fails with why the worker is gone, or after its timeout, naming the request', () => {
    const slot = createReplySlot(4096);
    expect(() => waitReply(slot, 'read of 5 values', 10_000, () => 'the GPU worker exited (code 1)')).toThrow('webgpu: the GPU worker exited (code 1); no answer to read of 5 values');
    const t0 = Date.now();
    expect(() => waitReply(slot, 'sync', 300, alive)).toThrow('webgpu: no answer to sync from the GPU worker within 0.3 s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    // a reply that is there wins over a dead worker
    postReply(slot, { type: 'ok' });
    expect(waitReply(slot, 'sync', 10, () => 'gone')).toEqual({ type: 'ok' });
  });

  it('awaitInitReply: the first reply, an error turned into failed, a dead worker, a timeout', async () => {
    const slot = createReplySlot(4096);
    postReply(slot, { type: 'failed', reason: 'no adapter' });
    await expect(awaitInitReply(slot, 1000, alive)).resolves.toEqual({ type: 'failed', reason: 'no adapter' });
    postReply(slot, { type: 'error', message: 'Dawn crashed' });
    await expect(awaitInitReply(slot, 1000, alive)).resolves.toEqual({ type: 'failed', reason: 'Dawn crashed' });
    setTimeout(() => postReply(slot, { type: 'failed', reason: 'late' }), 100);
    await expect(awaitInitReply(slot, 10_000, alive)).resolves.toEqual({ type: 'failed', reason: 'late' });
    await expect(awaitInitReply(slot, 10_000, () => 'it exited')).rejects.toThrow('webgpu: it exited before reporting an adapter');
    const t0 = Date.now();
    await expect(awaitInitReply(slot, 200, alive)).rejects.toThrow('webgpu: the GPU worker reported nothing within 0.2 s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });
});
