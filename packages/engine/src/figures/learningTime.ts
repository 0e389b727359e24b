/**
 * Fig. 6: learning time (spec 5.9: first eval with fsl_train loss < 0.4·ln 2) against the number of
 * output labels or of training classes, one line per value of the other variable (or per condition),
 * with runs that never learned drawn hollow at their last eval.
 */
import { figTitle, topLevel, type TopLevelSpec } from './common.js';

export interface LearningTimePoint {
  /** The x variable: # labels or # classes. */
  x: number;
  /** Learning time in sequences. */
  seqs: number;
  learned: boolean;
  /** Line / colour: e.g. "50 classes", "L = 5" or a clamp condition. */
  group: string;
  /** Run id (tooltip). */
  run?: string;
}

export interface LearningTimeOptions {
  title?: string;
  subtitle?: string;
  /** x-axis title (default '# labels'). */
  xTitle?: string;
  /** Legend title (default 'group'). */
  legendTitle?: string;
  /** Log-scale y (learning times span orders of magnitude across settings). */
  logY?: boolean;
  width?: number;
  height?: number;
}

export function learningTimeSpec(points: readonly LearningTimePoint[], opts: LearningTimeOptions = {}): TopLevelSpec {
  const values = [...points]
    .sort((a, b) => a.x - b.x)
    .map((p) => ({ x: p.x, seqs: p.seqs, learned: p.learned ? 'learned' : 'not learned (last eval)', group: p.group, run: p.run ?? '' }));
  const groups = [...new Set(values.map((v) => v.group))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const xs = [...new Set(values.map((v) => v.x))].sort((a, b) => a - b);
  const x = { field: 'x', type: 'quantitative', title: opts.xTitle ?? '# labels', axis: { values: xs, format: 'd' }, scale: { zero: false, padding: 16 } };
  const y = {
    field: 'seqs',
    type: 'quantitative',
    title: 'learning time (# sequences)',
    axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" },
    scale: opts.logY ? { type: 'log' } : { zero: true },
  };
  const color = { field: 'group', type: 'nominal', title: opts.legendTitle ?? 'group', sort: groups, scale: { scheme: groups.length > 10 ? 'category20' : 'tableau10' } };
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Learning time', opts.subtitle ?? 'first eval with train loss < 0.4·ln 2; hollow: not learned by the last eval'),
      data: { values },
      layer: [
        { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, detail: { field: 'group' } } },
        // Filled where learned, hollow (white fill) where not: two layers, so the colour legend stays one legend.
        ...[true, false].map((learned) => ({
          transform: [{ filter: `datum.learned ${learned ? '===' : '!=='} 'learned'` }],
          mark: { type: 'point', size: 90, strokeWidth: 2, filled: learned, ...(learned ? {} : { fill: 'white' }) },
          encoding: {
            x,
            y,
            color,
            tooltip: [{ field: 'run' }, { field: 'group' }, { field: 'x', title: opts.xTitle ?? '# labels' }, { field: 'seqs', format: ',' }, { field: 'learned' }],
          },
        })),
      ],
    },
    { width: opts.width, height: opts.height },
  );
}
