/**
 * The engine's side of the webgpu backend (webgpuProxy.ts) against a real GPU worker on Mesa's llvmpipe
 * (the webgpu tests' adapter): buffer windows and their bounds, reads split to fit a small reply slot,
 * batched runs (hostRun, readRuns, reads that refuse to pick a run), mark/release, sumSq against a sum
 * taken here in float64, kernel errors surfacing at the next read, a dead worker, the queue's batching,
 * and every kernel of a small model's training step against the float64 reference backend.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../backend.js';
import { Adam } from '../optim.js';
import { linkBuiltDist } from '../testing/builtDist.js';
import { TINY, cloneParams, makeRig, randomParams } from '../testing/clampRig.js';
import { createReferenceBackend } from './reference.js';
import { openWebGpuDevice, type WebGpuDevice } from './webgpu.js';
import { awaitInitReply, createReplySlot, type Batch } from './webgpuProtocol.js';
import { proxyBackends, type GpuWorkerLink } from './webgpuProxy.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let device: WebGpuDevice;
beforeAll(async () => {
  linkBuiltDist();
  // the smallest reply slot: 1024 elements per reply, so reads split early
  device = await openWebGpuDevice({ replySlotBytes: 4096 });
});
afterAll(async () => device?.close());

/** A GPU worker of our own behind a link whose posts are counted and whose death can be declared. */
async function ownWorker() {
  const slot = createReplySlot(4096);
  const script = path.join(path.dirname(createRequire(import.meta.url).resolve('@optoscope/engine')), 'backends', 'webgpuWorker.js');
  const worker = new Worker(script, { workerData: { slot } });
  let deadWhy: string | null = null;
  const posts: Batch[] = [];
  await awaitInitReply(slot, 60_000, () => null);
  const link: GpuWorkerLink = {
    post: (b) => (posts.push(b), worker.postMessage(b)),
    slot,
    dead: () => deadWhy,
    replyTimeoutMs: 60_000,
  };
  return { link, posts, kill: (why: string) => (deadWhy = why), close: () => worker.terminate() };
}

