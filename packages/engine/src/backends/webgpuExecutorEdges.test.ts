/**
 * The GPU side of the webgpu backend (webgpuExecutor.ts), run in this thread on Mesa's llvmpipe (the webgpu
 * tests' adapter) and driven with the protocol's batches directly, so every kernel can be checked against
 * the float64 reference backend on small random inputs: forward kernels overwrite, backward kernels add
 * to what the output held, null gradients are skipped, counts below a buffer's length touch only its head.
 * Batched runs (R = 2) are checked run by run; storage commands and every error the executor reports too.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend, Buf } from '../backend.js';
import { Rng } from '../rng.js';
import { relErr } from '../testing/conformance.js';
import { KERNEL_CASES, nOf, values, type BufSpec, type KernelCase } from '../testing/kernelCases.js';
import { createReferenceBackend } from './reference.js';
import { acquireWebGpuAdapter } from './webgpuAdapter.js';
import { startWebGpuExecutor } from './webgpuExecutor.js';
import type { Batch, Cmd, InitReply, Reply, Win } from './webgpuProtocol.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Answer = Reply | InitReply;
let send: (b: Batch) => void;
let next: () => Promise<Answer>;
let ready: Answer;
let nextBid = 0;

beforeAll(async () => {
  const pending: Answer[] = [];
  const waiting: ((m: Answer) => void)[] = [];
  next = () => (pending.length ? Promise.resolve(pending.shift()!) : new Promise((r) => waiting.push(r)));
  const reply = (m: Answer) => {
    const w = waiting.shift();
    if (w) w(m);
    else pending.push(m);
  };
  await startWebGpuExecutor(await acquireWebGpuAdapter(), reply, (f) => (send = f));
  ready = await next();
});
// Free the device's buffers: Stryker runs this file once per mutant in one thread.
afterAll(async () => (await import('@tensorflow/tfjs-core')).removeBackend('webgpu'));

/** One backend's namespace on the executor: commands queued here and sent with the next read or sync. */
class Space {
  readonly bid = nextBid++;
  cmds: Cmd[] = [];
  private root = 0;
  constructor(readonly runs = 1) {}
  alloc(n: number, kind: 'f32' | 'i32' | 'u8' = 'f32'): Win {
    const r = this.root++;
    this.cmds.push(['alloc', r, n, kind]);
    return { r, o: 0, n };
  }
  write(w: Win, data: ArrayLike<number>, kind: 'f32' | 'i32' = 'f32', run: number | null = null) {
    this.cmds.push(['write', w, kind === 'f32' ? Float32Array.from(data) : Int32Array.from(data), run]);
  }
  k(...c: Cmd) {
    this.cmds.push(c);
  }
  private async ask(c: Cmd): Promise<Answer> {
    send({ bid: this.bid, runs: this.runs, cmds: [...this.cmds, c] });
    this.cmds = [];
    return next();
  }
  async read(w: Win, run: number | null = null): Promise<number[]> {
    const m = await this.ask(['read', w, run]);
    if (m.type === 'error') throw new Error(m.message);
    if (m.type !== 'values') throw new Error(`unexpected ${m.type}`);
    return Array.from(m.values);
  }
  async sync(): Promise<void> {
    const m = await this.ask(['sync']);
    if (m.type === 'error') throw new Error(m.message);
    expect(m.type).toBe('ok');
  }
}

const win = (w: Win, o: number, n: number): Win => ({ r: w.r, o: w.o + o, n });

it('the executor started on llvmpipe and said so', () => {
  expect(ready).toMatchObject({ type: 'ready', isSoftware: true, via: 'webgpu (Dawn) backend=opengles, featureLevel=compatibility' });
});

