/** Toy model of phase changes (spec 6): loss vs iteration per condition (Fig. 5a) and the progress measures (App. Fig. 9). */
import type { ToyCondition, ToyResult } from '../toy/toyModel.js';
import { figTitle, topLevel, type TopLevelSpec } from './common.js';

/** Legend names of the three conditions. */
export const TOY_CONDITION_LABELS: Readonly<Record<ToyCondition, string>> = {
  none: 'no clamp',
  c: 'clamp c',
  bc: 'clamp b, c',
};

export interface ToySeries extends Partial<ToyResult> {
  condition: ToyCondition;
  seed?: number;
  loss: number[];
}

export interface ToyFigureOptions {
  title?: string;
  subtitle?: string;
  /** Log-scale y (default false, as in the paper). */
  logY?: boolean;
  width?: number;
  height?: number;
}

const COND_ORDER = (['none', 'c', 'bc'] as const).map((c) => TOY_CONDITION_LABELS[c]);
const COND_COLORS = ['#d62728', '#ff7f0e', '#1f77b4'];

/** "1, 3, 5–8": consecutive seeds as ranges (Vega over-estimates text width without a canvas, so keep subtitles short). */
function seedRanges(seeds: number[]): string {
  const sorted = [...seeds].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}–${sorted[j]}` : sorted.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return parts.join(', ');
}

function seedsSubtitle(series: readonly ToySeries[]): string | undefined {
  const seeds = [...new Set(series.map((s) => s.seed).filter((s): s is number => s !== undefined))];
  if (seeds.length === 0) return undefined;
  return `rank-1 tensor, dim 20, lr 1; seed${seeds.length > 1 ? 's' : ''} ${seedRanges(seeds)}`;
}

function colorEnc(series: readonly ToySeries[]): Record<string, unknown> {
  const present = new Set(series.map((s) => TOY_CONDITION_LABELS[s.condition]));
  const idx = COND_ORDER.map((c, i) => i).filter((i) => present.has(COND_ORDER[i]!));
  const domain = idx.map((i) => COND_ORDER[i]!);
  return { field: 'condition', type: 'nominal', title: 'condition', sort: domain, scale: { domain, range: idx.map((i) => COND_COLORS[i]!) } };
}

/** Fig. 5a: toy-model loss against iteration, colour = condition; several seeds of a condition share its colour. */
export function toyLossSpec(series: readonly ToySeries[], opts: ToyFigureOptions = {}): TopLevelSpec {
  const values: { iter: number; loss: number; condition: string; run: string }[] = [];
  const multiSeed = new Set(series.map((s) => s.seed)).size > 1;
  for (const s of series)
    s.loss.forEach((l, t) => {
      if (opts.logY && !(l > 0)) return;
      values.push({ iter: t, loss: l, condition: TOY_CONDITION_LABELS[s.condition], run: `${s.condition}/${s.seed ?? 0}` });
    });
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Toy model: loss under clamping', opts.subtitle ?? seedsSubtitle(series)),
      data: { values },
      mark: { type: 'line', strokeWidth: multiSeed ? 1.75 : 2.5, opacity: multiSeed ? 0.8 : 1, clip: true },
      encoding: {
        x: { field: 'iter', type: 'quantitative', title: 'iteration' },
        y: { field: 'loss', type: 'quantitative', title: 'loss', ...(opts.logY ? { scale: { type: 'log' } } : {}) },
        color: { ...colorEnc(series), legend: { orient: 'top-right', fillColor: 'white', padding: 6, strokeColor: '#ccc' } },
        detail: { field: 'run', type: 'nominal' },
      },
    },
    { width: opts.width, height: opts.height },
  );
}

/** App. Fig. 9: loss, PM1 = 1 − cos²(a, a*) and PM2 = L(±a, b*, c*) side by side; series need pm1 and pm2. */
export function toyProgressSpec(series: readonly ToySeries[], opts: ToyFigureOptions = {}): TopLevelSpec {
  const measures = ['loss', 'PM1 = 1 − cos²(a, a*)', 'PM2 = L(±a, b*, c*)'];
  const values: { iter: number; value: number; measure: string; condition: string; run: string }[] = [];
  for (const s of series) {
    const cols: [string, number[] | undefined][] = [
      [measures[0]!, s.loss],
      [measures[1]!, s.pm1],
      [measures[2]!, s.pm2],
    ];
    for (const [measure, ys] of cols)
      ys?.forEach((v, t) => values.push({ iter: t, value: v, measure, condition: TOY_CONDITION_LABELS[s.condition], run: `${s.condition}/${s.seed ?? 0}` }));
  }
  return topLevel(
    {
      title: figTitle(opts.title ?? 'Toy model: hidden progress during the plateau', opts.subtitle ?? seedsSubtitle(series)),
      data: { values },
      facet: { field: 'measure', type: 'nominal', title: null, sort: measures, header: { labelFontSize: 13 } },
      spec: {
        width: opts.width ?? 260,
        height: opts.height ?? 220,
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: {
          x: { field: 'iter', type: 'quantitative', title: 'iteration' },
          y: { field: 'value', type: 'quantitative', title: null },
          color: { ...colorEnc(series), legend: { orient: 'bottom', direction: 'horizontal' } },
          detail: { field: 'run', type: 'nominal' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
    null,
  );
}
