/**
 * Head-ablation analyses of the last layer on the dense set (spec 5.3, 5.4, 5.5):
 *
 * - 5.3 `ablationVsStrength`: for every last-layer head h, accuracy/loss with "ablate only h" (v_h = 0)
 *   and with "only h active" (every other last-layer head ablated), beside h's induction strength (5.1)
 *   and the unablated accuracy/loss (Fig. 4a, App. Fig. 13).
 * - 5.4 `redundancy`: App. Table 2 (`perfectMatch: false`) — for each head h, "only h" accuracy and the
 *   fraction of the reference head's mistakes (the strongest head's "only" run by default) that "only h"
 *   gets right; App. Table 3 (`perfectMatch: true`) — the same with the match clamp (spec 4.5, s = 1) on h
 *   at eval; plus per-label accuracy (Fig. 16c) and the label distribution of the mistakes (Fig. 16b).
 * - 5.5 `additivity`: loss/accuracy with only the first k heads of an ordering active, k = 1..|order|
 *   (App. Fig. 14; default order: decreasing strength, second panel without the first head).
 * All evaluations use a `DenseEvaluator` (dense set of spec 1.4 or its documented subsample).
 */
import { ablateAllBut } from '../interventions/spec.js';
import type { DenseEvaluator, DenseResult } from './denseSet.js';

export interface LossAcc {
  loss: number;
  acc: number;
}

/** Last layer index and head count of the evaluator's model. */
function lastLayer(ev: DenseEvaluator): { layer: number; H: number } {
  return { layer: ev.params.config.nLayers - 1, H: ev.params.config.nHeads };
}

const la = (r: DenseResult): LossAcc => ({ loss: r.loss, acc: r.acc });

/** Spec 5.1 on the dense set: induction strength of every last-layer head (and 5.2 for the first layer). */
export function headStrengths(ev: DenseEvaluator, spec: unknown = {}): { strength: number[]; prevToken: number[]; prevTokenAtLabels: number[] } {
  const r = ev.evaluate(spec, { heads: true });
  return { strength: r.strength!, prevToken: r.prevToken!, prevTokenAtLabels: r.prevTokenAtLabels! };
}

/** Spec for "only these last-layer heads active" (plus optional extra fields). */
export function onlyHeadsSpec(ev: DenseEvaluator, heads: readonly number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { layer, H } = lastLayer(ev);
  return { ablate: ablateAllBut(layer, H, heads), ...extra };
}

export interface AblationVsStrength {
  /** Unablated model. */
  full: LossAcc;
  /** Final induction strength of each last-layer head (clean model). */
  strength: number[];
  /** 5.3 (i): only head h ablated. */
  ablateOne: LossAcc[];
  /** 5.3 (ii): every last-layer head except h ablated. */
  onlyOne: LossAcc[];
}

export function ablationVsStrength(ev: DenseEvaluator): AblationVsStrength {
  const { layer, H } = lastLayer(ev);
  const clean = ev.evaluate({}, { heads: true });
  const ablateOne: LossAcc[] = [];
  const onlyOne: LossAcc[] = [];
  for (let h = 0; h < H; h++) {
    ablateOne.push(la(ev.evaluate({ ablate: [`${layer}:${h}`] })));
    onlyOne.push(la(ev.evaluate(onlyHeadsSpec(ev, [h]))));
  }
  return { full: la(clean), strength: clean.strength!, ablateOne, onlyOne };
}

export interface RedundancyRow {
  head: number;
  /** Accuracy with only this head active (with its match clamp for Table 3). */
  acc: number;
  loss: number;
  /** Sequences this head gets wrong. */
  mistakes: number;
  /** Fraction of the reference head's mistakes this head gets right (NaN when the reference makes none). */
  fixedFraction: number;
  /** Accuracy per target label (Fig. 16c); NaN for a label that never is the target. */
  perLabelAcc: number[];
  /** Mistakes per target label, and per predicted (wrong) label (Fig. 16b). */
  mistakesByTarget: number[];
  mistakesByPrediction: number[];
}

