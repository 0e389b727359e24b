/**
 * Per-sequence evaluation metrics of spec 3.3, averaged over an eval set. With z the query logits,
 * t the target and C the two labels present in the context:
 *   loss = CE(z, t); acc = [argmax z = t]; prob = softmax(z)_t;
 *   in_context_* = the same with logits of labels ∉ C set to −∞; out_context_* = with labels ∈ C set to −∞;
 *   use_context_prob = Σ_{l ∈ C} softmax(z)_l.
 * In the paper's task the target is always in C, so out_context_acc/prob are 0 by construction; they are logged because the
 * original logs them (a model that leaks probability outside the context shows up in use_context_prob); the
 * in-weights eval sets of data/tasks/ put the target outside C, where they are the measure.
 */
import { tokenLabel, type SequenceBatch, type TokenLayout } from './data/types.js';

export const METRIC_NAMES = [
  'loss',
  'acc',
  'prob',
  'in_context_acc',
  'in_context_prob',
  'out_context_acc',
  'out_context_prob',
  'use_context_prob',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number>;

/** Means over the batch; `logits` is [B, L] row-major. */
export function evalMetrics(logits: ArrayLike<number>, batch: SequenceBatch, L: number): Metrics {
  const sums: Metrics = Object.fromEntries(METRIC_NAMES.map((n) => [n, 0])) as Metrics;
  const B = batch.size;
  const inC = new Uint8Array(L);
  for (let b = 0; b < B; b++) {
    const o = b * L;
    const t = batch.target[b];
    inC.fill(0);
    if (batch.layout) markContextLabels(batch.layout, b, inC);
    else {
      inC[batch.contextLabel[2 * b]] = 1;
      inC[batch.contextLabel[2 * b + 1]] = 1;
    }
    const all = restricted(logits, o, L, t, () => true);
    const inside = restricted(logits, o, L, t, (l) => inC[l] === 1);
    const outside = restricted(logits, o, L, t, (l) => inC[l] === 0);
    sums.loss += all.nll;
    sums.acc += all.correct;
    sums.prob += all.prob;
    sums.in_context_acc += inside.correct;
    sums.in_context_prob += inside.prob;
    sums.out_context_acc += outside.correct;
    sums.out_context_prob += outside.prob;
    let use = 0;
    for (let l = 0; l < L; l++) if (inC[l]) use += Math.exp(logits[o + l] - all.lse);
    sums.use_context_prob += use;
  }
  for (const n of METRIC_NAMES) sums[n] /= B;
  return sums;
}

/**
 * C for the general layout (data/tasks/): every label token before the query. On the repeated-token task,
 * whose tokens are all labels, C is the set of tokens seen, so in_context_acc is the accuracy among them.
 */
function markContextLabels(layout: TokenLayout, b: number, inC: Uint8Array): void {
  const T = layout.seqLen;
  for (let t = 0; t < T - 1; t++) {
    const l = tokenLabel(layout.tokens[b * T + t]);
    if (l >= 0) inC[l] = 1;
  }
}

/** Softmax over the allowed labels only (others at −∞), in log-sum-exp form. */
function restricted(z: ArrayLike<number>, o: number, L: number, t: number, allowed: (l: number) => boolean) {
  let mx = -Infinity;
  let arg = -1;
  for (let l = 0; l < L; l++)
    if (allowed(l) && z[o + l] > mx) {
      mx = z[o + l];
      arg = l;
    }
  let s = 0;
  for (let l = 0; l < L; l++) if (allowed(l)) s += Math.exp(z[o + l] - mx);
  const lse = mx + Math.log(s);
  const ok = allowed(t);
  return {
    lse,
    nll: lse - z[o + t],
    prob: ok ? Math.exp(z[o + t] - lse) : 0,
    correct: ok && arg === t ? 1 : 0,
  };
}

/** ln 2: the plateau of a 2-way label guess (spec 3.4); the one constant every module uses. */
export const LN2 = Math.LN2;
/** Spec 5.9's learning threshold on the fsl_train loss: 0.4·ln 2. */
export const LEARNED_LOSS = 0.4 * LN2;

/** Spec 5.9: the first eval x with mean fsl_train loss < 0.4·ln 2, or the last eval x if never. */
export function learningTime(points: { seqs: number; loss: number }[]): { seqs: number; learned: boolean } {
  for (const p of points) if (p.loss < LEARNED_LOSS) return { seqs: p.seqs, learned: true };
  return { seqs: points.length ? points[points.length - 1].seqs : 0, learned: false };
}
