/**
 * Per-head progress measures (spec 5.1, 5.2), used to pick which heads to clamp for a new seed
 * (pitfall 10) and, later, for the Fig. 3b curves.
 *
 * - Induction strength of a last-layer head: mean over sequences of A_h[4, correct label token] −
 *   A_h[4, incorrect label token] (the correct label token is position 1 when the query matches context
 *   slot 0, else 3). Range [−1, 1].
 * - Previous-token score of a first-layer head: mean over query positions t = 1..4 of
 *   a_t − (1 − a_t)/t with a_t = A_h[t, t−1] (attention to the predecessor minus the mean attention to
 *   the other t keys).
 * The layers are the paper's (first and last) unless `layers` names any earlier `prevToken` layer and any
 * later `induction` layer (issue 23: the circuit between any two layers of a deeper model).
 * Both are measured on a fixed set of sequences (the run's `fsl_train` eval set by default, a
 * documented subsample of the 78,400-sequence finite training set).
 */
import type { EvalSet } from '../data/types.js';
import { buildModel, QUERY_POS, SEQ_LEN, type PassPlan } from '../model.js';
import type { ParamStore } from '../params.js';

export interface HeadScores {
  /** Induction strength of each last-layer head. */
  induction: number[];
  /** Previous-token score of each first-layer head, averaged over positions 1..4. */
  prevToken: number[];
  /** The same score at the label positions 1 and 3 only (where the induction circuit needs it). */
  prevTokenAtLabels: number[];
}

/** The layer of the previous-token heads and the later layer of the induction heads a measure compares. */
export interface HeadLayers {
  prevToken: number;
  induction: number;
}

/** The paper's layers on a model of `nLayers`: the first and the last. */
export const defaultHeadLayers = (nLayers: number): HeadLayers => ({ prevToken: 0, induction: nLayers - 1 });

/** `layers` checked against the model: both exist, the induction layer after the previous-token layer. One line naming the field. */
export function checkHeadLayers(layers: HeadLayers, nLayers: number, where = 'layers'): HeadLayers {
  for (const k of ['prevToken', 'induction'] as const)
    if (!Number.isInteger(layers[k]) || layers[k] < 0 || layers[k] >= nLayers) throw new Error(`${where}.${k}: layer ${layers[k]} out of range (the model has layers 0..${nLayers - 1})`);
  if (layers.induction <= layers.prevToken) throw new Error(`${where}.induction: layer ${layers.induction} must come after the previous-token layer ${layers.prevToken}`);
  return layers;
}

export function headScores(params: ParamStore, set: EvalSet, passes?: PassPlan[], layers: HeadLayers = defaultHeadLayers(params.config.nLayers)): HeadScores {
  const cfg = params.config;
  const H = cfg.nHeads;
  const T = SEQ_LEN;
  checkHeadLayers(layers, cfg.nLayers);
  const last = `blocks.${layers.induction}.attn.pattern`;
  const first = `blocks.${layers.prevToken}.attn.pattern`;
  const m = buildModel(params, {
    batch: set.batch.size,
    nItems: set.distribution.items.length,
    training: false,
    allPositions: true,
    passes,
    keep: [first, last],
  });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  const sums = newHeadScoreSums(H);
  addHeadScores(sums, m.program.read(first), m.program.read(last), set.batch.querySlot, 0, set.batch.size, H, T, T);
  return meanHeadScores(sums, set.batch.size);
}

/** Running per-head sums over sequences; `meanHeadScores` turns them into `HeadScores`. */
export type HeadScoreSums = HeadScores;

export function newHeadScoreSums(H: number): HeadScoreSums {
  return { induction: new Array<number>(H).fill(0), prevToken: new Array<number>(H).fill(0), prevTokenAtLabels: new Array<number>(H).fill(0) };
}

/**
 * Add sequences 0..n−1 of one forward: A1 is the first layer's pattern [n, H, T, T], A2 the last layer's
 * [n, H, Tq, T] (Tq = 1 in the query-only path, whose single row is the query). `querySlot[offset + i]`
 * says which context slot holds sequence i's query class.
 */
export function addHeadScores(
  sums: HeadScoreSums,
  A1: ArrayLike<number>,
  A2: ArrayLike<number>,
  querySlot: ArrayLike<number>,
  offset: number,
  n: number,
  H: number,
  T: number,
  Tq: number,
): void {
  for (let i = 0; i < n; i++) {
    const correct = querySlot[offset + i] === 0 ? 1 : 3;
    const wrong = 4 - correct;
    for (let h = 0; h < H; h++) {
      const row = ((i * H + h) * Tq + QUERY_POS - (T - Tq)) * T;
      sums.induction[h] += A2[row + correct] - A2[row + wrong];
      let s = 0;
      for (let t = 1; t < T; t++) {
        const a = A1[((i * H + h) * T + t) * T + t - 1];
        const score = a - (1 - a) / t;
        s += score;
        if (t === 1 || t === 3) sums.prevTokenAtLabels[h] += score / 2;
      }
      sums.prevToken[h] += s / (T - 1);
    }
  }
}

export function meanHeadScores(sums: HeadScoreSums, count: number): HeadScores {
  const mean = (xs: number[]) => xs.map((x) => x / count);
  return { induction: mean(sums.induction), prevToken: mean(sums.prevToken), prevTokenAtLabels: mean(sums.prevTokenAtLabels) };
}

/**
 * The strongest induction head (last layer, or `layers.induction`) and previous-token head (first layer, or `layers.prevToken`), as "layer:head", and
 * the previous-token group: every first-layer head scoring at least half the best (seed 5's {1, 2, 5} in
 * the paper; App. Fig. 8 clamps it). Previous-token heads are ranked at the label positions, where
 * K-composition needs the previous exemplar.
 */
export function pickHeads(scores: HeadScores, nLayers: number, layers: HeadLayers = defaultHeadLayers(nLayers)): { ih: string; pt: string; ptGroup: string[] } {
  const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
  const p = layers.prevToken;
  return { ih: `${layers.induction}:${argmax(scores.induction)}`, pt: `${p}:${argmax(scores.prevTokenAtLabels)}`, ptGroup: ptGroup(scores.prevTokenAtLabels).map((j) => `${p}:${j}`) };
}

/** First-layer heads whose previous-token score is at least half the best one's. */
export function ptGroup(prevTokenAtLabels: readonly number[]): number[] {
  const best = Math.max(...prevTokenAtLabels);
  return prevTokenAtLabels.flatMap((s, j) => (s >= best / 2 ? [j] : []));
}
