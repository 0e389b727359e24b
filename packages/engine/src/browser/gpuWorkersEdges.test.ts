/**
 * The browser's two-worker webgpu backend (browser/gpuWorker.ts and browser/webgpuWorkers.ts) in Node, on
 * Mesa's llvmpipe: worker threads stand in for the page's Web Workers and a MessageChannel connects them as
 * the page does. Each side is tested from this thread against the other side's build running in a worker
 * thread (this thread blocks on reads, so the GPU side cannot share it): values written are read back,
 * a kernel's result matches a sum taken here, and a GPU worker without an adapter is reported.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { linkBuiltDist } from '../testing/builtDist.js';
import { serveGpuWorker } from './gpuWorker.js';
import { connectWebGpuDevice, type PortLike } from './webgpuWorkers.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
beforeAll(() => {
  linkBuiltDist();
  // Mesa's EGL reads this from the C environment, which only a main thread's process.env reaches (as
  // backends/webgpu.ts sets it); the GPU worker thread's own setting would come too late.
  process.env.EGL_PLATFORM ??= 'surfaceless';
});

const dist = () => path.dirname(createRequire(import.meta.url).resolve('@optoscope/engine'));

/** A Web Worker scope over a Node worker's parentPort (the part serveGpuWorker uses). */
const SCOPE = `
  const { parentPort } = require('node:worker_threads');
  const queued = [];
  let handler = null;
  // messages that arrive before serveGpuWorker has installed its handler wait for it, as a Web Worker's would
  const scope = {
    get onmessage() { return handler; },
    set onmessage(f) { handler = f; while (f && queued.length) f({ data: queued.shift() }); },
    postMessage: (m, t) => parentPort.postMessage(m, t),
    addEventListener() {},
  };
  parentPort.on('message', (data) => (handler ? handler({ data }) : queued.push(data)));
`;

describe('connectWebGpuDevice (the train worker’s side)', () => {
  it('against a GPU worker thread: values written come back, a kernel runs, batched runs work', async () => {
    const gpu = new Worker(`${SCOPE} import(${JSON.stringify(path.join(dist(), 'browser', 'gpuWorker.js'))}).then((m) => m.serveGpuWorker(scope));`, { eval: true });
    const { port1, port2 } = new MessageChannel();
    try {
      gpu.postMessage({ port: port2 }, [port2]);
      const port = port1 as unknown as PortLike;
      // a Node MessagePort delivers to `onmessage` too, as a browser's does
      const device = await connectWebGpuDevice(port, { initTimeoutMs: 60_000 });
      expect(device.isSoftware).toBe(true);
      expect(device.reason).toMatch(/^software adapter .*llvmpipe/);
      expect(`${device.info.device} ${device.info.description}`).toMatch(/llvmpipe/);
      const be = device.createBackend();
      const a = be.allocF(3);
      const b = be.allocF(3);
      be.write(a, [1, 2, 3]);
      be.write(b, [10, 20, 30]);
      be.axpy(b, a, 2, 3);
      expect(Array.from(be.read(b))).toEqual([12, 24, 36]);
      expect(be.sumSq(a, 3)).toBe(14);
      const br = device.createBatchedBackend(2);
      const c = br.allocF(2);
      br.hostRun = 1;
      br.write(c, [5, 6]);
      expect(Array.from(br.readRuns(c))).toEqual([0, 0, 5, 6]);
      expect(br.runs).toBe(2);
    } finally {
      port1.close();
      await gpu.terminate();
    }
  });

  it('a GPU worker without an adapter: the reason, as the page shows it', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      // the GPU side answers the connect with `failed`, as serveGpuWorker does when acquireWebGpuAdapter finds none
      (port2 as MessagePort).on('message', (c: { slot: SharedArrayBuffer }) => {
        const body = new TextEncoder().encode(JSON.stringify({ type: 'failed', reason: 'this browser has no navigator.gpu' }));
        const head = new Int32Array(c.slot, 0, 4);
        new Uint8Array(c.slot, 16).set(body);
        head[1] = 3;
        head[2] = body.length;
        Atomics.store(head, 0, 1);
      });
      await expect(connectWebGpuDevice(port1 as unknown as PortLike)).rejects.toThrow('webgpu: no WebGPU adapter in this browser: this browser has no navigator.gpu');
    } finally {
      port1.close();
    }
  });
});

describe('serveGpuWorker (the GPU worker’s side)', () => {
  it('answers a train worker thread: connect, ready, batches, reads', async () => {
    const { port1, port2 } = new MessageChannel();
    const events: { type: string }[] = [];
    const scope = {
      onmessage: null as ((e: { data: unknown }) => void) | null,
      postMessage: () => undefined,
      addEventListener: (type: string) => events.push({ type }),
    };
    serveGpuWorker(scope);
    // messages without a port are not for it
    scope.onmessage!({ data: { hello: 1 } });
    expect(scope.onmessage).not.toBeNull();
    scope.onmessage!({ data: { port: port1 } });
    expect(scope.onmessage).toBeNull();
    // the train worker: a thread that connects through port2, trains nothing, reads back a kernel's result
    const train = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(${JSON.stringify(path.join(dist(), 'browser', 'webgpuWorkers.js'))}).then(async (m) => {
         const port = workerData.port;
         port.postMessage({ type: 'not a connect' });
         const device = await m.connectWebGpuDevice(port, { initTimeoutMs: 60000 });
         const be = device.createBackend();
         const a = be.allocF(4);
         be.write(a, [1, -2, 3, 0.5]);
         be.fill(a, 7, 1);
         parentPort.postMessage({ reason: device.reason, values: Array.from(be.read(a)), sq: be.sumSq(a, 4) });
       }).catch((e) => parentPort.postMessage({ error: e.message }));`,
      { eval: true, workerData: { port: port2 }, transferList: [port2] },
    );
    try {
      const out = await new Promise<{ reason?: string; values?: number[]; sq?: number; error?: string }>((r) => train.once('message', r));
      expect(out.error).toBeUndefined();
      expect(out.reason).toMatch(/llvmpipe/);
      expect(out.values).toEqual([7, -2, 3, 0.5]);
      expect(out.sq).toBe(49 + 4 + 9 + 0.25);
      expect(events.map((e) => e.type).sort()).toEqual(['error', 'unhandledrejection']);
    } finally {
      port1.close();
      await train.terminate();
    }
  });
});
