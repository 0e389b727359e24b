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
 * On the tasks beyond the paper's (issue 23) both follow the task's positions (data/tasks/positions.ts):
 * see `addHeadScores`.
 * The layers are the paper's (first and last) unless `layers` names any earlier `prevToken` layer and any
 * later `induction` layer (issue 23: the circuit between any two layers of a deeper model).
 * Both are measured on a fixed set of sequences (the run's `fsl_train` eval set by default, a
 * documented subsample of the 78,400-sequence finite training set).
 */
import { fewShotPositions, tokenAt, type TaskPositions } from '../data/tasks/positions.js';
import { tokenLabel, type EvalSet, type SequenceBatch } from '../data/types.js';
import { buildModel, SEQ_LEN, type PassPlan } from '../model.js';
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

export function headScores(
  params: ParamStore,
  set: EvalSet,
  passes?: PassPlan[],
  layers: HeadLayers = defaultHeadLayers(params.config.nLayers),
  positions: TaskPositions = fewShotPositions(set.batch.layout?.seqLen ?? SEQ_LEN),
): HeadScores {
  const cfg = params.config;
  const H = cfg.nHeads;
  const T = positions.seqLen;
  checkHeadLayers(layers, cfg.nLayers);
  const last = `blocks.${layers.induction}.attn.pattern`;
  const first = `blocks.${layers.prevToken}.attn.pattern`;
  const m = buildModel(params, {
    batch: set.batch.size,
    seqLen: set.batch.layout?.seqLen,
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
  addHeadScores(sums, m.program.read(first), m.program.read(last), positions, set.batch, 0, set.batch.size, H, T);
  return meanHeadScores(sums);
}

/** Running per-head sums over sequences, with how many sequences each mean is over; `meanHeadScores` turns them into `HeadScores`. */
export interface HeadScoreSums extends HeadScores {
  /** Sequences scored for induction strength: those with a candidate holding the target and one not. */
  nInduction: number;
  /** Sequences scored for the previous-token scores (every one). */
  nSeqs: number;
}

export function newHeadScoreSums(H: number): HeadScoreSums {
  return { induction: new Array<number>(H).fill(0), prevToken: new Array<number>(H).fill(0), prevTokenAtLabels: new Array<number>(H).fill(0), nInduction: 0, nSeqs: 0 };
}

/**
 * Add sequences offset..offset+n−1 of `batch`: A1 is the previous-token layer's pattern [n, H, T, T], A2
 * the induction layer's [n, H, Tq, T] (Tq = 1 in the query-only path, whose single row is the query).
 *
 * On any task (issue 23) the induction strength of a head is, at the query row, the attention on the
 * candidates holding the target (`nc` of them) minus `nc` times the mean attention on the other candidates
 * (`nw`): Σ_correct A − (nc/nw)·Σ_wrong A. It is 0 for attention spread evenly over the candidates and 1 for
 * all of it on the target's; on the paper's task (one correct and one wrong label) it is spec 5.1's
 * A[4, correct] − A[4, wrong], to the last bit. A sequence whose candidates all hold the target, or none
 * does (a bursty context without the query's label), has no strength and is left out of its mean. The
 * previous-token score averages over t = 1..T−1, and `prevTokenAtLabels` over the candidates t ≥ 1.
 */
export function addHeadScores(
  sums: HeadScoreSums,
  A1: ArrayLike<number>,
  A2: ArrayLike<number>,
  positions: TaskPositions,
  batch: SequenceBatch,
  offset: number,
  n: number,
  H: number,
  Tq: number,
): void {
  const T = positions.seqLen;
  const cands = positions.candidates;
  const isCand = new Uint8Array(T);
  for (const c of cands) if (c >= 1) isCand[c] = 1;
  const nAtLabels = isCand.reduce((a, b) => a + b, 0);
  const correct = new Uint8Array(cands.length);
  const queryRow = positions.query - (T - Tq);
  for (let i = 0; i < n; i++) {
    const b = offset + i;
    const target = batch.target[b];
    let nc = 0;
    for (let j = 0; j < cands.length; j++) nc += correct[j] = tokenLabel(tokenAt(batch, b, cands[j])) === target ? 1 : 0;
    const nw = cands.length - nc;
    if (nc > 0 && nw > 0) sums.nInduction++;
    sums.nSeqs++;
    for (let h = 0; h < H; h++) {
      if (nc > 0 && nw > 0) {
        const row = ((i * H + h) * Tq + queryRow) * T;
        let c = 0;
        let w = 0;
        for (let j = 0; j < cands.length; j++) {
          if (correct[j]) c += A2[row + cands[j]];
          else w += A2[row + cands[j]];
        }
        sums.induction[h] += c - (nc / nw) * w;
      }
      let s = 0;
      for (let t = 1; t < T; t++) {
        const a = A1[((i * H + h) * T + t) * T + t - 1];
        const score = a - (1 - a) / t;
        s += score;
        if (isCand[t]) sums.prevTokenAtLabels[h] += score / nAtLabels;
      }
      sums.prevToken[h] += s / (T - 1);
    }
  }
}

/** The means of `sums`; a strength with no sequence to score is NaN. */
export function meanHeadScores(sums: HeadScoreSums): HeadScores {
  const mean = (xs: number[], count: number) => xs.map((x) => (count ? x / count : NaN));
  return { induction: mean(sums.induction, sums.nInduction), prevToken: mean(sums.prevToken, sums.nSeqs), prevTokenAtLabels: mean(sums.prevTokenAtLabels, sums.nSeqs) };
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
