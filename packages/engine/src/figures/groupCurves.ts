/**
 * A sweep read the way the paper's figures read: one line per condition, the mean over its seeds with a
 * band (standard deviation or min to max), on linear or log axes, optionally smoothed with TensorBoard's
 * debiased EMA (the raw mean faint behind), x in sequences seen or wall time. The points come aggregated
 * from the run store (store/aggregate.ts); `groupCurveRows` is also what the page exports as CSV.
 */
import type { AggregatePoint } from '../store/aggregate.js';
import { figTitle, refLineLayers, seqsAxis, topLevel, type RefLine, type TopLevelSpec } from './common.js';
import { emaSmooth } from './smoothing.js';

/** One aggregated point of a group (x, mean, std, min, max, members present), as the run store answers it. */
export type GroupPoint = Omit<AggregatePoint, 'group'>;

export interface GroupSeries {
  /** Legend text ("1, 2, 3qk, 4 (match)", "labels=10, no clamp (3 of 5 seeds)"). */
  label: string;
  points: readonly GroupPoint[];
}

export interface AxisOptions {
  logX?: boolean;
  logY?: boolean;
  /** x is sequences seen (default) or wall seconds. */
  x?: 'seqs' | 'wall_s';
  /** TensorBoard smoothing weight in [0, 0.99]; 0 = none. */
  smoothing?: number;
}

export interface GroupCurvesOptions extends AxisOptions {
  title?: string;
  subtitle?: string;
  yTitle?: string;
  legendTitle?: string;
  /** Band: ±1 standard deviation (default) or min to max over the seeds. */
  band?: 'std' | 'minmax';
  refs?: readonly RefLine[];
  width?: number;
  height?: number;
}

/** One row per group and bucket: the aggregate, the band drawn, and the smoothed mean (what the CSV holds). */
export interface GroupCurveRow extends GroupPoint {
  group: string;
  /** The band drawn (smoothed with the line). */
  lo: number;
  hi: number;
  smoothed: number;
}

export function groupCurveRows(series: readonly GroupSeries[], opts: Pick<GroupCurvesOptions, 'band' | 'smoothing'> = {}): GroupCurveRow[] {
  const w = opts.smoothing ?? 0;
  return series.flatMap((s) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const lo = pts.map((p) => (opts.band === 'minmax' ? p.min : p.mean - p.std));
    const hi = pts.map((p) => (opts.band === 'minmax' ? p.max : p.mean + p.std));
    // The band is smoothed with the line, so it stays around what is drawn.
    const [sm, slo, shi] = [pts.map((p) => p.mean), lo, hi].map((v) => emaSmooth(v, w));
    return pts.map((p, i) => ({ group: s.label, x: p.x, mean: p.mean, std: p.std, min: p.min, max: p.max, n: p.n, lo: slo![i]!, hi: shi![i]!, smoothed: sm![i]! }));
  });
}

/** The x and y scales and axes of every curve on the dashboard (linear or log, sequences or wall time). */
export function curveAxes(o: AxisOptions, yTitle: string, zeroY = true): { x: Record<string, unknown>; y: Record<string, unknown> } {
  const wall = o.x === 'wall_s';
  return {
    x: {
      type: 'quantitative',
      axis: wall ? { title: 'wall time (s)', tickCount: 6 } : seqsAxis(),
      scale: o.logX ? { type: 'log' } : { zero: !wall || undefined },
    },
    y: { type: 'quantitative', title: yTitle, scale: o.logY ? { type: 'log' } : { zero: zeroY } },
  };
}

/** Log axes cannot show x ≤ 0 or y ≤ 0: those points are left out (the CSV keeps them). */
export const onLogAxes = (o: AxisOptions, x: number, y: number): boolean => (!o.logX || x > 0) && (!o.logY || y > 0);