function onReference(c: KernelCase, seed: number, runs: number): number[][][] {
  // each run: its own reference backend, with the inputs of that run
  return Array.from({ length: runs }, (_, run) => {
    const be: Backend = createReferenceBackend();
    const rng = new Rng(seed + run);
    const b: Record<string, Buf> = {};
    for (const [name, s] of Object.entries(c.bufs)) {
      b[name] = typeof s === 'object' && 'i32' in s ? be.allocI32(nOf(s)) : typeof s === 'object' && 'u8' in s ? be.allocU8(nOf(s)) : be.allocF(nOf(s));
      be.write(b[name], values(s, rng));
    }
    for (const [k, ...args] of c.calls) (be as unknown as Record<string, (...a: unknown[]) => void>)[k as string](...args.map((a) => (typeof a === 'string' ? b[a] : a)));
    return c.outs.map((o) => Array.from(be.read(b[o])));
  });
}

async function onExecutor(c: KernelCase, seed: number, runs: number): Promise<number[][][]> {
  const sp = new Space(runs);
  const w: Record<string, Win> = {};
  for (const [name, s] of Object.entries(c.bufs)) {
    const int = typeof s === 'object' && !('n' in s);
    w[name] = sp.alloc(nOf(s), int ? ('i32' in s ? 'i32' : 'u8') : 'f32');
    for (let run = 0; run < runs; run++) sp.write(w[name], values(s, new RngAt(seed + run, Object.keys(c.bufs).indexOf(name), c.bufs).rng), int ? 'i32' : 'f32', runs > 1 ? run : null);
  }
  for (const [k, ...args] of c.calls) sp.k(k as string, ...args.map((a) => (typeof a === 'string' ? w[a] : a)));
  const out: number[][][] = Array.from({ length: runs }, () => []);
  for (const o of c.outs)
    for (let run = 0; run < runs; run++) out[run].push(await sp.read(w[o], runs > 1 ? run : null));
  return out;
}

/** The random stream of one run positioned at buffer `index`, as onReference draws it (buffers in order). */
class RngAt {
  readonly rng: Rng;
  constructor(seed: number, index: number, bufs: Record<string, BufSpec>) {
    this.rng = new Rng(seed);
    Object.values(bufs)
      .slice(0, index)
      .forEach((s) => values(s, this.rng));
  }
}

/** The reference backend has no sumSqInto: Σ x² of the first n, computed here in float64. */
function expected(c: KernelCase, seed: number, runs: number): number[][][] {
  if (c.name !== 'sum of squares into a buffer') return onReference(c, seed, runs);
  return Array.from({ length: runs }, (_, run) => {
    const rng = new Rng(seed + run);
    const out = values(c.bufs.out, rng);
    const x = values(c.bufs.X, rng);
    out[0] = x.slice(0, 8).reduce((a, v) => a + v * v, 0);
    return [out];
  });
}

describe('every kernel against the float64 reference', () => {
  for (const runs of [1, 2])
    for (const c of KERNEL_CASES)
      it(`${c.name}${runs > 1 ? `, ${runs} runs` : ''}`, async () => {
        const want = expected(c, 17, runs);
        const got = await onExecutor(c, 17, runs);
        for (let run = 0; run < runs; run++)
          c.outs.forEach((o, i) => expect(relErr(got[run][i], want[run][i]), `${o} of run ${run}`).toBeLessThan(1e-5));
      });

  it('Adam on windows of one buffer (the op-by-op path) agrees too', async () => {
    const c: KernelCase = {
      name: 'adam, one root',
      bufs: { all: 32 },
      calls: [],
      outs: ['all'],
    };
    const rng = new Rng(3);
    const x = values(c.bufs.all, rng).map((v, i) => (i >= 24 ? Math.abs(v) : v));
    const ref = createReferenceBackend();
    const a = ref.allocF(32);
    ref.write(a, x);
    const [p, g, m, v] = [0, 8, 16, 24].map((o) => ref.slice(a, o, 8));
    ref.adamStep(p, g, m, v, 7, 1e-2, 0.9, 0.999, 1e-8, 0.1, 0.01);
    const sp = new Space();
    const w = sp.alloc(32);
    sp.write(w, x);
    sp.k('adamStep', win(w, 0, 8), win(w, 8, 8), win(w, 16, 8), win(w, 24, 8), 7, 1e-2, 0.9, 0.999, 1e-8, 0.1, 0.01);
    expect(relErr(await sp.read(w), Array.from(ref.read(a)))).toBeLessThan(1e-5);
  });
});

