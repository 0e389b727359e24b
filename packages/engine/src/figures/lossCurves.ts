/** Training curves: loss per eval set (Fig. 3a) and one eval set across runs (Figs. 4b, 5b, 6, 7, 8, 17). */
import type { MetricRow } from '../store/runDir.js';
import { LEARNED_LOSS } from '../metrics.js';
import { LN2, evalPoints, evalSetLabel, figTitle, refLineLayers, seqsAxis, topLevel, type RefLine, type TopLevelSpec } from './common.js';

/** Fig. 3a's sets, in legend order. */
export const DEFAULT_LOSS_SETS = ['fsl_train', 'fsl_test_class', 'fsl_val_rl'] as const;

export interface LossCurvesOptions {
  title?: string;
  subtitle?: string;
  /** Eval sets to draw, in legend order (default: train, test (exemplars), test (relabel); those present). */
  sets?: readonly string[];
  /** Metric column of the eval rows (default 'loss'). */
  metric?: string;
  /** y-axis title (default: 'mean loss' for loss, else the metric name). */
  yTitle?: string;
  /** Draw the dashed ln 2 line (default: true for the loss). */
  ln2?: boolean;
  /** Number of labels L: also draws a dashed ln L line (the uniform-guess loss). */
  numLabels?: number;
  /** Only points with seqs ≤ xMax. */
  xMax?: number;
  width?: number;
  height?: number;
}

function lossRefLines(metric: string, ln2: boolean | undefined, numLabels: number | undefined): RefLine[] {
  const lines: RefLine[] = [];
  if (ln2 ?? metric === 'loss') lines.push({ y: LN2, label: 'ln 2' });
  if (numLabels !== undefined && numLabels > 2) lines.push({ y: Math.log(numLabels), label: `ln ${numLabels}` });
  return lines;
}

/** Fig. 3a: mean loss against # sequences seen, one line per eval set, dashed ln 2 (and ln L). */
export function lossCurvesSpec(rows: readonly MetricRow[], opts: LossCurvesOptions = {}): TopLevelSpec {
  const metric = opts.metric ?? 'loss';
  const wanted = opts.sets ?? DEFAULT_LOSS_SETS;
  let pts = evalPoints(rows, metric, wanted);
  if (opts.xMax !== undefined) pts = pts.filter((p) => p.seqs <= opts.xMax!);
  const present = wanted.filter((s) => pts.some((p) => p.set === s));
  const values = pts.map((p) => ({ seqs: p.seqs, value: p.value, series: evalSetLabel(p.set) }));
  return topLevel(
    {
      title: figTitle(opts.title ?? (metric === 'loss' ? 'Loss during training' : `${metric} during training`), opts.subtitle),
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2.25, clip: true },
          encoding: {
            x: { field: 'seqs', type: 'quantitative', axis: seqsAxis(), ...(opts.xMax !== undefined ? { scale: { domain: [0, opts.xMax] } } : {}) },
            y: { field: 'value', type: 'quantitative', title: opts.yTitle ?? (metric === 'loss' ? 'mean loss' : metric), scale: { zero: true } },
            color: { field: 'series', type: 'nominal', title: 'eval set', sort: present.map(evalSetLabel), legend: { orient: 'right' } },
          },
        },
        ...refLineLayers(lossRefLines(metric, opts.ln2, opts.numLabels)),
      ],
    },
    { width: opts.width, height: opts.height },
  );
}

/** One run's curve in a comparison. */
export interface RunSeries {
  /** Legend text, e.g. "only L2H3", "All", "match". */
  label: string;
  rows: readonly MetricRow[];
}

export interface RunComparisonOptions {
  title?: string;
  subtitle?: string;
  /** Eval set (default 'fsl_train'). */
  set?: string;
  metric?: string;
  yTitle?: string;
  /** Legend title (default 'run'). */
  legendTitle?: string;
  ln2?: boolean;
  numLabels?: number;
  xMax?: number;
  /** Dashed line at the learning-time threshold 0.4·ln 2 (spec 5.9). */
  learningThreshold?: boolean;
  width?: number;
  height?: number;
}

/** Figs. 4b / 5b / 6: one eval set's loss (default `fsl_train`) for several runs, one line per run, legend = run label. */
export function runComparisonSpec(runs: readonly RunSeries[], opts: RunComparisonOptions = {}): TopLevelSpec {
  const metric = opts.metric ?? 'loss';
  const set = opts.set ?? 'fsl_train';
  const values: { seqs: number; value: number; series: string }[] = [];
  for (const run of runs) {
    for (const p of evalPoints(run.rows, metric, [set])) {
      if (opts.xMax !== undefined && p.seqs > opts.xMax) continue;
      values.push({ seqs: p.seqs, value: p.value, series: run.label });
    }
  }
  const refs = lossRefLines(metric, opts.ln2, opts.numLabels);
  if (opts.learningThreshold) refs.push({ y: LEARNED_LOSS, label: '0.4·ln 2' });
  const labels = runs.map((r) => r.label);
  return topLevel(
    {
      title: figTitle(opts.title ?? `${evalSetLabel(set)} ${metric} by ${opts.legendTitle ?? 'run'}`, opts.subtitle),
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2, clip: true },
          encoding: {
            x: { field: 'seqs', type: 'quantitative', axis: seqsAxis(), ...(opts.xMax !== undefined ? { scale: { domain: [0, opts.xMax] } } : {}) },
            y: { field: 'value', type: 'quantitative', title: opts.yTitle ?? `${evalSetLabel(set)} ${metric === 'loss' ? 'loss' : metric}`, scale: { zero: true } },
            color: {
              field: 'series',
              type: 'nominal',
              title: opts.legendTitle ?? 'run',
              sort: labels,
              scale: { scheme: labels.length > 10 ? 'category20' : 'tableau10' },
              legend: { orient: 'right' },
            },
          },
        },
        ...refLineLayers(refs),
      ],
    },
    { width: opts.width, height: opts.height },
  );
}
