/**
 * Edges of analysis/progress.ts, each against a value worked out by hand: checkpoint picking at ties and
 * at exactly n saved checkpoints, interpolation at the knots, the rows learning time reads (eval rows of
 * the set with a numeric loss, in seqs order), the spec 5.7 / 5.8 specs written out, and progressCurve's
 * progress lines and strength-count field.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/runDir.js';
import { paramTensors } from '../store/paramIO.js';
import { clampProgressSpecs, interpolate, layerToOutputCurve, layerToOutputSpecs, learningTimeFromRows, pickCheckpoints, progressCurve } from './progress.js';
import { denseSet, DenseEvaluator } from './denseSet.js';
import { tokenLabel } from '../data/types.js';
import { features, task, evaluatorFor, randomParams } from './testing/fixture.js';
import { inductionStrengthCurve, openAnalysisRun } from './progress.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createWasmBackend } from '../backends/wasm.js';
import { parseRunConfig } from '../config.js';
import { ParamStore } from '../params.js';
import { train } from '../train.js';

describe('pickCheckpoints', () => {
  it('all of them, sorted, when there are at most n; n of them when there are more', () => {
    expect(pickCheckpoints([30, 10, 20], 3)).toEqual([10, 20, 30]);
    expect(pickCheckpoints([40, 30, 10, 20], 3)).toEqual([10, 20, 40]); // targets 10, 25, 40: 25 is as near 20 as 30, the first wins
    expect(pickCheckpoints([0, 10, 20, 30, 40], 3)).toEqual([0, 20, 40]);
    // the default is 100
    const many = Array.from({ length: 101 }, (_, i) => i);
    expect(pickCheckpoints(many).length).toBe(100);
    expect(pickCheckpoints(many.slice(0, 100))).toEqual(many.slice(0, 100));
  });

  it('snaps each target to the nearest saved one and drops duplicates', () => {
    // targets 0, 50, 100: 50 is nearest to 48 (2 away, 55 is 5)
    expect(pickCheckpoints([0, 1, 2, 48, 55, 100], 3)).toEqual([0, 48, 100]);
    // targets 0, 33.3, 66.7, 100 over [0, 1, 2, 100]: 33.3 → 2, 66.7 → 100
    expect(pickCheckpoints([0, 1, 2, 100], 3)).toEqual([0, 2, 100]);
    expect(pickCheckpoints([100, 2, 1, 0, 99], 4)).toEqual([0, 2, 99, 100]);
    // from an unsorted list with a first entry that is not the smallest
    expect(pickCheckpoints([50, 0, 100, 10], 3)).toEqual([0, 50, 100]);
    // exactly n saved: every one, although snapping to n targets would merge 1 into 2
    expect(pickCheckpoints([0, 1, 2, 100], 4)).toEqual([0, 1, 2, 100]);
    expect(pickCheckpoints([0, 1, 2, 100], 3)).toEqual([0, 2, 100]);
  });
});

describe('interpolate', () => {
  it('is exact at every knot, linear between, clamped outside', () => {
    const xs = [0, 10, 30];
    const ys = [4, 2, 6];
    expect(xs.map((x) => interpolate(xs, ys, x))).toEqual(ys);
    expect(interpolate(xs, ys, 20)).toBe(4);
    expect(interpolate(xs, ys, 25)).toBe(5);
    expect(interpolate(xs, ys, 2.5)).toBe(3.5);
    expect(interpolate(xs, ys, -1)).toBe(4);
    expect(interpolate(xs, ys, 31)).toBe(6);
    expect(interpolate([5], [7], 5)).toBe(7);
    expect(interpolate([5], [7], 9)).toBe(7);
    // the first and last knots are returned as they are, whatever lies beyond them (a diverged NaN)
    expect(interpolate([0, 10, 20], [1, NaN, 2], 0)).toBe(1);
    expect(interpolate([0, 10, 20], [1, NaN, 2], 20)).toBe(2);
    expect(interpolate([0, 10], [0.1, 0.3], 10)).toBe(0.3);
  });
});

describe('learningTimeFromRows', () => {
  it('reads only eval rows of the set with a numeric loss, in seqs order', () => {
    const th = 0.4 * Math.LN2;
    const rows = [
      { kind: 'eval', seqs: 300, step: 9, set: 'fsl_train', loss: th / 2 },
      { kind: 'train', seqs: 50, step: 1, set: 'fsl_train', loss: 0 },
      { kind: 'eval', seqs: 100, step: 3, set: 'fsl_val_rl', loss: 0 },
      { kind: 'eval', seqs: 150, step: 4, set: 'fsl_train', loss: 'NaN' },
      { kind: 'eval', seqs: 160, step: 5, set: 'fsl_train', loss: null },
      { kind: 'eval', seqs: 200, step: 6, set: 'fsl_train', loss: th },
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 1.6 },
    ] as unknown as MetricRow[];
    // loss exactly at 0.4 ln 2 is not below it: learned at 300, the first eval below
    expect(learningTimeFromRows(rows)).toEqual({ seqs: 300, learned: true });
    expect(learningTimeFromRows(rows.slice(1))).toEqual({ seqs: 200, learned: false });
  });
});

describe('spec 5.7 and 5.8 specs', () => {
  it('layerToOutputSpecs: the first layer ablated with patterns and values preserved; the last layer ablated', () => {
    expect(layerToOutputSpecs(3, 2)).toEqual({
      noL1Direct: { ablate: ['0:0', '0:1'], preserve: { patterns: true, values: true } },
      noL2: { ablate: ['2:0', '2:1'] },
    });
  });

  it('clampProgressSpecs: the copy spec keeps the IH under the match clamp, the others ablated', () => {
    expect(clampProgressSpecs({ pt: '0:1', ih: '2:0' }, 3)).toEqual({
      composite: { ablate: ['2:1', '2:2'], prevToken: { heads: ['0:1'], strength: 1 } },
      copy: { ablate: ['2:1', '2:2'], match: { heads: ['2:0'], strength: 1 } },
    });
  });
});

describe('progressCurve', () => {
  it('logs one line per checkpoint, and gives no strength count where every sequence has a strength', () => {
    const a = randomParams(61);
    const ev = evaluatorFor(randomParams(62), { size: 64, seed: 0 });
    const lines: string[] = [];
    const curve = progressCurve(ev, () => paramTensors(a), [0, 7], { clean: {} }, { heads: true, log: (m) => lines.push(m) });
    expect(lines).toEqual(['checkpoint 0 (1/2)', 'checkpoint 7 (2/2)']);
    expect(curve[0].strengthSequences).toBeUndefined();
    expect(curve[0].strength!.length).toBe(8);
    expect(curve[0].prevToken!.length).toBe(8);
    expect(curve[0].prevTokenAtLabels!.length).toBe(8);
    expect(Object.keys(curve[1].values)).toEqual(['clean']);
    // without heads: no head fields
    const plain = progressCurve(ev, () => paramTensors(a), [0], { clean: {} });
    expect(plain[0]).toEqual({ seqs: 0, values: { clean: curve[0].values.clean } });
  });

  it('layer→output reads only train rows with a numeric loss for the logged loss, and gives NaN without any', () => {
    const a = randomParams(63);
    const ev = evaluatorFor(a, { size: 64, seed: 0 });
    const rows = [
      { kind: 'train', seqs: 100, step: 3, loss: 3 },
      { kind: 'eval', seqs: 50, step: 1, set: 'fsl_train', loss: 100 },
      { kind: 'train', seqs: 60, step: 2, loss: 'NaN' },
      { kind: 'train', seqs: 0, step: 0, loss: 1 },
    ] as unknown as MetricRow[];
    const [p] = layerToOutputCurve(ev, () => paramTensors(a), [50], rows);
    expect(p.loggedTrainLoss).toBe(2);
    expect(p.dNoL1DirectVsLogged).toBeCloseTo(p.noL1Direct - 2, 12);
    expect(p.dNoL1Direct).toBeCloseTo(p.noL1Direct - p.clean, 12);
    expect(p.dNoL2).toBeCloseTo(p.noL2 - p.clean, 12);
    const [q] = layerToOutputCurve(ev, () => paramTensors(a), [50]);
    expect(q.loggedTrainLoss).toBeNaN();
    expect(q.clean).toBe(p.clean);
  });
});

describe('progressCurve and inductionStrengthCurve: heads', () => {
  it('the spec the strengths are taken under: a match-clamped head scores exactly 1', () => {
    const a = randomParams(64);
    const ev = evaluatorFor(randomParams(65), { size: 64, seed: 0 });
    const [clamped] = inductionStrengthCurve(ev, () => paramTensors(a), [0], { match: { heads: ['1:3'], strength: 1 } });
    expect(clamped.strength[3]).toBe(1);
    const [clean] = inductionStrengthCurve(ev, () => paramTensors(a), [0]);
    expect(clean.strength[3]).toBeLessThan(0.99);
    expect(clean.strengthSequences).toBeUndefined();
    expect('strengthSequences' in clean).toBe(false);
  });

  it('where some sequences have no strength, the count of those that have is given', () => {
    const set = denseSet(task, features, { size: 24, seed: 0 }, { numLabels: 5, kind: 'fewShot', shots: 3 });
    const T = set.batch.layout!.seqLen;
    // the first 10 targets moved to a label absent from the context
    for (let b = 0; b < 10; b++) {
      const present = [1, 3, 5].map((j) => tokenLabel(set.batch.layout!.tokens[b * T + j]));
      set.batch.target[b] = [0, 1, 2, 3].find((l) => !present.includes(l))!;
    }
    const a = randomParams(66);
    const ev = new DenseEvaluator(randomParams(67), set);
    const [p] = progressCurve(ev, () => paramTensors(a), [0], {}, { heads: true });
    expect(p.strengthSequences).toBe(14);
    const [s] = inductionStrengthCurve(ev, () => paramTensors(a), [0]);
    expect(s.strengthSequences).toBe(14);
  });

  it('a checkpoint whose tensors do not fit is refused naming its sequence count', () => {
    const ev = evaluatorFor(randomParams(68), { size: 16, seed: 0 });
    const bad = () => ({ 'unembed.bias': { shape: [3], data: new Float32Array(3) } });
    expect(() => progressCurve(ev, bad, [7], { clean: {} })).toThrow(/checkpoint 7/);
  });
});

describe('openAnalysisRun', () => {
  it('opens a run with its features, the chunk asked for, and the evaluator on the last checkpoint', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-progress-edges-')), 'run');
    const config = parseRunConfig({ backend: 'wasm', task: { classSplit: [6, 4, 10] }, schedule: { seqs: 64, evalEvery: 64, ckptEvery: 32, evalSize: 20 } });
    await train(config, { out, features });
    const ar = await openAnalysisRun(out, { size: 40, seed: 0, features, chunk: 16 });
    expect(ar.checkpoints).toEqual([0, 32, 64]);
    expect(ar.ev.chunk).toBe(16);
    expect(ar.ev.size).toBe(40);
    expect(ar.clamp).toEqual({ version: 1, ablate: [], perfectLayer1: false });
    const fresh = new DenseEvaluator(new ParamStore(createWasmBackend(), ar.ev.params.config), ar.ev.set);
    fresh.loadTensors(ar.load(64), 'checkpoint 64');
    expect(ar.ev.evaluate({}).loss).toBe(fresh.evaluate({}).loss);
    fresh.loadTensors(ar.load(32), 'checkpoint 32');
    expect(ar.ev.evaluate({}).loss).not.toBe(fresh.evaluate({}).loss);
  }, 60_000);
});
