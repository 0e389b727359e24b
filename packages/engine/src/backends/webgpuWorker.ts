/**
 * The Node GPU worker of the webgpu backend (a worker_threads thread started by webgpu.ts): finds an
 * adapter through Dawn (see webgpuAdapter.ts) and runs the engine's kernel batches on it with the shared
 * executor (webgpuExecutor.ts). Answers go through the reply slot in workerData (webgpuProtocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { acquireWebGpuAdapter } from './webgpuAdapter.js';
import { startWebGpuExecutor } from './webgpuExecutor.js';
import { postReply, type InitReply, type Reply, type WorkerInit } from './webgpuProtocol.js';

const { slot } = workerData as WorkerInit;
const reply = (m: Reply | InitReply) => postReply(slot, m);

acquireWebGpuAdapter()
  .then((probe) => startWebGpuExecutor(probe, reply, (onBatch) => parentPort!.on('message', onBatch)))
  .catch((e) => reply({ type: 'failed', reason: `webgpu worker failed to start: ${(e as Error).stack ?? e}` }));
