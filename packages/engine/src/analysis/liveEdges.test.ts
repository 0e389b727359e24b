/**
 * The live per-checkpoint analysis (live.ts) on a tiny run (a 2-head model over a 12-class .npy feature
 * table, a few training steps), fast: the head scores are the engine's curve at that checkpoint, the mean
 * attention patterns are averaged here from a model built on the checkpoint, 'run' applies the run's clamp
 * and 'none' not, a changed run.json reopens the run, bad choices are refused word for word, and the worker
 * answers as the in-process service does (liveWorkerEdges.test.ts: the worker runs the built engine).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInterventions } from '../compileInterventions.js';
import { buildModel } from '../model.js';
import { RunDir } from '../store/runDir.js';
import { readSafetensors } from '../store/safetensors.js';
import { LIVE_CLAMPS, LIVE_DENSE_SIZE, LiveAnalysis, liveCodeKey } from './live.js';
import { inductionStrengthCurve, openAnalysisRun } from './progress.js';
import { tinyRun } from './testing/tinyRun.js';

const SIZE = 48;
let tmp = '';
let dir = '';
const CLAMP = { ablate: ['0:1'], prevToken: { heads: ['0:0'], strength: 1 } };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-live-edges-'));
  dir = await tinyRun(path.join(tmp, 'run'), { interventions: CLAMP }, 3);
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('LiveAnalysis', () => {
  it('info: the dense set, the model shape and the run clamp', async () => {
    const live = new LiveAnalysis(SIZE);
    const info = await live.info(dir);
    expect(info.nLayers).toBe(3);
    expect(info.nHeads).toBe(2);
    expect(info.clamp).toMatchObject(CLAMP);
    expect(info.denseSet).toMatch(new RegExp(`subsample ${SIZE}/`));
    expect(LIVE_DENSE_SIZE).toBe(1000);
    expect(LIVE_CLAMPS).toEqual(['run', 'none']);
  });

  it("head scores: the engine's curve at that checkpoint, under the run's clamp ('run') or none", async () => {
    const live = new LiveAnalysis(SIZE);
    const ar = await openAnalysisRun(dir, { size: SIZE });
    const cks = ar.checkpoints;
    expect(cks.length).toBeGreaterThanOrEqual(3);
    const run = RunDir.open(dir);
    const clamped = inductionStrengthCurve(ar.ev, ar.load, cks, CLAMP);
    const clean = inductionStrengthCurve(ar.ev, ar.load, cks);
    for (const [i, seqs] of cks.entries()) {
      expect(await live.headScores(dir, seqs, run.checkpointFile(seqs), 'run')).toEqual(clamped[i]);
      expect(await live.headScores(dir, seqs, run.checkpointFile(seqs), 'none')).toEqual(clean[i]);
    }
    expect(clamped.at(-1)).not.toEqual(clean.at(-1));
    const layered = inductionStrengthCurve(ar.ev, ar.load, [cks[0]], {}, { prevToken: 1, induction: 2 });
    expect(await live.headScores(dir, cks[0], run.checkpointFile(cks[0]), 'none', { prevToken: 1, induction: 2 })).toEqual(layered[0]);
    expect(layered[0]).not.toEqual(clean[0]);
    await expect(live.headScores(dir, cks[0], run.checkpointFile(cks[0]), 'none', { prevToken: 2, induction: 1 })).rejects.toThrow('layers.induction: layer 1 must come after the previous-token layer 2');
    await expect(live.headScores(dir, cks[0], run.checkpointFile(cks[0]), 'both' as never)).rejects.toThrow("clamp must be run or none, got 'both'");
  });

  it('attention: the mean pattern of every head of every layer, averaged here, clamped or not', async () => {
    const live = new LiveAnalysis(SIZE);
    const ar = await openAnalysisRun(dir, { size: SIZE });
    const run = RunDir.open(dir);
    const file = run.checkpointFile(ar.checkpoints.at(-1)!);
    const set = ar.ev.set;
    const T = 5;
    const mean = (spec: object) => {
      ar.ev.loadTensors(readSafetensors(file).tensors, file);
      const passes = compileInterventions(ar.ev.parse(spec), ar.ev.params, { positions: set.positions });
      const keep = ['blocks.0.attn.pattern', 'blocks.1.attn.pattern', 'blocks.2.attn.pattern'];
      const m = buildModel(ar.ev.params, { batch: set.batch.size, nItems: set.distribution.items.length, training: false, allPositions: true, passes, keep });
      m.setFeatures(set.distribution.itemFeatures);
      m.setBatch(set.batch);
      m.program.forward();
      const n = set.batch.size;
      return keep.flatMap((site) => {
        const A = m.program.read(site);
        return [0, 1].map((h) => Array.from({ length: T }, (_, q) => Array.from({ length: T }, (_, k) => {
          let s = 0;
          for (let b = 0; b < n; b++) s += A[((b * 2 + h) * T + q) * T + k];
          return s / n;
        })));
      });
    };
    for (const [clamp, spec] of [['run', CLAMP], ['none', {}]] as const) {
      const got = await live.attention(dir, file, clamp);
      expect(got.map((h) => h.head)).toEqual(['L1H0', 'L1H1', 'L2H0', 'L2H1', 'L3H0', 'L3H1']);
      const want = mean(spec);
      got.forEach((h, i) => h.pattern.forEach((row, q) => row.forEach((v, k) => expect(v, `${clamp} ${h.head} ${q} ${k}`).toBeCloseTo(want[i][q][k], 12))));
    }
    // the clamped L1H0 is the previous-token pattern
    const run0 = (await live.attention(dir, file, 'run'))[0].pattern;
    expect(run0[3]).toEqual([0, 0, 1, 0, 0]);
    expect((await live.attention(dir, file, 'none'))[0].pattern[3]).not.toEqual([0, 0, 1, 0, 0]);
    // another checkpoint through the same cached model
    const first = run.checkpointFile(ar.checkpoints[0]);
    expect(await live.attention(dir, first, 'none')).not.toEqual(await live.attention(dir, file, 'none'));
    await expect(live.attention(dir, file, 'all' as never)).rejects.toThrow("clamp must be run or none, got 'all'");
    await live.close();
  });

  it('a changed run.json config opens the run again; an unchanged one is kept', async () => {
    const copy = path.join(tmp, 'copy');
    fs.cpSync(dir, copy, { recursive: true });
    const live = new LiveAnalysis(SIZE);
    expect((await live.info(copy)).clamp).toMatchObject(CLAMP);
    const rd = RunDir.open(copy);
    const rec = rd.readRecord();
    rd.writeRecord({ ...rec, config: { ...rec.config, interventions: { ablate: ['1:1'] } } });
    const info = await live.info(copy);
    expect(info.clamp.ablate).toEqual(['1:1']);
    expect(info.clamp.prevToken).toBeUndefined();
    // concurrent first calls share one opening
    const other = new LiveAnalysis(SIZE);
    const [a, b] = await Promise.all([other.info(dir), other.info(dir)]);
    expect(a).toEqual(b);
  });

  it('liveCodeKey: 16 hex digits, the same on every call', () => {
    const k = liveCodeKey();
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(liveCodeKey()).toBe(k);
  });
});
