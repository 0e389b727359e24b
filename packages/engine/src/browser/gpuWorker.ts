/**
 * `@optoscope/engine/browser-gpu`: the body of a page's GPU worker, `serveGpuWorker(self)`, the browser
 * twin of backends/webgpuWorker.ts. Its own entry because it bundles tfjs-core and tfjs-backend-webgpu,
 * which the page and the train worker (`@optoscope/engine/browser`) never load.
 */
import { acquireWebGpuAdapter } from '../backends/webgpuAdapter.js';
import { startWebGpuExecutor } from '../backends/webgpuExecutor.js';
import { postReply, type Batch, type InitReply, type Reply } from '../backends/webgpuProtocol.js';
import type { Connect, PortLike } from './webgpuWorkers.js';

interface ScopeLike extends PortLike {
  addEventListener(type: 'error' | 'unhandledrejection', f: (e: { message?: string; reason?: unknown }) => void): void;
}

/**
 * The GPU worker's body: `serveGpuWorker(self)`. It waits for the page to hand it one end of a
 * MessageChannel (`{ port }`), then for the train worker's reply slot on that port, finds an adapter
 * (navigator.gpu) and runs the kernel batches that arrive on the port.
 */
export function serveGpuWorker(scope: ScopeLike): void {
  scope.onmessage = (e) => {
    const port = (e.data as { port?: PortLike }).port;
    if (!port) return;
    scope.onmessage = null;
    port.onmessage = (m) => {
      const c = m.data as Connect;
      if (c?.type !== 'optoscope.webgpu.connect') return;
      const reply = (r: Reply | InitReply) => postReply(c.slot, r);
      // Whatever escapes the executor becomes the answer the train worker is blocked on, not a silent hang.
      const fail = (what: string) => reply({ type: 'error', message: `webgpu (GPU worker): ${what}` });
      scope.addEventListener('error', (ev) => fail(ev.message ?? 'uncaught error'));
      scope.addEventListener('unhandledrejection', (ev) => fail(String((ev.reason as Error)?.message ?? ev.reason)));
      port.onmessage = null;
      acquireWebGpuAdapter()
        .then((probe) => startWebGpuExecutor(probe, reply, (onBatch) => (port.onmessage = (b) => onBatch(b.data as Batch))))
        .catch((err) => reply({ type: 'failed', reason: `webgpu worker failed to start: ${(err as Error).message}` }));
    };
  };
}
