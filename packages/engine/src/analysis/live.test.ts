import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { RunDir } from '../store/runDir.js';
import { train } from '../train.js';
import { LiveAnalysis, LiveAnalysisWorker } from './live.js';
import { inductionStrengthCurve, openAnalysisRun } from './progress.js';

const SIZE = 200;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-live-'));
const dir = path.join(tmp, 'run');
let run: RunDir;
let inProcess: LiveAnalysis;
let worker: LiveAnalysisWorker;

beforeAll(async () => {
  await train(parseRunConfig({ backend: 'wasm', schedule: { seqs: 320, evalEvery: 320, ckptEvery: 64, evalSize: 100 } }), { out: dir, features: syntheticFeatures({ seed: 0 }) });
  run = RunDir.open(dir);
  inProcess = new LiveAnalysis(SIZE);
  worker = new LiveAnalysisWorker(SIZE);
}, 60_000);
afterAll(async () => {
  await worker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('live analysis (per-checkpoint head scores and attention, in process and in a worker thread)', () => {
  it('scores each checkpoint exactly as inductionStrengthCurve over the run does, in any order, with attention asked in between', async () => {
    const ar = await openAnalysisRun(dir, { size: SIZE });
    const curve = inductionStrengthCurve(ar.ev, ar.load, ar.checkpoints);
    expect(ar.checkpoints).toEqual([0, 64, 128, 192, 256, 320]);
    const order = [320, 0, 192, 64, 256, 128];
    const last = run.checkpointFile(320);
    for (const seqs of order) {
      const want = curve[ar.checkpoints.indexOf(seqs)];
      // The attention model loads another checkpoint into the same parameter store: scores must not care.
      const [fromWorker] = await Promise.all([worker.headScores(dir, seqs, run.checkpointFile(seqs)), worker.attention(dir, last)]);
      await inProcess.attention(dir, last);
      expect(fromWorker).toEqual(want);
      expect(await inProcess.headScores(dir, seqs, run.checkpointFile(seqs))).toEqual(want);
    }
    expect(curve[5].strength).not.toEqual(curve[0].strength);
    const info = await worker.info(dir);
    expect(info).toEqual(await inProcess.info(dir));
    expect(info).toEqual({ denseSet: ar.ev.set.description, nLayers: 2, nHeads: 8 });
    expect(info.denseSet).toMatch(/stratified subsample 200\/78400/);
  }, 60_000);

  it('gives the same attention patterns in the worker as in process: 16 causal 5×5 means, rows summing to 1', async () => {
    for (const seqs of [0, 320]) {
      const file = run.checkpointFile(seqs);
      const heads = await worker.attention(dir, file);
      expect(heads).toEqual(await inProcess.attention(dir, file));
      expect(heads.map((h) => h.head)).toEqual([...Array.from({ length: 8 }, (_, h) => `L1H${h}`), ...Array.from({ length: 8 }, (_, h) => `L2H${h}`)]);
      for (const { pattern } of heads)
        pattern.forEach((row, q) => {
          expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
          for (let k = q + 1; k < 5; k++) expect(row[k]).toBe(0);
        });
    }
    expect(await worker.attention(dir, run.checkpointFile(0))).not.toEqual(await worker.attention(dir, run.checkpointFile(320)));
  }, 60_000);

  it("passes the engine's error for a corrupt checkpoint back by message and keeps working", async () => {
    const bad = path.join(tmp, 'corrupt.safetensors');
    fs.writeFileSync(bad, 'not a safetensors file');
    const inProcessError = await inProcess.headScores(dir, 64, bad).then(() => null, (e: Error) => e.message);
    expect(inProcessError).toBeTruthy();
    await expect(worker.headScores(dir, 64, bad)).rejects.toThrow(inProcessError!);
    await expect(worker.attention(dir, bad)).rejects.toThrow(inProcessError!);
    expect(worker.alive).toBe(true);
    expect((await worker.headScores(dir, 64, run.checkpointFile(64))).seqs).toBe(64);
    await expect(worker.info(path.join(tmp, 'no-such-run'))).rejects.toThrow(/run\.json/);
  }, 60_000);

  it('a closed worker rejects calls and says it is not alive', async () => {
    const w = new LiveAnalysisWorker(SIZE);
    expect(w.alive).toBe(true);
    const waiting = expect(w.info(dir)).rejects.toThrow(/closed/);
    await w.close();
    expect(w.alive).toBe(false);
    await waiting;
    await expect(w.info(dir)).rejects.toThrow(/closed/);
  });
});
