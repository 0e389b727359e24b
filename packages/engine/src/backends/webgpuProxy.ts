/**
 * The engine's side of the webgpu backend, in Node and in a browser: the Backend interface as a proxy
 * for a GPU worker (webgpuExecutor.ts). Kernel calls are queued and posted in batches (no round trip);
 * only read/sumSq/sync block, with Atomics.wait on the reply slot, until the worker has answered (see
 * webgpuProtocol.ts). One GPU worker serves any number of backends; each is its own namespace of buffers.
 */
import type { Backend, Buf } from '../backend.js';
import { slotElements, waitReply, type Batch, type Cmd, type Kind, type Reply, type Win } from './webgpuProtocol.js';

interface GBuf {
  readonly length: number;
  readonly kind: Kind;
  readonly w: Win;
}
const G = (b: Buf): GBuf => b as unknown as GBuf;
const isBuf = (a: unknown): a is GBuf => typeof a === 'object' && a !== null && 'w' in a && 'kind' in a;

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
  /**
   * out[0] = Σ X[i]² over i < n, per run, on the device (float32): what `sumSq` returns, without reading
   * X back. A training loop that reads its statistics every k steps queues it (sweep/batched.ts).
   */
  sumSqInto(out: Buf, X: Buf, n: number): void;
}

/** How the proxy reaches its GPU worker. */
export interface GpuWorkerLink {
  /** Post a batch of commands to the GPU worker. */
  post(b: Batch): void;
  /** The reply slot the GPU worker answers in. */
  slot: SharedArrayBuffer;
  /** Why the GPU worker can no longer answer (crashed, exited), or null while it can. */
  dead(): string | null;
  /** How long a read may wait for the GPU before it is declared hung. */
  replyTimeoutMs: number;
}

/** A factory of backends (plain: runs = 1, or batched) on the GPU worker behind `link`. */
export function proxyBackends(link: GpuWorkerLink): (runs: number) => BatchedRunsBackend {
  const waitFor = (what: string): Reply => waitReply(link.slot, what, link.replyTimeoutMs, link.dead);
  // Reads longer than the slot holds are split into windows that fit.
  const slotN = slotElements(link.slot);
  let nextBid = 0;
  const cleanup = new FinalizationRegistry<number>((bid) => {
    if (!link.dead()) link.post({ bid, runs: 1, cmds: [['dispose']] } satisfies Batch);
  });

  const createBackend = (runs = 1): BatchedRunsBackend => {
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`webgpu: runs must be a positive integer, got ${runs}`);
    const bid = nextBid++;
    let nextRoot = 0;
    let queue: Cmd[] = [];
    const flush = () => {
      if (!queue.length) return;
      const why = link.dead();
      if (why) throw new Error(`webgpu: ${why}`);
      link.post({ bid, runs, cmds: queue } satisfies Batch);
      queue = [];
    };
    const push = (c: Cmd) => {
      queue.push(c);
      if (queue.length >= MAX_QUEUED) flush();
    };
    const ask = (c: Cmd, what: string): Reply => {
      queue.push(c);
      flush();
      const r = waitFor(what);
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
    /** sumSq's one-element result; allocated at first use and re-allocated if a release() freed it. */
    let sumSqScratch: Buf | null = null;
    const readChunk = (g: GBuf, offset: number, len: number, run: number | null) => {
      const r = ask(['read', windowOf(g, offset, len, 'read'), run], `a read of ${len} elements`);
      if (r.type !== 'values') throw new Error(`webgpu read: expected values from the GPU worker, got '${r.type}'`);
      return r.values;
    };
    /** One run's values, or every run's ([runs, len]) when `run` is null; in slot-sized pieces. */
    const readWindow = (b: Buf, offset: number, n: number | undefined, run: number | null) => {
      const g = G(b);
      const len = n ?? g.length - offset;
      const reps = run === null ? runs : 1;
      const piece = Math.max(1, Math.floor(slotN / reps));
      if (len <= piece) return readChunk(g, offset, len, run);
      const out = g.kind === 'f32' ? new Float32Array(reps * len) : new Int32Array(reps * len);
      for (let s = 0; s < len; s += piece) {
        const m = Math.min(piece, len - s);
        const v = readChunk(g, offset + s, m, run);
        for (let rep = 0; rep < reps; rep++) out.set(v.subarray(rep * m, (rep + 1) * m), rep * len + s);
      }
      return out;
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
        if (sumSqScratch && G(sumSqScratch).w.r >= m) sumSqScratch = null;
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
      geluFwd: k('geluFwd'),
      geluBwd: k('geluBwd'),
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
      sumSqInto: k('sumSqInto'),
      sumSq(X, n) {
        // Summed on the device and one float read back: reading X (the whole gradient, every step of a
        // training loop) cost a transfer of every parameter per step.
        sumSqScratch ??= alloc(1, 'f32');
        be.sumSqInto(sumSqScratch, X, n);
        return read(sumSqScratch, undefined, 0, 1)[0];
      },
    };
    cleanup.register(be, bid);
    return be;
  };

  return createBackend;
}