const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('buffers', () => {
  it('allocations start zeroed, hold f32, i32 and u8 values, and refuse bad sizes', () => {
    const be = device.createBackend();
    expect([be.name, be.precision]).toEqual(['webgpu', 'float32']);
    const a = be.allocF(5);
    expect(Array.from(be.read(a))).toEqual([0, 0, 0, 0, 0]);
    be.write(a, [1.5, -2, 3.25, 4, 5]);
    expect(be.read(a)).toEqual(Float32Array.from([1.5, -2, 3.25, 4, 5]));
    const i = be.allocI32(3);
    be.write(i, [7, -8, 2 ** 30]);
    const iv = be.read(i);
    expect(iv).toBeInstanceOf(Int32Array);
    expect(Array.from(iv)).toEqual([7, -8, 2 ** 30]);
    const u = be.allocU8(4);
    be.write(u, [0, 1, 1, 0]);
    expect(Array.from(be.read(u))).toEqual([0, 1, 1, 0]);
    expect(be.allocF(0).length).toBe(0);
    expect(() => be.allocF(-1)).toThrow('webgpu alloc: n must be a non-negative integer, got -1');
    expect(() => be.allocI32(2.5)).toThrow('webgpu alloc: n must be a non-negative integer, got 2.5');
  });

  it('slices are windows: offsets add up, writes through a slice land in the buffer, bounds are checked', () => {
    const be = device.createBackend();
    const b = be.allocF(10);
    const s = be.slice(b, 2, 6);
    const ss = be.slice(s, 1, 3); // elements 3..5 of b
    expect(ss.length).toBe(3);
    be.write(ss, [30, 40, 50]);
    be.write(s, [9], 5); // element 7 of b
    expect(Array.from(be.read(b))).toEqual([0, 0, 0, 30, 40, 50, 0, 9, 0, 0]);
    expect(Array.from(be.read(ss))).toEqual([30, 40, 50]);
    expect(Array.from(be.read(b, undefined, 4, 3))).toEqual([40, 50, 0]);
    expect(Array.from(be.read(b, undefined, 6))).toEqual([0, 9, 0, 0]);
    const out = new Float32Array(2);
    expect(be.read(s, out, 1, 2)).toBe(out);
    expect(Array.from(out)).toEqual([30, 40]);
    expect(() => be.slice(b, 5, 6)).toThrow('webgpu slice: [5, 11) outside a buffer of 10');
    expect(() => be.slice(b, -1, 2)).toThrow('webgpu slice: [-1, 1) outside a buffer of 10');
    expect(() => be.slice(b, 1.5, 2)).toThrow('webgpu slice: [1.5, 3.5) outside a buffer of 10');
    expect(() => be.write(s, [1, 2, 3], 4)).toThrow('webgpu write: [4, 7) outside a buffer of 6');
    expect(() => be.read(s, undefined, 5, 2)).toThrow('webgpu read: [5, 7) outside a buffer of 6');
    expect(be.slice(b, 10, 0).length).toBe(0);
  });

  it('reads longer than the reply slot come back whole, from any offset, f32 and i32', () => {
    const be = device.createBackend();
    const x = f32(3000, (i) => Math.sin(i) * 10);
    const b = be.allocF(3000);
    be.write(b, x);
    expect(be.read(b)).toEqual(x);
    expect(be.read(b, undefined, 17, 2049)).toEqual(x.subarray(17, 2066));
    expect(be.read(b, undefined, 0, 1024)).toEqual(x.subarray(0, 1024));
    expect(be.read(b, undefined, 0, 1025)).toEqual(x.subarray(0, 1025));
    const ints = Int32Array.from({ length: 2100 }, (_, i) => i * 3 - 1000);
    const bi = be.allocI32(2100);
    be.write(bi, ints);
    const back = be.read(bi);
    expect(back).toBeInstanceOf(Int32Array);
    expect(back).toEqual(ints);
  });

  it('mark and release: roots are reused, and sumSq works again after its scratch was released', () => {
    const be = device.createBackend();
    const keep = be.allocF(4);
    be.write(keep, [1, 2, 3, 4]);
    const m = be.mark();
    const t = be.allocF(3);
    be.write(t, [3, 4, 12]);
    expect(be.sumSq(t, 3)).toBe(169);
    be.release(m);
    expect(be.mark()).toBe(m);
    const t2 = be.allocF(2);
    be.write(t2, [6, 8]);
    expect(be.sumSq(t2, 2)).toBe(100); // a new scratch: the old one was released with t
    expect(be.sumSq(keep, 3)).toBe(14);
    expect(be.sumSq(keep, 4)).toBe(30);
    expect(Array.from(be.read(keep))).toEqual([1, 2, 3, 4]);
  });

  it('sumSq of a long vector agrees with a float64 sum taken here', () => {
    const be = device.createBackend();
    const x = f32(5000, (i) => Math.cos(i * 0.37) * (1 + (i % 7)));
    const b = be.allocF(5000);
    be.write(b, x);
    let want = 0;
    for (const v of x) want += v * v;
    expect(Math.abs(be.sumSq(b, 5000) - want) / want).toBeLessThan(1e-5);
  });

  it('a kernel error surfaces, naming the kernel, at the next read; the backend goes on afterwards', () => {
    const be = device.createBackend();
    const a = be.allocF(4);
    const m = be.mark();
    const freed = be.allocF(4);
    be.release(m);
    be.copy(a, freed, 4);
    expect(() => be.sync()).toThrow(/^webgpu kernel copy\(buf\(root 0 @0, n=4\), buf\(root 1 @0, n=4\), 4\) failed: buffer root 1 of backend \d+ does not exist/);
    be.write(a, [1, 2, 3, 4]);
    expect(Array.from(be.read(a))).toEqual([1, 2, 3, 4]);
    be.sync();
  });
});

