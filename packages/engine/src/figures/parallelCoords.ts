/**
 * The hyperparameter view: parallel coordinates over runs, one vertical axis per field (config fields, then
 * learning time and final losses), one polyline per run coloured by its group. Each axis is scaled to its
 * own range (numbers linearly, text values in sorted order, evenly spaced); the axis ends are labelled with
 * the range, and a run's raw values are in its tooltip.
 */
import { figTitle, topLevel, type TopLevelSpec } from './common.js';

export interface ParallelRun {
  id: string;
  group: string;
  values: Readonly<Record<string, string | number | boolean | null>>;
}

export interface ParallelRow {
  run: string;
  group: string;
  dim: string;
  /** Position on the axis, 0 (bottom) to 1 (top). */
  pos: number;
  raw: string;
}

export function parallelRows(runs: readonly ParallelRun[], dims: readonly string[]): { rows: ParallelRow[]; ends: { dim: string; pos: number; text: string }[] } {
  const rows: ParallelRow[] = [];
  const ends: { dim: string; pos: number; text: string }[] = [];
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? Intl.NumberFormat('en', { notation: 'compact' }).format(v) : Number(v.toPrecision(3)).toString());
  for (const dim of dims) {
    const present = runs.filter((r) => r.values[dim] !== null && r.values[dim] !== undefined);
    if (!present.length) continue;
    const numeric = present.every((r) => typeof r.values[dim] === 'number');
    if (numeric) {
      const xs = present.map((r) => r.values[dim] as number);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      for (const r of present) rows.push({ run: r.id, group: r.group, dim, pos: hi > lo ? ((r.values[dim] as number) - lo) / (hi - lo) : 0.5, raw: String(r.values[dim]) });
      ends.push({ dim, pos: 0, text: fmt(lo) }, ...(hi > lo ? [{ dim, pos: 1, text: fmt(hi) }] : []));
    } else {
      const cats = [...new Set(present.map((r) => String(r.values[dim])))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      const at = (c: string) => (cats.length > 1 ? cats.indexOf(c) / (cats.length - 1) : 0.5);
      for (const r of present) rows.push({ run: r.id, group: r.group, dim, pos: at(String(r.values[dim])), raw: String(r.values[dim]) });
      for (const c of cats) ends.push({ dim, pos: at(c), text: c.length > 18 ? `${c.slice(0, 17)}…` : c });
    }
  }
  return { rows, ends };
}

export function parallelCoordsSpec(runs: readonly ParallelRun[], dims: readonly string[], opts: { title?: string; subtitle?: string; legendTitle?: string; width?: number; height?: number } = {}): TopLevelSpec {
  const { rows, ends } = parallelRows(runs, dims);
  const shown = dims.filter((d) => rows.some((r) => r.dim === d));
  const groups = [...new Set(runs.map((r) => r.group))];
  const x = { field: 'dim', type: 'nominal', sort: shown, title: null, axis: { orient: 'top', labelAngle: 0, labelLimit: 140, domain: false, ticks: false } };
  const y = { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [0, 1] } };
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Hyperparameters against outcomes', opts.subtitle ?? 'one line per run; each axis spans its own range'),
      layer: [
        { data: { values: shown.map((dim) => ({ dim })) }, mark: { type: 'rule', color: '#999' }, encoding: { x } },
        {
          data: { values: rows },
          mark: { type: 'line', strokeWidth: 1.5, opacity: 0.75 },
          encoding: {
            x,
            y,
            detail: { field: 'run' },
            color: { field: 'group', type: 'nominal', title: opts.legendTitle ?? 'condition', sort: groups, scale: { scheme: groups.length > 10 ? 'category20' : 'tableau10' } },
            tooltip: [{ field: 'run' }, { field: 'group' }, { field: 'dim', title: 'field' }, { field: 'raw', title: 'value' }],
          },
        },
        { data: { values: ends }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' }, encoding: { x, y, text: { field: 'text' } } },
      ],
    },
    { width: opts.width ?? Math.max(360, 110 * shown.length), height: opts.height ?? 280 },
  );
}
