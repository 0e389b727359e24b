/**
 * trainInPage (browser/trainInPage.ts) on tiny runs of the wasm core, fast: the rows against train()'s
 * metrics.jsonl for the same config (every field but the wall clock), the head-score schedule, the
 * callbacks (progress, evals, pause acknowledgement), Stop, the learning time read off the rows here, and
 * the refusal of file features. browser.test.ts covers the paper-sized runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../backends/wasm.js';
import { parseRunConfig, type RunConfigInput } from '../config.js';
import { syntheticFeatures } from '../data/synthetic.js';
import { RunDir, type MetricRow } from '../store/runDir.js';
import { train } from '../train.js';
import { PauseGate, headPoints, trainInPage, type PageEval, type PageProgress } from './trainInPage.js';

const tiny = (over: RunConfigInput = {}): RunConfigInput => ({
  backend: 'wasm',
  model: { dModel: 16, nHeads: 2 },
  schedule: { seqs: 640, evalEvery: 160, ckptEvery: null, evalSize: 20 },
  optim: { batchSize: 16, lr: 1e-2 },
  ...over,
});

describe('trainInPage', () => {
  it('refuses file features it was not given', async () => {
    await expect(trainInPage({ data: { source: '/data/omniglot.h5' } }, { backend: createWasmBackend() })).rejects.toThrow(
      "config.data.source: '/data/omniglot.h5' is a file; a page trains on the synthetic features only (pass features to use others)",
    );
  });

  it('the same rows as train() for the same config, and the synthetic features of the config’s seed', async () => {
    const input = tiny({ data: { syntheticSeed: 3 } });
    const cfg = parseRunConfig(input);
    const features = syntheticFeatures({ seed: 3 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-page-'));
    try {
      await train(cfg, { out: path.join(dir, 'cli'), features });
      const cli = RunDir.open(path.join(dir, 'cli')).readMetrics();
      const page = await trainInPage(input, { backend: createWasmBackend() });
      const strip = (rows: MetricRow[]) => rows.map(({ wall_s: _w, ...r }) => r);
      expect(strip(page.rows)).toEqual(strip(cli));
      expect(page.features.description).toBe(features.description);
      expect(page.seqs).toBe(640);
      expect(page.steps).toBe(40);
      expect(page.stopped).toBe(false);
      expect(page.msPerStep).toBeGreaterThan(0);
      // the learning time, read off the fsl_train eval rows here: the first loss under 0.4·ln 2, else the last point
      const fsl = page.rows.filter((r) => r.kind === 'eval' && r.set === 'fsl_train');
      const hit = fsl.find((r) => Number(r.loss) < 0.4 * Math.LN2);
      expect(page.learned).toBe(hit !== undefined);
      expect(page.learningTime).toBe(hit ? hit.seqs : fsl.at(-1)!.seqs);
      expect(page.config).toEqual(cfg);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('head scores at 0, at the first eval point past each multiple of headEvery, and at the end', async () => {
    const evals: PageEval[] = [];
    const run = await trainInPage(tiny({ schedule: { seqs: 800, evalEvery: 160, ckptEvery: null, evalSize: 20 } }), {
      backend: createWasmBackend(),
      headEvery: 300,
      onEval: (e) => evals.push(e),
    });
    expect(evals.map((e) => e.seqs)).toEqual([0, 160, 320, 480, 640, 800]);
    // 0, then ≥ 300 (320), ≥ 600 (640), and the final point 800
    expect(evals.filter((e) => e.heads).map((e) => e.seqs)).toEqual([0, 320, 640, 800]);
    expect(run.heads.map((h) => h.seqs)).toEqual([0, 0, 320, 320, 640, 640, 800, 800]);
    expect(run.heads.filter((h) => h.seqs === 0).map((h) => h.head)).toEqual(['L2H0', 'L2H1']);
    for (const e of evals) {
      expect(e.rows.filter((r) => r.kind === 'eval').map((r) => r.set)).toEqual(['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class']);
      expect(Object.keys(e.metrics).sort()).toEqual(['fsl_test_class', 'fsl_train', 'fsl_train_valex', 'fsl_val_rl']);
      expect(e.step).toBe(e.seqs / 16);
      for (const r of e.rows) expect(run.rows).toContain(r);
    }
    for (const h of run.heads) expect(Number.isFinite(h.value)).toBe(true);
  }, 60_000);

  it('the default head schedule: every max(evalEvery, 5000) sequences', async () => {
    const evals: PageEval[] = [];
    await trainInPage(tiny({ schedule: { seqs: 640, evalEvery: 160, ckptEvery: null, evalSize: 20 } }), { backend: createWasmBackend(), onEval: (e) => evals.push(e) });
    expect(evals.filter((e) => e.heads).map((e) => e.seqs)).toEqual([0, 640]);
  }, 60_000);

  it('progress at every slice and at the end; a pause is acknowledged, then resumed; Stop ends with a final eval', async () => {
    const gate = new PauseGate();
    expect(gate.paused).toBe(false);
    await gate.wait(); // not paused: at once
    const ac = new AbortController();
    const progress: PageProgress[] = [];
    const paused: PageProgress[] = [];
    const evals: number[] = [];
    const run = await trainInPage(tiny({ schedule: { seqs: 6400, evalEvery: 320, ckptEvery: null, evalSize: 20 } }), {
      backend: createWasmBackend(),
      yieldMs: 0, // a slice after every step
      pause: gate,
      signal: ac.signal,
      onEval: (e) => evals.push(e.seqs),
      onProgress: (p) => {
        progress.push(p);
        if (p.step === 3) {
          gate.pause();
          setTimeout(() => gate.resume(), 50);
        }
        if (p.step === 30) ac.abort();
      },
      onPaused: (p) => paused.push(p),
    });
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ seqs: 48, step: 3, total: 6400, seqsPerSec: 0 });
    expect(gate.paused).toBe(false);
    expect(run.stopped).toBe(true);
    expect(run.seqs).toBe(480);
    expect(run.steps).toBe(30);
    expect(evals).toEqual([0, 320, 480]);
    // one progress report per step, then the final one
    expect(progress.map((p) => p.step)).toEqual([...Array.from({ length: 30 }, (_, i) => i + 1), 30]);
    expect(progress.every((p) => p.total === 6400 && p.seqs === p.step * 16)).toBe(true);
    expect(progress.at(-1)!.seqsPerSec).toBe(0);
    expect(progress[5].seqsPerSec).toBeGreaterThan(0);
    expect(Number.isFinite(progress[5].loss)).toBe(true);
  }, 60_000);

  it('headPoints: last-layer names, one point per head', () => {
    expect(headPoints(100, { induction: [0.5, 0.25, 1] } as never, 3)).toEqual([
      { seqs: 100, head: 'L3H0', value: 0.5 },
      { seqs: 100, head: 'L3H1', value: 0.25 },
      { seqs: 100, head: 'L3H2', value: 1 },
    ]);
  });
});
