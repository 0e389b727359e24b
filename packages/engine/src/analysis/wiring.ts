/**
 * The Layer-1 → Layer-2 wiring diagram (spec 5.6, App. Fig. 11, App. Table 1). The paper's "Layer 1" and
 * "Layer 2" are layers 0 and 1 here (the first and the last layer); matrices are indexed [i][j] with i the
 * last-layer head and j the first-layer head.
 *
 * - `baseline[i]` = acc(only L2 head i): every other last-layer head ablated, no preservation.
 * - M^pv[i][j] = acc(only L2 head i, ablate L1 head j, value-preserving) − baseline[i];
 *   M^pp likewise pattern-preserving.
 * - N^pv[i][j] = acc(only L2 head i, only L1 head j — every other first-layer head ablated,
 *   value-preserving); N^pp likewise.
 *   Preserved patterns/values come from the clean, full model (the `clean` pass of spec 4.3, which runs
 *   with no manipulation at all); ablations are applied after preservation (they take precedence).
 * - With `base` (a clamped run's own clamp spec), every evaluation is of the model the run trained
 *   (interventions/onBase.ts): the run's clamps apply throughout, its ablated heads stay ablated, and
 *   the clean pass that preservation reads is the clamped model. `base` absent or {}: the bare model.
 * - Composition scores (weights only, LayerNorm ignored): for first-layer head j's output map
 *   W_O^(j) (columns 8j..8j+7 of out.weight [d, d], i.e. the 8×d map into the residual) and last-layer
 *   head i's input map W_X^(i) (rows 8i..8i+7 of W_X in qkv.weight, X ∈ {q, k, v}):
 *   ‖W_O^(j) W_X^(i)‖_F / (‖W_O^(j)‖_F ‖W_X^(i)‖_F) in [0, 1].
 * - Table 1 (`groupAblations`): ablate a group of first-layer heads with all last-layer heads active,
 *   with pattern- and with value-preservation.
 * - Any two layers (issue 23): `from` (the writers, default the first layer) and `to` (the readers, default
 *   the last), `from` < `to`, in every function here; the paper's model has only 0 → 1.
 * Evaluated on the `DenseEvaluator`'s set: 8 + 4·64 = 264 manipulated evaluations for the paper's model.
 */
import type { ParamStore } from '../params.js';
import { ablateAllBut } from '../interventions/spec.js';
import type { DenseEvaluator } from './denseSet.js';

export interface WiringMatrices {
  /** acc(only last-layer head i). */
  baseline: number[];
  Mpv: number[][];
  Mpp: number[][];
  Npv: number[][];
  Npp: number[][];
}

/** The writer and reader layers of a wiring analysis, checked against the model (one line naming the field). */
export function wiringLayers(nLayers: number, opts: { from?: number; to?: number }): { from: number; to: number } {
  const l = { from: opts.from ?? 0, to: opts.to ?? nLayers - 1 };
  for (const k of ['from', 'to'] as const)
    if (!Number.isInteger(l[k]) || l[k] < 0 || l[k] >= nLayers) throw new Error(`wiring.${k}: layer ${l[k]} out of range (the model has layers 0..${nLayers - 1})`);
  if (l.to <= l.from) throw new Error(`wiring.to: layer ${l.to} must come after the writer layer wiring.from ${l.from}`);
  return l;
}

export function wiringMatrices(ev: DenseEvaluator, opts: { log?: (msg: string) => void; base?: unknown; from?: number; to?: number } = {}): WiringMatrices {
  const cfg = ev.params.config;
  const H = cfg.nHeads;
  const { from: first, to: last } = wiringLayers(cfg.nLayers, opts);
  const baseline: number[] = [];
  const grid = () => Array.from({ length: H }, () => new Array<number>(H).fill(0));
  const out = { baseline, Mpv: grid(), Mpp: grid(), Npv: grid(), Npp: grid() };
  const preserve = { pv: { patterns: false, values: true }, pp: { patterns: true, values: false } } as const;
  const on = { base: opts.base };
  for (let i = 0; i < H; i++) {
    const others = ablateAllBut(last, H, [i]);
    baseline.push(ev.evaluate({ ablate: others }, on).acc);
    for (let j = 0; j < H; j++)
      for (const kind of ['pv', 'pp'] as const) {
        const ablateJ = ev.evaluate({ ablate: [`${first}:${j}`, ...others], preserve: preserve[kind] }, on).acc;
        const onlyJ = ev.evaluate({ ablate: [...ablateAllBut(first, H, [j]), ...others], preserve: preserve[kind] }, on).acc;
        out[kind === 'pv' ? 'Mpv' : 'Mpp'][i][j] = ablateJ - baseline[i];
        out[kind === 'pv' ? 'Npv' : 'Npp'][i][j] = onlyJ;
      }
    opts.log?.(`wiring: last-layer head ${i} done`);
  }
  return out;
}

