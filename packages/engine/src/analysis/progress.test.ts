import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../backends/wasm.js';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { DEFAULT_MODEL, ParamStore } from '../params.js';
import { paramTensors } from '../store/paramIO.js';
import type { MetricRow } from '../store/runDir.js';
import { train } from '../train.js';
import {
  clampProgressSpecs,
  inductionStrengthCurve,
  interpolate,
  layerToOutputCurve,
  learningTimeFromRows,
  openAnalysisRun,
  pickCheckpoints,
  progressCurve,
} from './progress.js';
import { DenseEvaluator } from './denseSet.js';
import { copyHeadModel } from './testing/copyHead.js';
import { evaluatorFor, randomParams } from './testing/fixture.js';

describe('checkpoint selection and learning time (spec 5.1, 5.9)', () => {
  it('picks ~n checkpoints evenly spaced in iteration, snapped to saved ones', () => {
    const saved = Array.from({ length: 313 }, (_, k) => k * 32);
    const picked = pickCheckpoints(saved, 100);
    expect(picked[0]).toBe(0);
    expect(picked.at(-1)).toBe(312 * 32);
    expect(picked.length).toBeGreaterThan(90);
    expect(picked.length).toBeLessThanOrEqual(100);
    for (const x of picked) expect(saved).toContain(x);
    // Evenly spaced: every target k·(hi−lo)/99 has a picked checkpoint within 16 sequences.
    for (let k = 0; k < 100; k++) expect(Math.min(...picked.map((x) => Math.abs(x - (k * 312 * 32) / 99)))).toBeLessThanOrEqual(16);
    expect(pickCheckpoints([5, 1, 3], 100)).toEqual([1, 3, 5]);
  });

  it('learning time is the first fsl_train eval below 0.4·ln 2, else the last eval x', () => {
    const th = 0.4 * Math.LN2; // 0.2773
    const rows: MetricRow[] = [
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 1.6 },
      { kind: 'eval', seqs: 100, step: 3, set: 'fsl_train', loss: 0.7 },
      { kind: 'eval', seqs: 100, step: 3, set: 'fsl_val_rl', loss: 0.1 },
      { kind: 'train', seqs: 150, step: 4, loss: 0.1 },
      { kind: 'eval', seqs: 200, step: 6, set: 'fsl_train', loss: th + 1e-6 },
      { kind: 'eval', seqs: 300, step: 9, set: 'fsl_train', loss: th - 1e-6 },
      { kind: 'eval', seqs: 400, step: 12, set: 'fsl_train', loss: 0.01 },
    ];
    expect(learningTimeFromRows(rows)).toEqual({ seqs: 300, learned: true });
    expect(learningTimeFromRows(rows, 'fsl_val_rl')).toEqual({ seqs: 100, learned: true });
    expect(learningTimeFromRows(rows.slice(0, 5))).toEqual({ seqs: 200, learned: false });
  });

  it('interpolates linearly and clamps at the ends', () => {
    expect(interpolate([0, 10, 20], [1, 3, 2], 5)).toBe(2);
    expect(interpolate([0, 10, 20], [1, 3, 2], 15)).toBe(2.5);
    expect(interpolate([0, 10], [1, 3], -5)).toBe(1);
    expect(interpolate([0, 10], [1, 3], 50)).toBe(3);
    expect(interpolate([], [], 1)).toBeNaN();
  });
});

describe('progress curves over checkpoints (spec 5.1, 5.7, 5.8)', () => {
  const a = randomParams(51);
  const b = randomParams(52);
  const ckpts: Record<number, ParamStore> = { 0: a, 100: b, 200: a };
  const load = (x: number) => paramTensors(ckpts[x]);

  it('evaluates each named spec at each checkpoint like a fresh evaluation of that checkpoint', () => {
    const ev = evaluatorFor(randomParams(53), { size: 200, seed: 0 });
    const specs = { clean: {}, noH3: { ablate: ['1:3'] } };
    const curve = progressCurve(ev, load, [0, 100, 200], specs, { heads: true });
    expect(curve.map((p) => p.seqs)).toEqual([0, 100, 200]);
    for (const p of curve) {
      const fresh = evaluatorFor(ckpts[p.seqs], { size: 200, seed: 0 });
      for (const [name, s] of Object.entries(specs)) expect(p.values[name].loss).toBeCloseTo(fresh.evaluate(s).loss, 6);
      expect(p.strength).toEqual(fresh.evaluate({}, { heads: true }).strength);
    }
    expect(curve[0].values.clean).toEqual(curve[2].values.clean);
    const s = inductionStrengthCurve(ev, load, [100]);
    expect(s[0].strength).toEqual(curve[1].strength);
  });

  it('layer→output: a silent first layer has zero direct-path Δloss; no last layer leaves constant logits (ln 5)', () => {
    const m = copyHeadModel(3);
    const ev = evaluatorFor(m, { size: 200, seed: 0 });
    const rows: MetricRow[] = [
      { kind: 'train', seqs: 0, step: 0, loss: 2 },
      { kind: 'train', seqs: 200, step: 6, loss: 1 },
    ];
    const [pt] = layerToOutputCurve(ev, () => paramTensors(m), [50], rows);
    expect(pt.dNoL1Direct).toBeCloseTo(0, 6);
    expect(pt.noL2).toBeCloseTo(Math.log(5), 5);
    expect(pt.loggedTrainLoss).toBe(1.75);
    expect(pt.dNoL2VsLogged).toBeCloseTo(Math.log(5) - 1.75, 5);
  });

  it('clamp-based specs: the match clamp on a constructed copy head gives accuracy 1', () => {
    const m = copyHeadModel(3);
    const ev = evaluatorFor(m, { size: 200, seed: 0 });
    const specs = clampProgressSpecs({ pt: '0:2', ih: '1:3' }, 8);
    expect(specs.composite).toEqual({ ablate: ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'], prevToken: { heads: ['0:2'], strength: 1 } });
    const [p] = progressCurve(ev, () => paramTensors(m), [0], specs);
    expect(p.values.copy.acc).toBe(1);
    expect(p.values.composite.loss).toBeGreaterThan(0);
  });
});

describe('openAnalysisRun', () => {
  it('evaluates a trained run checkpoint by checkpoint; checkpoint 0 is the seed-5 init', async () => {
    const features = syntheticFeatures({ seed: 0 });
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-analysis-')), 'run');
    await train(parseRunConfig({ backend: 'wasm', schedule: { seqs: 320, evalEvery: 320, ckptEvery: 64, evalSize: 100 } }), { out, features });
    const ar = await openAnalysisRun(out, { size: 500, features });
    expect(ar.checkpoints).toEqual([0, 64, 128, 192, 256, 320]);
    expect(ar.ev.size).toBe(500);
    const curve = inductionStrengthCurve(ar.ev, ar.load, ar.checkpoints);
    expect(curve).toHaveLength(6);
    const init = new ParamStore(createWasmBackend(), { ...DEFAULT_MODEL });
    init.init(5);
    const fresh = new DenseEvaluator(init, ar.ev.set).evaluate({}, { heads: true });
    for (let h = 0; h < 8; h++) expect(curve[0].strength[h]).toBeCloseTo(fresh.strength![h], 6);
    expect(curve[5].strength).not.toEqual(curve[0].strength);
  }, 60_000);
});
