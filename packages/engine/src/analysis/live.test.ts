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
const clampedDir = path.join(tmp, 'clamped');
/** A first-layer head ablated, a last-layer head ablated and a previous-token clamp on L1H2. */
const CLAMP = { ablate: ['0:1', '1:0'], prevToken: { heads: ['0:2'], strength: 1 } };
let run: RunDir;
let inProcess: LiveAnalysis;
let worker: LiveAnalysisWorker;

beforeAll(async () => {
  const schedule = { seqs: 320, evalEvery: 320, ckptEvery: 64, evalSize: 100 };
  await train(parseRunConfig({ backend: 'wasm', schedule }), { out: dir, features: syntheticFeatures({ seed: 0 }) });
  await train(parseRunConfig({ backend: 'wasm', schedule: { ...schedule, ckptEvery: 160 }, interventions: CLAMP }), { out: clampedDir, features: syntheticFeatures({ seed: 0 }) });
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
      const [fromWorker] = await Promise.all([worker.headScores(dir, seqs, run.checkpointFile(seqs), 'run'), worker.attention(dir, last, 'none')]);
      await inProcess.attention(dir, last, 'run');
      expect(fromWorker).toEqual(want);
      expect(await inProcess.headScores(dir, seqs, run.checkpointFile(seqs), 'none')).toEqual(want);
    }
    expect(curve[5].strength).not.toEqual(curve[0].strength);
    const info = await worker.info(dir);
    expect(info).toEqual(await inProcess.info(dir));
    expect(info).toEqual({ denseSet: ar.ev.set.description, nLayers: 2, nHeads: 8, clamp: ar.clamp });
    expect(info.denseSet).toMatch(/stratified subsample 200\/78400/);
  }, 60_000);

  it('gives the same attention patterns in the worker as in process: 16 causal 5×5 means, rows summing to 1', async () => {
    for (const seqs of [0, 320]) {
      const file = run.checkpointFile(seqs);
      const heads = await worker.attention(dir, file, 'run');
      expect(heads).toEqual(await inProcess.attention(dir, file, 'run'));
      expect(heads).toEqual(await inProcess.attention(dir, file, 'none')); // an unclamped run: one model
      expect(heads.map((h) => h.head)).toEqual([...Array.from({ length: 8 }, (_, h) => `L1H${h}`), ...Array.from({ length: 8 }, (_, h) => `L2H${h}`)]);
      for (const { pattern } of heads)
        pattern.forEach((row, q) => {
          expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
          for (let k = q + 1; k < 5; k++) expect(row[k]).toBe(0);
        });
    }
    expect(await worker.attention(dir, run.checkpointFile(0), 'run')).not.toEqual(await worker.attention(dir, run.checkpointFile(320), 'run'));
  }, 60_000);

  it("a clamped run: 'run' scores are the engine's curve under the run's spec, 'none' the clean curve, and they differ", async () => {
    const ar = await openAnalysisRun(clampedDir, { size: SIZE });
    expect(ar.clamp).toMatchObject(CLAMP);
    const cks = ar.checkpoints;
    expect(cks).toEqual([0, 160, 320]);
    const clamped = inductionStrengthCurve(ar.ev, ar.load, cks, CLAMP);
    const clean = inductionStrengthCurve(ar.ev, ar.load, cks);
    const cr = RunDir.open(clampedDir);
    for (const [k, seqs] of cks.entries()) {
      const file = cr.checkpointFile(seqs);
      expect(await worker.headScores(clampedDir, seqs, file, 'run')).toEqual(clamped[k]);
      expect(await inProcess.headScores(clampedDir, seqs, file, 'none')).toEqual(clean[k]);
      expect(await worker.headScores(clampedDir, seqs, file, 'none')).toEqual(clean[k]);
    }
    const last = clamped.length - 1;
    // The ablated last-layer head reads a residual without L1H1's output and with L1H2's clamped pattern.
    expect(clamped[last].strength[0]).not.toBe(clean[last].strength[0]);
    // The clamped head attends exactly to the previous token: a_t = 1, score 1 at every position.
    expect(clamped[last].prevToken[2]).toBeCloseTo(1, 6);
    expect(clean[last].prevToken[2]).toBeLessThan(0.99);
    // Layer-0 patterns depend only on the embedding: the ablated L1H1 scores the same either way.
    expect(clamped[last].prevToken[1]).toBe(clean[last].prevToken[1]);
  }, 60_000);

  it("a clamped run's attention under 'run' is the clamped pattern; under 'none' the model's own", async () => {
    const file = RunDir.open(clampedDir).checkpointFile(320);
    const run = await worker.attention(clampedDir, file, 'run');
    const none = await worker.attention(clampedDir, file, 'none');
    expect(run).toEqual(await inProcess.attention(clampedDir, file, 'run'));
    const byName = (hs: typeof run, name: string) => hs.find((h) => h.head === name)!.pattern;
    // Spec 4.4 at strength 1: position t attends only to t−1 (position 0 to itself).
    const shifted = Array.from({ length: 5 }, (_, q) => Array.from({ length: 5 }, (_, k) => (k === Math.max(0, q - 1) ? 1 : 0)));
    byName(run, 'L1H2').forEach((row, q) => row.forEach((v, k) => expect(v).toBeCloseTo(shifted[q][k], 6)));
    expect(byName(none, 'L1H2')[4][3]).toBeLessThan(0.99);
    // Unclamped first-layer heads are the same model either way; the last layer reads a different residual.
    expect(byName(run, 'L1H0')).toEqual(byName(none, 'L1H0'));
    expect(byName(run, 'L2H0')).not.toEqual(byName(none, 'L2H0'));
  }, 60_000);

  it("passes the engine's error for a corrupt checkpoint back by message and keeps working", async () => {
    const bad = path.join(tmp, 'corrupt.safetensors');
    fs.writeFileSync(bad, 'not a safetensors file');
    const inProcessError = await inProcess.headScores(dir, 64, bad, 'run').then(() => null, (e: Error) => e.message);
    expect(inProcessError).toBeTruthy();
    await expect(worker.headScores(dir, 64, bad, 'run')).rejects.toThrow(inProcessError!);
    await expect(worker.attention(dir, bad, 'run')).rejects.toThrow(inProcessError!);
    expect(worker.alive).toBe(true);
    expect((await worker.headScores(dir, 64, run.checkpointFile(64), 'none')).seqs).toBe(64);
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
