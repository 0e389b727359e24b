/**
 * The train worker's body (`serveTrainWorker(self)` in a dedicated Web Worker): runs `trainInPage` off
 * the page's main thread, on the wasm core or on the webgpu backend (whose synchronous reads block this
 * worker, which a page may not do; see webgpuWorkers.ts), and streams evals and progress to the page.
 * The trained parameters stay here; the page asks for the run directory's files when it downloads.
 */
import type { Backend } from '../backend.js';
import { instantiateCore } from '@optoscope/core-wasm/core';
import { createWasmBackendOn } from '../backends/wasmCore.js';
import { pageRunFiles, type PageRunInfo } from './runFiles.js';
import { PauseGate, trainInPage, type PageEval, type PageProgress, type PageRun } from './trainInPage.js';
import { connectWebGpuDevice, type PortLike } from './webgpuWorkers.js';

/** A finished run as the page sees it: everything but the parameters and the feature table. */
export type PageRunSummary = Omit<PageRun, 'params' | 'features'>;

export type TrainWorkerBackend =
  /** The wasm SIMD core, compiled by the page (a WebAssembly.Module is cloneable). */
  | { kind: 'wasm'; module: WebAssembly.Module }
  /** The webgpu backend on the GPU worker at the other end of `port`. */
  | { kind: 'webgpu'; port: PortLike };

/** Page → train worker. */
export type TrainWorkerRequest =
  | { type: 'start'; config: unknown; backend: TrainWorkerBackend }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'files'; info: PageRunInfo };

/** Train worker → page. */
export type TrainWorkerEvent =
  | { type: 'backend'; used: 'wasm' | 'webgpu'; reason: string }
  | { type: 'eval'; eval: PageEval }
  | { type: 'progress'; progress: PageProgress }
  /** The loop has stopped for a pause: no step or eval follows until a 'resume' request. */
  | { type: 'paused'; progress: PageProgress }
  | { type: 'done'; run: PageRunSummary }
  | { type: 'files'; files: Record<string, Uint8Array> }
  | { type: 'error'; message: string };

export function serveTrainWorker(scope: PortLike): void {
  const send = (e: TrainWorkerEvent, transfer?: unknown[]) => scope.postMessage(e, transfer);
  let gate = new PauseGate();
  let abort: AbortController | null = null;
  let last: PageRun | null = null;

  const backendFor = async (b: TrainWorkerBackend): Promise<Backend> => {
    if (b.kind === 'wasm') {
      send({ type: 'backend', used: 'wasm', reason: 'the wasm SIMD core' });
      return createWasmBackendOn(instantiateCore(b.module));
    }
    const device = await connectWebGpuDevice(b.port);
    send({ type: 'backend', used: 'webgpu', reason: device.reason });
    return device.createBackend();
  };

  const start = async (config: unknown, backend: TrainWorkerBackend) => {
    gate = new PauseGate();
    abort = new AbortController();
    last = null;
    try {
      const run = await trainInPage(config, {
        backend: await backendFor(backend),
        pause: gate,
        signal: abort.signal,
        onEval: (e) => send({ type: 'eval', eval: e }),
        onProgress: (progress) => send({ type: 'progress', progress }),
        onPaused: (progress) => send({ type: 'paused', progress }),
      });
      last = run;
      const { params: _params, features: _features, ...summary } = run;
      send({ type: 'done', run: summary });
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  };

  scope.onmessage = (m) => {
    const req = m.data as TrainWorkerRequest;
    switch (req.type) {
      case 'start':
        void start(req.config, req.backend);
        break;
      case 'pause':
        gate.pause();
        break;
      case 'resume':
        gate.resume();
        break;
      case 'stop':
        gate.resume(); // a paused run must wake up to see the abort
        abort?.abort();
        break;
      case 'files':
        if (!last) send({ type: 'error', message: 'no finished run to download' });
        else
          void pageRunFiles(last, req.info).then(
            (files) => send({ type: 'files', files }, [...new Set(Object.values(files).map((f) => f.buffer))]),
            (e) => send({ type: 'error', message: `could not write the run's files: ${(e as Error).message}` }),
          );
        break;
    }
  };
}
