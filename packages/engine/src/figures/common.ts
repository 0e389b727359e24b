/**
 * Shared pieces of the figure specs (spec section 7): one look for every figure, so the dashboard and
 * `opto report` draw the paper's figures the same way. Every builder here is a plain function from run
 * data to a Vega-Lite spec object: no I/O, no rendering (see render.ts for SVG).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricRow } from '../store/runDir.js';

export type { TopLevelSpec };

export { LN2 } from '../metrics.js';

/** The paper's names for the four eval sets (spec 1.6, Fig. 3a legend). */
export const EVAL_SET_LABELS: Readonly<Record<string, string>> = {
  fsl_train: 'train',
  fsl_test_class: 'test (exemplars)',
  fsl_val_rl: 'test (relabel)',
  fsl_train_valex: 'train (held-out exemplars)',
};

export function evalSetLabel(set: string): string {
  return EVAL_SET_LABELS[set] ?? set;
}

/** Default plot size in px (the SVG adds axes, title and legend around it). */
export const FIG_WIDTH = 480;
export const FIG_HEIGHT = 300;

/** Common config: paper-like, white background, readable fonts, light grid. */
export const FIG_CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  padding: 12,
  view: { stroke: '#888', strokeWidth: 1 },
  title: { fontSize: 16, fontWeight: 'bold', anchor: 'start', offset: 10, subtitleFontSize: 12, subtitleColor: '#555' },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', gridColor: '#e6e6e6', tickColor: '#888', domainColor: '#888' },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', symbolStrokeWidth: 3, symbolSize: 160, labelLimit: 260 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  line: { strokeWidth: 2.25 },
  range: { category: { scheme: 'tableau10' } },
} as const;

/** x-axis of every training curve: "# sequences seen", with SI-style labels (200k, 1M). */
export function seqsAxis(title = '# sequences seen'): Record<string, unknown> {
  return { title, labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')", labelFlush: true, tickCount: 6 };
}

/** Eval rows of one metric as plot points. */
export function evalPoints(rows: readonly MetricRow[], metric: string, sets?: readonly string[]): { seqs: number; set: string; value: number }[] {
  const out: { seqs: number; set: string; value: number }[] = [];
  for (const r of rows) {
    if (r.kind !== 'eval' || typeof r.set !== 'string') continue;
    if (sets && !sets.includes(r.set)) continue;
    const v = r[metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    out.push({ seqs: r.seqs, set: r.set, value: v });
  }
  return out.sort((a, b) => a.seqs - b.seqs);
}

export interface RefLine {
  /** y value of the dashed horizontal line. */
  y: number;
  /** Text drawn at its right end, e.g. "ln 2". */
  label: string;
}

/**
 * Dashed horizontal reference lines with a label at the right edge: two Vega-Lite layers (rule + text).
 * Use inside a `layer` whose x is quantitative.
 */
export function refLineLayers(lines: readonly RefLine[], labelled = true): Record<string, unknown>[] {
  if (lines.length === 0) return [];
  const values = lines.map((l) => ({ ref_y: l.y, ref_label: l.label }));
  const layers: Record<string, unknown>[] = [
    {
      data: { values },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#555', strokeWidth: 1.5 },
      encoding: { y: { field: 'ref_y', type: 'quantitative' } },
    },
    {
      data: { values },
      mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 12, color: '#333', x: 'width' },
      encoding: { y: { field: 'ref_y', type: 'quantitative' }, text: { field: 'ref_label' } },
    },
  ];
  return labelled ? layers : layers.slice(0, 1);
}

/** A title object with an optional subtitle. */
export function figTitle(text: string, subtitle?: string): Record<string, unknown> {
  return subtitle ? { text, subtitle } : { text };
}

/** Finish a spec: schema, config and default size. */
export function topLevel(spec: Record<string, unknown>, size: { width?: number; height?: number } | null = {}): TopLevelSpec {
  const sized = size === null ? {} : { width: size.width ?? FIG_WIDTH, height: size.height ?? FIG_HEIGHT };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...sized,
    ...spec,
    config: FIG_CONFIG,
  } as unknown as TopLevelSpec;
}
