/** Fig. 4a / 13 / 18: a per-head measure (accuracy or loss under ablation) against induction strength. */
import { figTitle, refLineLayers, topLevel, type TopLevelSpec } from './common.js';

function formatNum(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5)));
}

export interface StrengthPoint {
  head: string;
  /** Final induction strength (x). */
  strength: number;
  /** Accuracy or loss (y). */
  value: number;
  /** Which manipulation produced `value`, e.g. "only this head" / "ablate this head" (shape legend). */
  kind?: string;
}

export interface StrengthScatterOptions {
  title?: string;
  subtitle?: string;
  /** y-axis title (default 'accuracy'). */
  yTitle?: string;
  xTitle?: string;
  /** Dashed reference line, e.g. the unablated accuracy. */
  baseline?: { y: number; label?: string };
  /** Print the head name next to each point (default true). */
  labels?: boolean;
  /** Legend titles of the colour (`head`) and shape (`kind`) fields (default 'head', 'manipulation'). */
  colorTitle?: string;
  shapeTitle?: string;
  width?: number;
  height?: number;
}

/** Fig. 4a: one point per (head, manipulation); colour = head, shape = manipulation; dashed unablated baseline. */
export function strengthScatterSpec(points: readonly StrengthPoint[], opts: StrengthScatterOptions = {}): TopLevelSpec {
  const values = points.map((p) => ({ head: p.head, strength: p.strength, value: p.value, kind: p.kind ?? 'only this head active' }));
  const kinds = [...new Set(values.map((v) => v.kind))];
  const heads = [...new Set(values.map((v) => v.head))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const x = { field: 'strength', type: 'quantitative', title: opts.xTitle ?? 'induction strength', scale: { zero: false, nice: true, padding: 12 } };
  const y = { field: 'value', type: 'quantitative', title: opts.yTitle ?? 'accuracy', scale: { zero: false, nice: false, padding: 14 } };
  const layers: Record<string, unknown>[] = [
    ...(opts.baseline ? refLineLayers([{ y: opts.baseline.y, label: '' }], false) : []),
    {
      data: { values },
      mark: { type: 'point', filled: true, size: 110, opacity: 0.9, stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x,
        y,
        color: { field: 'head', type: 'nominal', title: opts.colorTitle ?? 'head', sort: heads, scale: { scheme: heads.length > 10 ? 'category20' : 'tableau10' } },
        shape: { field: 'kind', type: 'nominal', title: opts.shapeTitle ?? 'manipulation', sort: kinds, scale: { range: ['circle', 'triangle-up', 'square', 'diamond'] } },
        tooltip: [{ field: 'head' }, { field: 'kind' }, { field: 'strength', format: '.3f' }, { field: 'value', format: '.4f' }],
      },
    },
  ];
  if (opts.labels ?? true)
    layers.push({
      data: { values: values.filter((v) => v.kind === kinds[0]) },
      mark: { type: 'text', align: 'left', dx: 8, dy: -6, fontSize: 11, color: '#333' },
      encoding: { x, y, text: { field: 'head' } },
    });
  return topLevel(
    {
      title: figTitle(
        opts.title ?? 'Head accuracy vs induction strength',
        opts.subtitle ?? (opts.baseline ? `dashed: ${opts.baseline.label ?? 'unablated model'} (${formatNum(opts.baseline.y)})` : undefined),
      ),
      layer: layers,
    },
    { width: opts.width, height: opts.height },
  );
}