export function groupCurvesSpec(series: readonly GroupSeries[], opts: GroupCurvesOptions = {}): TopLevelSpec {
  const rows = groupCurveRows(series, opts).filter((r) => onLogAxes(opts, r.x, r.smoothed));
  const values = rows.map((r) => ({ ...r, lo: opts.logY && !(r.lo > 0) ? r.smoothed : r.lo }));
  const labels = series.map((s) => s.label);
  const { x, y } = curveAxes(opts, opts.yTitle ?? 'loss');
  const color = { field: 'group', type: 'nominal', title: opts.legendTitle ?? 'condition', sort: labels, scale: { scheme: labels.length > 10 ? 'category20' : 'tableau10' }, legend: { orient: 'right' } };
  const smoothing = (opts.smoothing ?? 0) > 0;
  const bandName = opts.band === 'minmax' ? 'min to max' : '±1 std';
  return topLevel(
    {
      title: figTitle(opts.title ?? `${opts.yTitle ?? 'loss'} by ${opts.legendTitle ?? 'condition'}`, opts.subtitle ?? `mean over seeds, band ${bandName}${smoothing ? `; smoothed (EMA ${opts.smoothing}), raw mean faint` : ''}`),
      layer: [
        {
          data: { values },
          // Each layer its own colour scale (same domain and scheme, so the same colours) and legend: the band
          // and the raw line stay out of the legend, which is the drawn lines'.
          resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
          layer: [
            {
              mark: { type: 'area', opacity: 0.18, clip: true },
              encoding: { x: { field: 'x', ...x }, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color: { ...color, legend: null } },
            },
            ...(smoothing
              ? [{ mark: { type: 'line', strokeWidth: 1.25, opacity: 0.3, clip: true }, encoding: { x: { field: 'x', ...x }, y: { field: 'mean', ...y }, color: { ...color, legend: null } } }]
              : []),
            {
              mark: { type: 'line', strokeWidth: 2.25, clip: true },
              encoding: {
                x: { field: 'x', ...x },
                y: { field: 'smoothed', ...y },
                color,
                tooltip: [{ field: 'group', title: opts.legendTitle ?? 'condition' }, { field: 'x', format: ',' }, { field: 'mean', format: '.4f' }, { field: 'std', format: '.4f' }, { field: 'n', title: 'seeds here' }],
              },
            },
          ],
        },
        ...refLineLayers((opts.refs ?? []).filter((r) => !opts.logY || r.y > 0)),
      ],
    },
    { width: opts.width, height: opts.height },
  );
}

/** Per-run learning times of one group (Fig. 6 style: mean ± std, each seed a point). */
export interface GroupLearningTimes {
  label: string;
  seeds: readonly { run: string; seqs: number; learned: boolean }[];
}

export interface GroupLearningTimeRow {
  group: string;
  mean: number;
  std: number;
  n: number;
  learned: number;
}

/** Mean and sample std (n − 1; 0 for one seed) of each group's learning times, not-learned seeds counted at their last eval. */
export function groupLearningTimeRows(groups: readonly GroupLearningTimes[]): GroupLearningTimeRow[] {
  return groups
    .filter((g) => g.seeds.length)
    .map((g) => {
      const xs = g.seeds.map((s) => s.seqs);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
      return { group: g.label, mean, std, n: xs.length, learned: g.seeds.filter((s) => s.learned).length };
    });
}

export function groupLearningTimeSpec(groups: readonly GroupLearningTimes[], opts: { logY?: boolean; legendTitle?: string; width?: number; height?: number } = {}): TopLevelSpec {
  const agg = groupLearningTimeRows(groups).map((r) => ({ ...r, lo: opts.logY ? Math.max(r.mean - r.std, r.mean / 10) : r.mean - r.std, hi: r.mean + r.std }));
  const seeds = groups.flatMap((g) => g.seeds.map((s) => ({ group: g.label, run: s.run, seqs: s.seqs, learned: s.learned ? 'learned' : 'not learned (last eval)' })));
  const labels = groups.map((g) => g.label);
  const x = { field: 'group', type: 'nominal', title: opts.legendTitle ?? 'condition', sort: labels, axis: { labelAngle: -20, labelLimit: 200 } };
  const yScale = opts.logY ? { type: 'log' } : { zero: true };
  const y = { type: 'quantitative', title: 'learning time (# sequences)', axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" }, scale: yScale };
  const color = { field: 'group', type: 'nominal', sort: labels, legend: null, scale: { scheme: labels.length > 10 ? 'category20' : 'tableau10' } };
  return topLevel(
    {
      title: figTitle('Learning time per condition', 'mean ± std over seeds (bar), each seed a point; hollow: not learned by its last eval'),
      layer: [
        { data: { values: agg }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color } },
        { data: { values: agg }, mark: { type: 'tick', thickness: 3, size: 26 }, encoding: { x, y: { field: 'mean', ...y }, color, tooltip: [{ field: 'group' }, { field: 'mean', format: ',.0f' }, { field: 'std', format: ',.0f' }, { field: 'n', title: 'seeds' }] } },
        ...[true, false].map((learned) => ({
          data: { values: seeds },
          transform: [{ filter: `datum.learned ${learned ? '===' : '!=='} 'learned'` }],
          mark: { type: 'point', size: 60, strokeWidth: 1.5, opacity: 0.9, filled: learned, ...(learned ? {} : { fill: 'white' }) },
          encoding: { x, xOffset: { field: 'run', type: 'nominal' }, y: { field: 'seqs', ...y }, color, tooltip: [{ field: 'run' }, { field: 'seqs', format: ',' }, { field: 'learned' }] },
        })),
      ],
    },
    { width: opts.width ?? 420, height: opts.height },
  );
}
