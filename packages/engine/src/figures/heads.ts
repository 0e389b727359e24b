/** Per-head figures: a progress measure per head over training (Fig. 3b) and attention-pattern heatmaps. */
import { figTitle, seqsAxis, topLevel, type TopLevelSpec } from './common.js';

/** One measurement of one head at one point of training. */
export interface HeadPoint {
  seqs: number;
  /** Head name, e.g. "L2H3" or "1:3". */
  head: string;
  value: number;
}

export interface HeadCurvesOptions {
  title?: string;
  subtitle?: string;
  /** y-axis title (default 'induction strength'). */
  yTitle?: string;
  /** Legend title (default 'Layer-2 head'). */
  legendTitle?: string;
  /** Heads to draw thicker (e.g. the clamped or strongest head). */
  highlight?: readonly string[];
  width?: number;
  height?: number;
}

function naturalSort(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Fig. 3b: induction strength (or any per-head measure) against # sequences seen, one line per head. */
export function headCurvesSpec(points: readonly HeadPoint[], opts: HeadCurvesOptions = {}): TopLevelSpec {
  const heads = naturalSort(points.map((p) => p.head));
  const hi = new Set(opts.highlight ?? []);
  const values = [...points].sort((a, b) => a.seqs - b.seqs).map((p) => ({ seqs: p.seqs, value: p.value, head: p.head, strong: hi.has(p.head) ? 1 : 0 }));
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Induction strength per head', opts.subtitle),
      data: { values },
      layer: [
        {
          mark: { type: 'rule', color: '#999', strokeWidth: 1 },
          encoding: { y: { datum: 0, type: 'quantitative' } },
        },
        {
          mark: { type: 'line', clip: true },
          encoding: {
            x: { field: 'seqs', type: 'quantitative', axis: seqsAxis() },
            y: { field: 'value', type: 'quantitative', title: opts.yTitle ?? 'induction strength' },
            color: { field: 'head', type: 'nominal', title: opts.legendTitle ?? 'Layer-2 head', sort: heads, scale: { scheme: heads.length > 10 ? 'category20' : 'tableau10' } },
          },
        },
        ...(hi.size > 0
          ? [
              {
                transform: [{ filter: 'datum.strong === 1' }],
                mark: { type: 'line', clip: true, strokeWidth: 4.5 },
                // The same sort as the main lines': a colour domain unioned from layers that sort differently
                // falls back to plain string order (L2H10 before L2H2) in the legend.
                encoding: { x: { field: 'seqs', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: { field: 'head', type: 'nominal', sort: heads } },
              },
            ]
          : []),
      ],
    },
    { width: opts.width, height: opts.height },
  );
}

/** One head's attention pattern: pattern[query][key], 5×5 for the paper's sequences (causal: upper triangle 0). */
export interface HeadPattern {
  head: string;
  pattern: readonly (readonly number[])[];
}

/** Token names of the five positions (spec 1.5): item, label, item, label, query. */
export const DEFAULT_TOKEN_LABELS = ['x₁', 'y₁', 'x₂', 'y₂', 'q'] as const;

export interface AttentionHeatmapOptions {
  title?: string;
  subtitle?: string;
  /** Axis names of the positions (default x₁ y₁ x₂ y₂ q). */
  tokenLabels?: readonly string[];
  /** Heads per row (default 4). */
  columns?: number;
  /** Print each weight in its cell (default true). */
  showValues?: boolean;
  /** Side of one cell in px (default 30). */
  cell?: number;
}

/** Attention heatmaps, one small-multiple per head: rows = query position, columns = key position, colour = weight in [0, 1]. */
export function attentionHeatmapSpec(patterns: readonly HeadPattern[], opts: AttentionHeatmapOptions = {}): TopLevelSpec {
  const n = Math.max(1, ...patterns.map((p) => p.pattern.length));
  const labels = opts.tokenLabels ?? DEFAULT_TOKEN_LABELS;
  const name = (i: number): string => labels[i] ?? String(i);
  const order = Array.from({ length: n }, (_, i) => name(i));
  const values: { head: string; query: string; key: string; weight: number }[] = [];
  for (const p of patterns)
    p.pattern.forEach((row, q) => row.forEach((w, k) => values.push({ head: p.head, query: name(q), key: name(k), weight: w })));
  const cell = opts.cell ?? 30;
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
      encoding: {
        // The legend sits above the grid, left-aligned: at the right of a figure 8 heads wide it is the first
        // thing a narrow window cuts off ("attenti").
        color: {
          field: 'weight',
          type: 'quantitative',
          title: 'attention',
          scale: { scheme: 'blues', domain: [0, 1] },
          legend: { orient: 'top', direction: 'horizontal', titleOrient: 'left', titleAnchor: 'start', gradientLength: Math.max(120, cell * n), format: '.1f' },
        },
      },
    },
  ];
  if (opts.showValues ?? true)
    layer.push({
      mark: { type: 'text', fontSize: Math.max(7, Math.round(cell / 3.4)) },
      encoding: {
        text: { field: 'weight', type: 'quantitative', format: '.2f' },
        color: { condition: { test: 'datum.weight > 0.55', value: 'white' }, value: '#222' },
      },
    });
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Attention patterns', opts.subtitle ?? 'rows: query position; columns: key position (x item, y label, q query)'),
      data: { values },
      facet: { field: 'head', type: 'nominal', title: null, sort: naturalSort(patterns.map((p) => p.head)), header: { labelFontSize: 13, labelFontWeight: 'bold' } },
      columns: opts.columns ?? 4,
      spec: {
        width: cell * n,
        height: cell * n,
        encoding: {
          x: { field: 'key', type: 'ordinal', sort: order, title: null, axis: { labelAngle: 0, orient: 'top', domain: false, ticks: false } },
          y: { field: 'query', type: 'ordinal', sort: order, title: null, axis: { domain: false, ticks: false } },
        },
        layer,
      },
      resolve: { axis: { x: 'independent', y: 'independent' } },
    },
    null,
  );
}