describe('batched runs', () => {
  it('runs must be a positive integer', () => {
    expect(() => device.createBatchedBackend(0)).toThrow('webgpu: runs must be a positive integer, got 0');
    expect(() => device.createBatchedBackend(1.5)).toThrow('webgpu: runs must be a positive integer, got 1.5');
    expect(device.createBatchedBackend(1).runs).toBe(1);
  });

  it('writes broadcast without a host run; reads agree or refuse; hostRun picks one run', () => {
    const be = device.createBatchedBackend(3);
    expect(be.runs).toBe(3);
    expect(be.hostRun).toBeNull();
    const b = be.allocF(4);
    be.write(b, [1, 2, 3, 4]);
    expect(Array.from(be.read(b))).toEqual([1, 2, 3, 4]);
    expect(Array.from(be.readRuns(b))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    be.hostRun = 2;
    be.write(b, [7], 2);
    expect(Array.from(be.read(b))).toEqual([1, 2, 7, 4]);
    be.hostRun = 0;
    expect(Array.from(be.read(b))).toEqual([1, 2, 3, 4]);
    expect(be.sumSq(b, 4)).toBe(30);
    be.hostRun = 2;
    expect(be.sumSq(b, 4)).toBe(70);
    be.hostRun = null;
    expect(() => be.read(b)).toThrow('webgpu read: the 3 runs hold different values at element 2 (run 2); set hostRun to the run to read, or use readRuns');
    // the part that agrees can still be read
    expect(Array.from(be.read(b, undefined, 0, 2))).toEqual([1, 2]);
    expect(Array.from(be.read(b, undefined, 3, 1))).toEqual([4]);
    expect(Array.from(be.readRuns(b, 1, 2))).toEqual([2, 3, 2, 3, 2, 7]);
    for (const bad of [3, -1, 0.5]) expect(() => (be.hostRun = bad)).toThrow(`webgpu: hostRun ${bad} outside 0..2`);
    expect(be.hostRun).toBeNull();
  });

  it('every run of a long read, reassembled from slot-sized pieces', () => {
    const be = device.createBatchedBackend(3);
    const b = be.allocF(1500);
    const x = f32(4500, (i) => i * 0.5 - 7);
    for (let r = 0; r < 3; r++) {
      be.hostRun = r;
      be.write(b, x.subarray(r * 1500, (r + 1) * 1500));
    }
    expect(be.readRuns(b)).toEqual(x);
    expect(be.read(b, undefined, 1000, 500)).toEqual(x.subarray(4000, 4500));
    be.hostRun = null;
    expect(be.readRuns(b, 2, 700)).toEqual(Float32Array.from([0, 1, 2].flatMap((r) => [...x.subarray(r * 1500 + 2, r * 1500 + 702)])));
  });
});

describe('the link to the GPU worker', () => {
  it('kernels are queued and posted in batches: at a read, or when 1024 are waiting', async () => {
    const w = await ownWorker();
    try {
      const make = proxyBackends(w.link);
      const be = make(1);
      const other = make(2);
      const a = be.allocF(2);
      be.fill(a, 5, 2);
      // release to the current mark frees nothing: a command the worker runs without a kernel
      for (let i = 0; i < 1021; i++) be.release(be.mark());
      expect(w.posts).toHaveLength(0);
      be.release(1); // the 1024th command
      expect(w.posts).toHaveLength(1);
      expect(w.posts[0].cmds).toHaveLength(1024);
      expect(w.posts[0].cmds[0]).toEqual(['alloc', 0, 2, 'f32']);
      expect(w.posts[0].cmds[1]).toEqual(['fill', { r: 0, o: 0, n: 2 }, 5, 2]);
      expect(w.posts[0].cmds[1023]).toEqual(['release', 1]);
      expect(Array.from(be.read(a))).toEqual([5, 5]);
      expect(w.posts).toHaveLength(2);
      expect(w.posts[1].cmds).toEqual([['read', { r: 0, o: 0, n: 2 }, null]]);
      // each backend is its own namespace: another bid, its own root 0
      const c = other.allocF(1);
      other.hostRun = 1;
      other.write(c, [3]);
      expect(Array.from(other.read(c))).toEqual([3]);
      const last = w.posts.at(-1)!;
      expect(last.bid).not.toBe(w.posts[0].bid);
      expect(last.runs).toBe(2);
      expect(last.cmds.map((x) => x[0])).toEqual(['alloc', 'write', 'read']);
      expect(last.cmds[2]).toEqual(['read', { r: 0, o: 0, n: 1 }, 1]);
      // nothing queued: a sync still asks (the queue is never posted empty)
      const n = w.posts.length;
      be.sync();
      expect(w.posts).toHaveLength(n + 1);
      expect(w.posts[n].cmds).toEqual([['sync']]);
    } finally {
      await w.close();
    }
  });

  it('a dead worker: the next batch is refused with the reason', async () => {
    const w = await ownWorker();
    try {
      const be = proxyBackends(w.link)(1);
      const a = be.allocF(1);
      be.read(a);
      w.kill('the GPU worker exited (code 3)');
      const n = w.posts.length;
      be.fill(a, 1, 1);
      expect(() => be.read(a)).toThrow('webgpu: the GPU worker exited (code 3)');
      expect(w.posts).toHaveLength(n);
    } finally {
      await w.close();
    }
  });
});

describe('kernels: a training step against the float64 reference', () => {
  it('forward, backward and an Adam step of a small model with an MLP and a clamp agree', () => {
    const ref = createReferenceBackend();
    const cfg = { ...TINY, mlpHidden: 8 };
    const base = randomParams(ref, cfg, 3, 0.4);
    const run = (be: Backend) => {
      const params = cloneParams(base, be);
      const rig = makeRig({ be, params, spec: { match: { heads: ['1:1'], strength: 0.5 } }, B: 2, dataSeed: 4 });
      const adam = new Adam(params, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      const g = rig.grads();
      const loss = be.read(rig.model.loss.buf)[0];
      adam.step();
      return { loss, g, after: Float64Array.from(params.readBlock('values')) };
    };
    const r = run(ref);
    const w = run(device.createBackend());
    expect(Math.abs(w.loss - r.loss)).toBeLessThan(1e-5);
    for (const name of Object.keys(r.g)) {
      const scale = Math.max(1e-3, ...r.g[name].map(Math.abs));
      for (let i = 0; i < r.g[name].length; i++) expect(Math.abs(w.g[name][i] - r.g[name][i]) / scale, `${name}[${i}]`).toBeLessThan(1e-3);
    }
    for (let i = 0; i < r.after.length; i++) expect(Math.abs(w.after[i] - r.after[i]), `param ${i}`).toBeLessThan(1e-4);
  });
});
