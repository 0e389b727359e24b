/**
 * The train worker's protocol (browser/trainWorker.ts) over a real MessageChannel in Node, on the wasm core
 * compiled here: the events of a run (backend, evals, progress, done without parameters), pause and
 * resume, stop, the run's files, and the errors (a bad config, files before any run).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { compileCoreModule } from '@optoscope/core-wasm';
import { describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../config.js';
import { serveTrainWorker, type TrainWorkerEvent, type TrainWorkerRequest } from './trainWorker.js';
import type { PortLike } from './webgpuWorkers.js';

const tiny = (seqs: number): RunConfigInput => ({ backend: 'wasm', model: { dModel: 16, nHeads: 2 }, schedule: { seqs, evalEvery: 160, ckptEvery: null, evalSize: 20 }, optim: { batchSize: 16 } });

/** The page's end: requests out, events collected, and a wait for the first event of a type. */
function page() {
  const { port1, port2 } = new MessageChannel();
  serveTrainWorker(port1 as unknown as PortLike);
  const events: TrainWorkerEvent[] = [];
  const waiters: [string, (e: TrainWorkerEvent) => void][] = [];
  (port2 as MessagePort).on('message', (e: TrainWorkerEvent) => {
    events.push(e);
    for (const w of waiters.filter(([t]) => t === e.type)) (waiters.splice(waiters.indexOf(w), 1), w[1](e));
  });
  return {
    events,
    send: (r: TrainWorkerRequest) => port2.postMessage(r),
    until: <T extends TrainWorkerEvent['type']>(type: T) =>
      new Promise<Extract<TrainWorkerEvent, { type: T }>>((r) => {
        const seen = events.find((e) => e.type === type);
        if (seen) r(seen as never);
        else waiters.push([type, r as never]);
      }),
    close: () => (port1.close(), port2.close()),
  };
}

describe('the train worker', () => {
  it('a run: backend, evals, progress, done (no parameters or features), then its files', async () => {
    const p = page();
    try {
      p.send({ type: 'files', info: { id: 'x', createdAt: '2026-01-01T00:00:00.000Z', backend: { requested: 'wasm', used: 'wasm', reason: '' }, wallS: 1 } });
      expect(await p.until('error')).toEqual({ type: 'error', message: 'no finished run to download' });
      p.send({ type: 'start', config: tiny(320), backend: { kind: 'wasm', module: compileCoreModule() } });
      const done = await p.until('done');
      expect(p.events.find((e) => e.type === 'backend')).toEqual({ type: 'backend', used: 'wasm', reason: 'the wasm SIMD core' });
      const types = p.events.map((e) => e.type);
      expect(types.indexOf('backend')).toBeLessThan(types.indexOf('eval'));
      expect(p.events.filter((e) => e.type === 'eval').map((e) => (e as { eval: { seqs: number } }).eval.seqs)).toEqual([0, 160, 320]);
      expect(types).toContain('progress');
      expect(Object.keys(done.run).sort()).toEqual(['config', 'heads', 'learned', 'learningTime', 'msPerStep', 'rows', 'seqs', 'steps', 'stopped']);
      expect(done.run).toMatchObject({ seqs: 320, steps: 20, stopped: false });
      p.send({ type: 'files', info: { id: 'page-1', createdAt: '2026-01-01T00:00:00.000Z', backend: { requested: 'wasm', used: 'wasm', reason: 'r' }, wallS: 1 } });
      const files = await p.until('files');
      expect(Object.keys(files.files).sort()).toEqual(['checkpoints/seqs-0000000320.safetensors', 'metrics.jsonl', 'run.json']);
      expect(JSON.parse(new TextDecoder().decode(files.files['run.json'])).id).toBe('page-1');
    } finally {
      p.close();
    }
  }, 60_000);

  it('pause is acknowledged, resume goes on, stop ends the run early', async () => {
    const p = page();
    try {
      p.send({ type: 'start', config: tiny(64_000), backend: { kind: 'wasm', module: compileCoreModule() } });
      await p.until('progress');
      p.send({ type: 'pause' });
      const paused = await p.until('paused');
      expect(paused.progress.seqsPerSec).toBe(0);
      const n = p.events.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(p.events.length).toBe(n); // nothing while paused
      p.send({ type: 'resume' });
      await new Promise((r) => setTimeout(r, 100));
      expect(p.events.length).toBeGreaterThan(n);
      p.send({ type: 'pause' });
      await new Promise((r) => setTimeout(r, 100));
      p.send({ type: 'stop' }); // a paused run wakes up to stop
      const done = await p.until('done');
      expect(done.run.stopped).toBe(true);
      expect(done.run.seqs).toBeLessThan(64_000);
    } finally {
      p.close();
    }
  }, 60_000);

  it('a bad config is an error event naming the field', async () => {
    const p = page();
    try {
      p.send({ type: 'start', config: { optim: { batchSize: -1 } }, backend: { kind: 'wasm', module: compileCoreModule() } });
      const e = await p.until('error');
      expect(e.message).toMatch(/^config: optim\.batchSize: /);
      p.send({ type: 'stop' }); // nothing running: harmless
    } finally {
      p.close();
    }
  });
});
