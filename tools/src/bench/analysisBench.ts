/**
 * `opto bench --analysis` (issue 6 budget): the wiring matrix of one checkpoint (spec 5.6: 8 + 4·64 = 264
 * manipulated evaluations plus the weight-only composition scores) must take < 30 s, and a clamp-based
 * progress curve over 100 checkpoints (spec 5.8) < 2 min. Both on the default dense subsample (4,000
 * stratified sequences of the 78,400-sequence finite training set) on the wasm backend. The checkpoints
 * come from a short run trained here (3,200 sequences, a checkpoint every 32: 101 checkpoints).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  clampProgressSpecs,
  compositionScores,
  openAnalysisRun,
  parseRunConfig,
  pickCheckpoints,
  progressCurve,
  train,
  wiringMatrices,
} from '@optoscope/engine';

export interface AnalysisBenchResult {
  denseSet: string;
  checkpoints: number;
  trainSeconds: number;
  wiringSeconds: number;
  wiringBudgetSeconds: number;
  progressSeconds: number;
  progressBudgetSeconds: number;
  progressCheckpoints: number;
  withinBudget: boolean;
}

export async function benchAnalysis(o: { dir?: string; size?: number | 'all'; log?: (s: string) => void } = {}): Promise<AnalysisBenchResult> {
  const root = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'opto-bench-analysis-'));
  const out = path.join(root, 'run');
  let t0 = performance.now();
  o.log?.('training a 3,200-sequence run with 101 checkpoints...');
  await train(parseRunConfig({ backend: 'wasm', schedule: { seqs: 3200, evalEvery: 3200, ckptEvery: 32, evalSize: 100 } }), { out });
  const trainSeconds = (performance.now() - t0) / 1000;

  const ar = await openAnalysisRun(out, { size: o.size });
  o.log?.(`dense set: ${ar.ev.set.description}`);
  t0 = performance.now();
  wiringMatrices(ar.ev);
  compositionScores(ar.ev.params);
  const wiringSeconds = (performance.now() - t0) / 1000;
  o.log?.(`wiring matrix: ${wiringSeconds.toFixed(2)} s`);

  const picked = pickCheckpoints(ar.checkpoints, 100);
  const { copy } = clampProgressSpecs({ pt: '0:2', ih: '1:3' }, ar.ev.params.config.nHeads);
  t0 = performance.now();
  progressCurve(ar.ev, ar.load, picked, { copy });
  const progressSeconds = (performance.now() - t0) / 1000;
  o.log?.(`clamp progress curve over ${picked.length} checkpoints: ${progressSeconds.toFixed(2)} s`);
  if (!o.dir) fs.rmSync(root, { recursive: true, force: true });
  return {
    denseSet: ar.ev.set.description,
    checkpoints: ar.checkpoints.length,
    trainSeconds,
    wiringSeconds,
    wiringBudgetSeconds: 30,
    progressSeconds,
    progressBudgetSeconds: 120,
    progressCheckpoints: picked.length,
    withinBudget: wiringSeconds < 30 && progressSeconds < 120,
  };
}

export function formatAnalysisBench(r: AnalysisBenchResult): string {
  return [
    `dense set: ${r.denseSet}`,
    `wiring matrix (264 evaluations + composition scores): ${r.wiringSeconds.toFixed(2)} s (budget ${r.wiringBudgetSeconds} s) ${r.wiringSeconds < r.wiringBudgetSeconds ? 'ok' : 'OVER'}`,
    `clamp progress curve, ${r.progressCheckpoints} checkpoints: ${r.progressSeconds.toFixed(2)} s (budget ${r.progressBudgetSeconds} s) ${r.progressSeconds < r.progressBudgetSeconds ? 'ok' : 'OVER'}`,
  ].join('\n');
}