describe('storage and errors', () => {
  it('allocations are zero, sized at least 1; writes into one run or all; windows read back', async () => {
    const sp = new Space(2);
    const a = sp.alloc(4);
    const z = sp.alloc(0);
    expect(await sp.read(a)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await sp.read({ ...z, n: 1 })).toEqual([0, 0]);
    sp.write(a, [1, 2, 3, 4]);
    sp.write(win(a, 1, 2), [7, 8], 'f32', 1);
    expect(await sp.read(a)).toEqual([1, 2, 3, 4, 1, 7, 8, 4]);
    expect(await sp.read(a, 1)).toEqual([1, 7, 8, 4]);
    expect(await sp.read(win(a, 2, 2), 0)).toEqual([3, 4]);
    const i = sp.alloc(3, 'i32');
    sp.write(i, [5, -6, 7], 'i32');
    expect(await sp.read(i, 1)).toEqual([5, -6, 7]);
    // copying a buffer onto itself (same root as source and destination)
    sp.k('copy', win(a, 0, 2), win(a, 2, 2), 2);
    expect(await sp.read(a, 0)).toEqual([3, 4, 3, 4]);
    // an alloc of an existing root replaces it
    sp.k('alloc', a.r, 2, 'f32');
    expect(await sp.read({ ...a, n: 2 })).toEqual([0, 0, 0, 0]);
  });

  it('release frees roots from a mark on; dispose frees the whole namespace', async () => {
    const sp = new Space();
    const a = sp.alloc(2);
    const b = sp.alloc(2);
    sp.write(a, [1, 2]);
    sp.k('release', 1);
    expect(await sp.read(a)).toEqual([1, 2]);
    await expect(sp.read(b)).rejects.toThrow(`webgpu read of [0, 2) of root 1 failed: buffer root 1 of backend ${sp.bid} does not exist (used after release?)`);
    sp.k('dispose');
    await expect(sp.read(a)).rejects.toThrow(`buffer root 0 of backend ${sp.bid} does not exist`);
  });

  it('a failing kernel is reported at the next read with its arguments, once; later kernels are skipped', async () => {
    const sp = new Space();
    const a = sp.alloc(4);
    const b = sp.alloc(2);
    sp.k('nosuchkernel', a, 3);
    sp.k('fill', a, 9, 4); // skipped: after an error the state is undefined
    await expect(sp.read(a)).rejects.toThrow('webgpu kernel nosuchkernel(buf(root 0 @0, n=4), 3) failed: unknown command');
    expect(await sp.read(a)).toEqual([0, 0, 0, 0]);
    sp.k('fill', b, 1, 3);
    await expect(sp.sync()).rejects.toThrow('webgpu kernel fill(buf(root 1 @0, n=2), 1, 3) failed: count 3 exceeds a buffer of 2');
    sp.k('copy', { r: 0, o: 3, n: 2 }, b, 2);
    await expect(sp.sync()).rejects.toThrow('failed: window [3, 5) outside root 0 of 4 elements');
    sp.k('write', b, Float32Array.from([1, 2, 3]), null);
    await expect(sp.sync()).rejects.toThrow('webgpu kernel write(buf(root 1 @0, n=2), data[3], null) failed: result of 3 elements for a window of 2');
    const sp2 = new Space(2);
    const [c, a1, b3] = [sp2.alloc(2), sp2.alloc(1), sp2.alloc(3)];
    sp2.k('matmulNT', c, a1, b3, 1, 3, 1, false);
    await expect(sp2.sync()).rejects.toThrow('result of 6 elements for a window of 2 in 2 runs');
    await sp.sync();
  });
});