export interface RedundancyTable {
  /** The head whose mistakes are the denominator (the strongest head by default). */
  reference: number;
  perfectMatch: boolean;
  referenceMistakes: number;
  rows: RedundancyRow[];
}

/**
 * App. Table 2 (`perfectMatch` false) / Table 3 (true) with per-label specificity. `reference`: the head
 * whose "only" mistakes are counted (default: the head with the largest induction strength on the clean
 * model).
 */
export function redundancy(ev: DenseEvaluator, opts: { perfectMatch?: boolean; reference?: number } = {}): RedundancyTable {
  const { layer, H } = lastLayer(ev);
  const L = ev.params.config.numLabels;
  const perfectMatch = !!opts.perfectMatch;
  const reference = opts.reference ?? argmax(headStrengths(ev).strength);
  const results: DenseResult[] = [];
  for (let h = 0; h < H; h++)
    results.push(ev.evaluate(onlyHeadsSpec(ev, [h], perfectMatch ? { match: { heads: [`${layer}:${h}`], strength: 1 } } : {})));
  const target = ev.set.batch.target;
  const ref = results[reference];
  let refMistakes = 0;
  for (let i = 0; i < ref.n; i++) refMistakes += 1 - ref.correct[i];
  const rows = results.map((r, head): RedundancyRow => {
    let fixed = 0;
    let mistakes = 0;
    const right = new Array<number>(L).fill(0);
    const count = new Array<number>(L).fill(0);
    const byTarget = new Array<number>(L).fill(0);
    const byPred = new Array<number>(L).fill(0);
    for (let i = 0; i < r.n; i++) {
      const t = target[i];
      count[t]++;
      right[t] += r.correct[i];
      if (!r.correct[i]) {
        mistakes++;
        byTarget[t]++;
        byPred[r.pred[i]]++;
      }
      if (!ref.correct[i] && r.correct[i]) fixed++;
    }
    return {
      head,
      acc: r.acc,
      loss: r.loss,
      mistakes,
      fixedFraction: refMistakes ? fixed / refMistakes : NaN,
      perLabelAcc: right.map((x, l) => (count[l] ? x / count[l] : NaN)),
      mistakesByTarget: byTarget,
      mistakesByPrediction: byPred,
    };
  });
  return { reference, perfectMatch, referenceMistakes: refMistakes, rows };
}

export interface AdditivityCurve {
  order: number[];
  /** k-th entry: only the first k + 1 heads of `order` active. */
  steps: (LossAcc & { heads: number[] })[];
  full: LossAcc;
}

/** Spec 5.5: heads activated cumulatively in `order` (default: decreasing induction strength). */
export function additivity(ev: DenseEvaluator, order?: readonly number[]): AdditivityCurve {
  const clean = ev.evaluate({}, { heads: !order });
  const ord = order ? [...order] : byDecreasingStrength(clean.strength!);
  const steps = ord.map((_, k) => {
    const heads = ord.slice(0, k + 1);
    return { heads, ...la(ev.evaluate(onlyHeadsSpec(ev, heads))) };
  });
  return { order: ord, steps, full: la(clean) };
}

/** Both panels of App. Fig. 14: all heads but the last from the strongest, then the same without the strongest. */
export function additivityPanels(ev: DenseEvaluator): { fromStrongest: AdditivityCurve; withoutStrongest: AdditivityCurve } {
  const order = byDecreasingStrength(headStrengths(ev).strength);
  return { fromStrongest: additivity(ev, order.slice(0, -1)), withoutStrongest: additivity(ev, order.slice(1, -1)) };
}

export function byDecreasingStrength(strength: readonly number[]): number[] {
  return strength.map((_, i) => i).sort((a, b) => strength[b] - strength[a] || a - b);
}

function argmax(xs: readonly number[]): number {
  return xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
}
