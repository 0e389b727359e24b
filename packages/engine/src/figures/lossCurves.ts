/**
 * Training curves: loss per eval set (Fig. 3a), the train window's loss and gradient norm, and one eval set
 * across runs (Figs. 4b, 5b, 6, 7, 8, 17). A run's curves take the dashboard's axis options: log x or y,
 * x by wall time (rows' `wall_s`), TensorBoard smoothing with the raw line faint behind.
 */
import type { MetricRow } from '../store/runDir.js';
import { LEARNED_LOSS } from '../metrics.js';
import { LN2, evalPoints, evalSetLabel, figTitle, refLineLayers, seqsAxis, topLevel, type RefLine, type TopLevelSpec } from './common.js';
import { curveAxes, onLogAxes, type AxisOptions } from './groupCurves.js';
import { emaSmooth } from './smoothing.js';

/** Fig. 3a's sets, in legend order. */
export const DEFAULT_LOSS_SETS = ['fsl_train', 'fsl_test_class', 'fsl_val_rl'] as const;

export interface LossCurvesOptions extends AxisOptions {
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

/** Points of several series with x, smoothed per series (in x order) when `smoothing` > 0. */
function seriesValues<P extends { x: number; value: number; series: string }>(pts: readonly P[], o: AxisOptions): (P & { smoothed: number })[] {
  const by = new Map<string, P[]>();
  for (const p of pts) by.set(p.series, [...(by.get(p.series) ?? []), p]);
  return [...by.values()].flatMap((ps) => {
    const sorted = [...ps].sort((a, b) => a.x - b.x);
    const sm = emaSmooth(sorted.map((p) => p.value), o.smoothing ?? 0);
    return sorted.map((p, i) => ({ ...p, smoothed: sm[i]! })).filter((p) => onLogAxes(o, p.x, p.smoothed));
  });
}

/** A line per series (the smoothed one when smoothing, over the raw one drawn faint). */
function seriesLayers(values: readonly object[], o: AxisOptions, yTitle: string, color: Record<string, unknown>, xExtra: Record<string, unknown> = {}): Record<string, unknown>[] {
  const { x, y } = curveAxes(o, yTitle);
  const smoothing = (o.smoothing ?? 0) > 0;
  const xEnc = { field: 'x', ...x, ...xExtra };
  return [
    ...(smoothing ? [{ data: { values }, mark: { type: 'line', strokeWidth: 1.25, opacity: 0.28, clip: true }, encoding: { x: xEnc, y: { field: 'value', ...y }, color: { ...color, legend: null } } }] : []),
    { data: { values }, mark: { type: 'line', strokeWidth: 2.25, clip: true }, encoding: { x: xEnc, y: { field: smoothing ? 'smoothed' : 'value', ...y }, color } },
  ];
}

/** x of a metric row: sequences seen, or wall seconds (rows without `wall_s` are left out). */
const rowX = (r: MetricRow, o: AxisOptions): number | null => (o.x === 'wall_s' ? (typeof r.wall_s === 'number' ? r.wall_s : null) : r.seqs);

/** Fig. 3a: mean loss against # sequences seen, one line per eval set, dashed ln 2 (and ln L). */
export function lossCurvesSpec(rows: readonly MetricRow[], opts: LossCurvesOptions = {}): TopLevelSpec {
  const metric = opts.metric ?? 'loss';
  const wanted = opts.sets ?? DEFAULT_LOSS_SETS;
  const points: { x: number; value: number; series: string; set: string }[] = [];
  for (const r of rows) {
    const v = r[metric];
    const x = rowX(r, opts);
    if (r.kind !== 'eval' || typeof r.set !== 'string' || !wanted.includes(r.set) || typeof v !== 'number' || !Number.isFinite(v) || x === null) continue;
    if (opts.xMax !== undefined && r.seqs > opts.xMax) continue;
    points.push({ x, value: v, series: evalSetLabel(r.set), set: r.set });
  }
  const present = wanted.filter((s) => points.some((p) => p.set === s));
  const values = seriesValues(points, opts);
  const yTitle = opts.yTitle ?? (metric === 'loss' ? 'mean loss' : metric);
  const color = { field: 'series', type: 'nominal', title: 'eval set', sort: present.map(evalSetLabel), legend: { orient: 'right' } };
  const xDomain = opts.xMax !== undefined && opts.x !== 'wall_s' ? { scale: { ...(opts.logX ? { type: 'log' } : {}), domain: [opts.logX ? 1 : 0, opts.xMax] } } : {};
  return topLevel(
    {
      title: figTitle(opts.title ?? (metric === 'loss' ? 'Loss during training' : `${metric} during training`), opts.subtitle),
      // The raw line its own colour scale (same colours) and no legend: the legend is the drawn lines'.
      resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
      layer: [...seriesLayers(values, opts, yTitle, color, xDomain), ...refLineLayers(lossRefLines(metric, opts.ln2, opts.numLabels).filter((r) => !opts.logY || r.y > 0))],
    },
    { width: opts.width, height: opts.height },
  );
}

export interface TrainWindowOptions extends AxisOptions {
  title?: string;
  subtitle?: string;
  width?: number;
  height?: number;
}

/**
 * The train window's means that every run logs at each eval point (`kind: "train"` rows): the training
 * loss over the steps since the previous eval, and the gradient norm, one figure each (their scales differ).
 */
export function trainWindowSpec(rows: readonly MetricRow[], metric: 'loss' | 'grad_norm', opts: TrainWindowOptions = {}): TopLevelSpec {
  const label = metric === 'loss' ? 'train-window loss' : 'gradient norm';
  const points = rows.flatMap((r) => {
    const x = rowX(r, opts);
    const v = r[metric];
    return r.kind === 'train' && x !== null && typeof v === 'number' && Number.isFinite(v) ? [{ x, value: v, series: label }] : [];
  });
  const values = seriesValues(points, opts);
  const color = { field: 'series', type: 'nominal', title: null, scale: { range: [metric === 'loss' ? '#4c78a8' : '#e45756'] }, legend: null };
  return topLevel(
    {
      title: figTitle(opts.title ?? (metric === 'loss' ? 'Training loss (train window)' : 'Gradient norm'), opts.subtitle ?? 'mean over the steps since the previous eval point'),
      layer: [...seriesLayers(values, opts, metric === 'loss' ? 'mean train loss' : 'mean gradient norm', color), ...(metric === 'loss' ? refLineLayers([{ y: LN2, label: 'ln 2' }]) : [])],
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
