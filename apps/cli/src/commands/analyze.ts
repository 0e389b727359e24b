/**
 * `opto analyze <run> --what …`: the analyses of spec 5 on a run's checkpoints, evaluated on the dense
 * training set (a seeded stratified subsample of the 78,400 sequences by default; `--size all` for every
 * one). Each result is stored atomically as `<run>/analysis/<what>.json` and summarised on stdout.
 */
import type { Command } from 'commander';
import {
  ablationVsStrength,
  additivityPanels,
  compositionScores,
  inductionStrengthCurve,
  layerToOutputCurve,
  openAnalysisRun,
  pickCheckpoints,
  progressCurve,
  redundancy,
  wiringMatrices,
  storeAnalysis,
  type AblationVsStrength,
  type AnalysisRun,
} from '@optoscope/engine';
import { nonNegativeInt, oneOf, positiveInt, sizeOrAll } from '../args.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';

const WHAT = ['strength', 'ablation', 'redundancy', 'additivity', 'wiring', 'layer-output', 'progress'] as const;
type What = (typeof WHAT)[number];

interface AnalyzeFlags extends ClampFlags {
  what: What;
  size?: number | 'all';
  checkpoint?: number;
  checkpoints: number;
  json?: boolean;
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('spec 5 analyses of a run (stored in <run>/analysis/<what>.json)')
    .argument('<run>', 'run directory')
    .requiredOption('--what <analysis>', WHAT.join(' | '), oneOf(...WHAT))
    .option('--size <n|all>', 'dense-set subsample size (default 4000; all = 78,400)', sizeOrAll)
    .option('--checkpoint <seqs>', 'checkpoint for single-checkpoint analyses (default the last)', nonNegativeInt)
    .option('--checkpoints <n>', 'checkpoints for curves (strength, layer-output, progress), evenly spaced', positiveInt, 100)
    .option('--json', 'print the stored result as one JSON line');
  addClampOptions(cmd).action(async (dir: string, f: AnalyzeFlags) => {
    const log = (s: string) => process.stderr.write(s + '\n');
    const a = await openAnalysisRun(dir, { size: f.size });
    if (!a.checkpoints.length) throw new Error(`${dir}: no checkpoints saved yet`);
    if (f.checkpoint !== undefined) {
      if (!a.checkpoints.includes(f.checkpoint)) throw new Error(`${dir}: no checkpoint at ${f.checkpoint} sequences`);
      a.ev.loadTensors(a.load(f.checkpoint), a.run.checkpointFile(f.checkpoint));
    }
    const at = f.checkpoint ?? a.checkpoints[a.checkpoints.length - 1];
    const curve = pickCheckpoints(a.checkpoints, f.checkpoints);
    const result = run(a, f, curve, log);
    const { file, stored } = storeAnalysis(a, f.what, at, result);
    log(`stored ${file}`);
    process.stdout.write(f.json ? JSON.stringify(stored) + '\n' : summarize(f.what, result) + '\n');
  });
}

function run(a: AnalysisRun, f: AnalyzeFlags, curve: number[], log: (s: string) => void): unknown {
  const ev = a.ev;
  switch (f.what) {
    case 'strength':
      return inductionStrengthCurve(ev, a.load, curve);
    case 'ablation':
      return ablationVsStrength(ev);
    case 'redundancy':
      return { computed: redundancy(ev), perfectMatch: redundancy(ev, { perfectMatch: true }) };
    case 'additivity':
      return additivityPanels(ev);
    case 'wiring':
      return { matrices: wiringMatrices(ev, { log }), composition: compositionScores(ev.params) };
    case 'layer-output':
      return layerToOutputCurve(ev, a.load, curve, a.run.readMetrics());
    case 'progress': {
      const spec = clampSpec(f, undefined, a.ev.params.config);
      if (!spec) throw new Error('--what progress needs a spec: --clamp spec.json or a shorthand such as --ih-clamp 1:3');
      return progressCurve(ev, a.load, curve, { clamped: spec }, { log });
    }
  }
}

function summarize(what: What, r: unknown): string {
  const fmt = (xs: readonly number[]) => xs.map((x) => x.toFixed(3)).join(' ');
  if (what === 'strength') {
    const pts = r as { seqs: number; strength: number[] }[];
    return pts.filter((_, i) => i % Math.max(1, Math.floor(pts.length / 10)) === 0 || i === pts.length - 1).map((p) => `${String(p.seqs).padStart(9)}  ${fmt(p.strength)}`).join('\n');
  }
  if (what === 'ablation') {
    const x = r as AblationVsStrength;
    return [
      `unablated: loss ${x.full.loss.toFixed(4)}, acc ${x.full.acc.toFixed(4)}`,
      'head  strength  acc(ablate only h)  acc(only h active)',
      ...x.strength.map((s, h) => `${String(h).padStart(4)}  ${s.toFixed(3).padStart(8)}  ${x.ablateOne[h].acc.toFixed(4).padStart(18)}  ${x.onlyOne[h].acc.toFixed(4).padStart(18)}`),
    ].join('\n');
  }
  return JSON.stringify(r).slice(0, 2000);
}
