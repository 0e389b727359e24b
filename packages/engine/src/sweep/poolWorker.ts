/**
 * The worker-thread side of {@link TrainPool}: instantiates the shared compiled core-wasm module, runs one
 * member at a time through `runMember` on the pool's shared feature table, and streams its training
 * events back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TrainEvent } from '../train.js';
import { runMember } from './member.js';
import type { FromWorker, ToWorker } from './pool.js';

const port = parentPort!;
const coreModule = (workerData as { coreModule?: WebAssembly.Module }).coreModule;
let current: AbortController | null = null;

const post = (m: FromWorker) => port.postMessage(m);

port.on('message', async (msg: ToWorker) => {
  if (msg.type === 'abort') {
    current?.abort();
    return;
  }
  const { member, store, features, takeover } = msg;
  const ac = (current = new AbortController());
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'start') post({ type: 'start', id: member.id, resumedFrom: e.resumedFrom, total: e.record.config.schedule.seqs });
    else if (e.type === 'progress') post({ type: 'progress', id: member.id, seqs: e.seqs, total: e.total, seqsPerSec: e.seqsPerSec, loss: e.loss });
    else if (e.type === 'checkpoint' || e.type === 'eval') post({ type: 'progress', id: member.id, seqs: e.seqs, total: member.config.schedule.seqs });
    else if (e.type === 'warning') post({ type: 'warning', id: member.id, message: e.message });
  };
  // Without shared features (they failed to load), train loads them itself and reports the error.
  const result = await runMember(member, store, { signal: ac.signal, onEvent, features: features ?? undefined, coreModule, takeover });
  current = null;
  post({ type: 'result', result });
});
