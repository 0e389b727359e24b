/**
 * Head-by-head matrices (spec 5.6, App. Fig. 11): the wiring matrices M and N (rows: last-layer head i,
 * columns: first-layer head j) and the weight-only composition scores, as annotated heatmaps, one panel
 * per matrix side by side with a shared colour scale.
 */
import { figTitle, topLevel, type TopLevelSpec } from './common.js';
import { headLabel } from '../interventions/heads.js';

export interface MatrixPanel {
  /** Panel header, e.g. "value-preserving" or "K-composition". */
  label: string;
  /** matrix[i][j]: row i (last-layer head), column j (first-layer head). */
  matrix: readonly (readonly number[])[];
}

export interface HeadMatrixOptions {
  title?: string;
  subtitle?: string;
  /** Colour legend title (default 'value'). */
  colorTitle?: string;
  /** Diverging colours centred on 0 (differences such as M); otherwise sequential from the minimum. */
  diverging?: boolean;
  /** Fixed colour domain (default: symmetric around 0 when diverging, else the data's extent). */
  domain?: [number, number];
  /** Row / column head names (default L2H<i> / L1H<j>). */
  rowName?: (i: number) => string;
  colName?: (j: number) => string;
  rowTitle?: string;
  colTitle?: string;
  /** Print each value in its cell (default true). */
  showValues?: boolean;
  /** d3 format of the printed values (default '.2f'). */
  format?: string;
  cell?: number;
}

/** Annotated heatmaps of one or more head×head matrices (App. Fig. 11's M^pv, M^pp, N^pv, N^pp; composition scores). */
export function headMatrixSpec(panels: readonly MatrixPanel[], opts: HeadMatrixOptions = {}): TopLevelSpec {
  const rowName = opts.rowName ?? ((i: number) => `${headLabel(1, i)}`);
  const colName = opts.colName ?? ((j: number) => `L1H${j}`);
  const values: { panel: string; row: string; col: string; value: number }[] = [];
  let rows = 0;
  let cols = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of panels)
    p.matrix.forEach((r, i) => {
      rows = Math.max(rows, i + 1);
      r.forEach((v, j) => {
        cols = Math.max(cols, j + 1);
        if (!Number.isFinite(v)) return;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        values.push({ panel: p.label, row: rowName(i), col: colName(j), value: v });
      });
    });
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  const m = Math.max(Math.abs(lo), Math.abs(hi), 1e-9);
  const domain = opts.domain ?? (opts.diverging ? [-m, m] : [lo, hi === lo ? lo + 1 : hi]);
  const mid = (domain[0] + domain[1]) / 2;
  const span = domain[1] - domain[0];
  const cell = opts.cell ?? 34;
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
      encoding: {
        color: {
          field: 'value',
          type: 'quantitative',
          title: opts.colorTitle ?? 'value',
          scale: opts.diverging ? { scheme: 'redblue', domain, domainMid: 0 } : { scheme: 'viridis', domain },
          legend: { gradientLength: Math.max(100, cell * rows), format: '.2f' },
        },
        tooltip: [{ field: 'panel' }, { field: 'row', title: opts.rowTitle ?? 'Layer-2 head' }, { field: 'col', title: opts.colTitle ?? 'Layer-1 head' }, { field: 'value', format: '.4f' }],
      },
    },
  ];
  if (opts.showValues ?? true)
    layer.push({
      mark: { type: 'text', fontSize: Math.max(8, Math.round(cell / 3.6)) },
      encoding: {
        text: { field: 'value', type: 'quantitative', format: opts.format ?? '.2f' },
        // Dark cells get white text: the ends of a diverging scale, the low end of viridis.
        color: opts.diverging
          ? { condition: { test: `abs(datum.value - ${mid}) > ${0.3 * span}`, value: 'white' }, value: '#222' }
          : { condition: { test: `datum.value < ${domain[0] + 0.45 * span}`, value: 'white' }, value: '#222' },
      },
    });
  const order = (n: number, f: (k: number) => string) => Array.from({ length: n }, (_, k) => f(k));
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Head matrices', opts.subtitle),
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panels.map((p) => p.label), header: { labelFontSize: 13, labelFontWeight: 'bold' } },
      columns: Math.min(panels.length, 4),
      spec: {
        width: cell * cols,
        height: cell * rows,
        encoding: {
          x: { field: 'col', type: 'ordinal', sort: order(cols, colName), title: opts.colTitle ?? 'Layer-1 head', axis: { labelAngle: -45, domain: false, ticks: false } },
          y: { field: 'row', type: 'ordinal', sort: order(rows, rowName), title: opts.rowTitle ?? 'Layer-2 head', axis: { domain: false, ticks: false } },
        },
        layer,
      },
    },
    null,
  );
}