export interface CompositionScores {
  /** [i][j]: last-layer head i's W_q / W_k / W_v against first-layer head j's W_O. */
  q: number[][];
  k: number[][];
  v: number[][];
}

/** Weight-only Q-, K- and V-composition scores between layer `from` (writer) and layer `to` (reader). */
export function compositionScores(params: ParamStore, opts: { from?: number; to?: number } = {}): CompositionScores {
  const cfg = params.config;
  const d = cfg.dModel;
  const H = cfg.nHeads;
  const D = d / H;
  const { from, to } = wiringLayers(cfg.nLayers, opts);
  const all = params.readBlock('values');
  const tensor = (name: string) => {
    const e = params.get(name);
    return all.subarray(e.offset, e.offset + e.size);
  };
  const Wo = tensor(`blocks.${from}.attn.out.weight`); // [d, d]: Wo[r * d + c], column c = head dim
  const Wqkv = tensor(`blocks.${to}.attn.qkv.weight`); // [3d, d]
  const result: CompositionScores = { q: [], k: [], v: [] };
  (['q', 'k', 'v'] as const).forEach((X, xi) => {
    for (let i = 0; i < H; i++) {
      const row: number[] = [];
      // W_X^(i) as D rows of length d: Wqkv[(xi·d + D·i + a) * d + r].
      const Wx = (a: number, r: number) => Wqkv[(xi * d + D * i + a) * d + r];
      for (let j = 0; j < H; j++) {
        const WoJ = (r: number, b: number) => Wo[r * d + D * j + b]; // residual r ← head-j dim b
        let prod = 0;
        for (let a = 0; a < D; a++)
          for (let b = 0; b < D; b++) {
            let s = 0;
            for (let r = 0; r < d; r++) s += Wx(a, r) * WoJ(r, b);
            prod += s * s;
          }
        let nx = 0;
        let no = 0;
        for (let a = 0; a < D; a++) for (let r = 0; r < d; r++) nx += Wx(a, r) ** 2;
        for (let r = 0; r < d; r++) for (let b = 0; b < D; b++) no += WoJ(r, b) ** 2;
        row.push(nx && no ? Math.sqrt(prod) / Math.sqrt(nx * no) : 0);
      }
      result[X].push(row);
    }
  });
  return result;
}

export interface GroupAblationRow {
  /** First-layer heads ablated. */
  heads: number[];
  patternPreserving: number;
  valuePreserving: number;
}

/** App. Table 1: accuracy with each group of first-layer heads ablated (all last-layer heads active). */
export function groupAblations(ev: DenseEvaluator, groups: readonly (readonly number[])[], opts: { base?: unknown; layer?: number } = {}): GroupAblationRow[] {
  const on = { base: opts.base };
  const layer = opts.layer ?? 0;
  if (!Number.isInteger(layer) || layer < 0 || layer >= ev.params.config.nLayers) throw new Error(`groupAblations.layer: layer ${layer} out of range (the model has layers 0..${ev.params.config.nLayers - 1})`);
  return groups.map((g) => {
    const ablate = g.map((j) => `${layer}:${j}`);
    return {
      heads: [...g],
      patternPreserving: ev.evaluate({ ablate, preserve: { patterns: true, values: false } }, on).acc,
      valuePreserving: ev.evaluate({ ablate, preserve: { patterns: false, values: true } }, on).acc,
    };
  });
}

/** The two complementary groups of Table 1 for a previous-token group (e.g. [1, 2, 5] for seed 5). */
export function table1Groups(ptHeads: readonly number[], nHeads: number): number[][] {
  return [[...ptHeads], Array.from({ length: nHeads }, (_, j) => j).filter((j) => !ptHeads.includes(j))];
}
