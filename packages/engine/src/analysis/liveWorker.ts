/**
 * The worker thread of `LiveAnalysisWorker` (live.ts): one `LiveAnalysis`, a call per message. Calls run
 * as they arrive; each is synchronous once its run's context exists, so a checkpoint's parameters are
 * loaded and evaluated without another call in between.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LiveAnalysis, type LiveReply, type LiveRequest } from './live.js';

const live = new LiveAnalysis((workerData as { denseSize: number }).denseSize);
const port = parentPort!;

function run(m: LiveRequest): Promise<unknown> {
  switch (m.op) {
    case 'info':
      return live.info(...m.args);
    case 'headScores':
      return live.headScores(...m.args);
    case 'attention':
      return live.attention(...m.args);
  }
}

port.on('message', (m: LiveRequest) => {
  run(m).then(
    (value) => port.postMessage({ id: m.id, ok: true, value } satisfies LiveReply),
    (e: unknown) => port.postMessage({ id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) } satisfies LiveReply),
  );
});
