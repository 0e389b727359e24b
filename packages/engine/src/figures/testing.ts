/**
 * Synthetic run data shaped like the paper's curves (plateau near ln 2, sigmoidal drop), for figure tests and
 * demos. Deterministic; not real measurements.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { MetricRow } from '../store/runDir.js';
import type { HeadPattern, HeadPoint } from './heads.js';
import type { StrengthPoint } from './scatter.js';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Eval rows for fsl_train / fsl_test_class / fsl_val_rl every `every` sequences up to `seqs`, phase change at 1.5e5 + variant·5e4. */
export function syntheticRun(variant = 0, seqs = 1_000_000, every = 10_000): MetricRow[] {
  const t0 = 150_000 + variant * 50_000;
  const rows: MetricRow[] = [];
  for (let x = 0, step = 0; x <= seqs; x += every, step = x / 32) {
    const drop = sigmoid((x - t0) / 25_000);
    const early = 1.3 * Math.exp(-x / 15_000);
    const train = early + 0.72 * (1 - drop) + 0.01;
    const cls = early + 0.8 * (1 - drop) + 0.12 * drop;
    const rl = early + 0.9 * (1 - sigmoid((x - t0 - 40_000) / 25_000)) + 0.03;
    for (const [set, loss] of [['fsl_train', train], ['fsl_test_class', cls], ['fsl_val_rl', rl]] as const)
      rows.push({ kind: 'eval', seqs: x, step, set, loss, acc: 1 - loss / 2 });
    rows.push({ kind: 'train', seqs: x, step, loss: train * 1.02, grad_norm: 1 });
  }
  return rows;
}

/** Final strengths of the paper's seed-5 L2 heads (spec 8.1). */
export const PAPER_STRENGTHS = [0.418, 0.736, 0.708, 0.845, 0.289, 0.553, 0.104, 0.57];
/** Accuracy with only L2 head h active (spec 8.1). */
export const PAPER_ONLY_ACC = [0.403, 0.765, 0.752, 0.98, 0.428, 0.646, 0.292, 0.588];

/** Induction strength of 8 heads over 100 checkpoints, rising through the phase change to the paper's final values. */
export function syntheticHeads(seqs = 1_000_000, n = 100): HeadPoint[] {
  const pts: HeadPoint[] = [];
  for (let i = 0; i <= n; i++) {
    const x = (i / n) * seqs;
    PAPER_STRENGTHS.forEach((s, h) => pts.push({ seqs: x, head: `L2H${h}`, value: s * sigmoid((x - 250_000 - 10_000 * h) / 40_000) }));
  }
  return pts;
}

/** Attention patterns (5×5, causal) for `heads` heads: previous-token, induction-like and uniform mixtures. */
export function syntheticPatterns(heads = 8): HeadPattern[] {
  const out: HeadPattern[] = [];
  for (let h = 0; h < heads; h++) {
    const pattern: number[][] = [];
    for (let q = 0; q < 5; q++) {
      const row = new Array<number>(5).fill(0);
      if (h % 2 === 0) {
        // previous-token-ish
        if (q === 0) row[0] = 1;
        else {
          for (let k = 0; k <= q; k++) row[k] = 0.2 / (q + 1);
          row[q - 1]! += 0.8;
        }
      } else {
        // query attends to label 1 (position 1) strongly
        for (let k = 0; k <= q; k++) row[k] = 1 / (q + 1);
        if (q === 4) {
          row.fill(0.05);
          row[1] = 0.8;
        }
      }
      pattern.push(row);
    }
    out.push({ head: `L${h < 4 ? 1 : 2}H${h % 4}`, pattern });
  }
  return out;
}

/** Fig. 4a points: "only this head active" (paper values) and "ablate this head". */
export function syntheticScatter(): StrengthPoint[] {
  return PAPER_STRENGTHS.flatMap((s, h) => [
    { head: `L2H${h}`, strength: s, value: PAPER_ONLY_ACC[h]!, kind: 'only this head active' },
    { head: `L2H${h}`, strength: s, value: h === 3 ? 0.99 : 0.9999, kind: 'ablate only this head' },
  ]);
}

/** One mark of a rendered figure's scenegraph: its type, role (`mark`, `axis-title`, `legend-label`, ...), name and items. */
export interface SceneMark {
  marktype: string;
  role: string;
  name?: string;
  items: Record<string, any>[];
}

/**
 * What a reader sees of a Vega-Lite spec: compiled with vega-lite and run in a headless Vega view (no
 * rendering), every mark of its scenegraph with its items (position, fill, shape, size, text, tooltip),
 * and the view's scales. Call `done()` when finished.
 */
export async function readFigure(spec: unknown): Promise<{
  marks: SceneMark[];
  /** Items of the data marks (role `mark`) of one type, in drawing order. */
  items: (marktype: string) => Record<string, any>[];
  /** Texts of the items of one role (`axis-title`, `legend-title`, `legend-label`, `title-text`, `title-subtitle`, `axis-label`). */
  texts: (role: string) => string[];
  scale: (name: string) => any;
  view: vega.View;
  done: () => void;
}> {
  const view = new vega.View(vega.parse(compile(spec as TopLevelSpec).spec), { renderer: 'none', logLevel: vega.Error });
  await view.runAsync();
  const marks: SceneMark[] = [];
  const walk = (m: any): void => {
    if (m?.marktype) marks.push({ marktype: m.marktype, role: m.role, name: m.name, items: m.items ?? [] });
    for (const it of m?.items ?? []) for (const c of it.items ?? []) walk(c);
  };
  walk((view.scenegraph() as any).root);
  return {
    marks,
    items: (marktype) => marks.filter((m) => m.role === 'mark' && m.marktype === marktype).flatMap((m) => m.items),
    texts: (role) => marks.filter((m) => m.role === role).flatMap((m) => m.items.map((i) => String(i.text))),
    scale: (name) => view.scale(name),
    view,
    done: () => view.finalize(),
  };
}
