/**
 * Curve statistics the checklist claims are judged with (paper spec 5.9 and section 11): the eval curve
 * of a run, learning time, the plateau, rank correlation, and the words "unchanged", "slows down",
 * "speeds up" as numbers. Defined once here; every claim module reads them from this file.
 */
import { LEARNED_LOSS, LN2, learningTime } from '../metrics.js';
import type { MetricRow } from '../store/runDir.js';
import type { RunEvidence } from './evidence.js';

export { LN2 };
/** Learned: `fsl_train` loss below 0.4·ln 2 (spec 5.9). */
export const LEARNED = LEARNED_LOSS;
/** "≈ x" for a time or ratio bound: within a factor 1.5 of x. */
export const APPROX = 1.5;
/** "No plateau": a plateau shorter than this many sequences. */
export const NO_PLATEAU = 25_000;
/** The checklist's plateau length (claims 2, 13; also used for 18 and 23). */
export const LONG_PLATEAU = 50_000;
/**
 * Flat: the loss falls by at most this much per e-fold of sequences (≈ 0.2 per doubling). The paper's
 * plateaus fall by < 0.1 per e-fold (and the slowly falling shoulder of a PT-clamped run, 0.85 → 0.70
 * between 5×10⁴ and 10⁵, by 0.22); the sigmoidal drops by > 1.
 */
export const PLATEAU_SLOPE = 0.3;
/** Left the initial drop: the loss is this far below its first eval (for drops too shallow to be steep). */
export const INITIAL_FALL = 0.3;
/**
 * The slope at an eval is fitted over the evals within this factor of its sequences (half a doubling
 * wide): wide enough to average eval noise (15 evals at 2×10⁵ on a 5000 cadence), narrow enough to see
 * the sigmoidal drop begin within ≈ 20% of where it does.
 */
export const PLATEAU_WINDOW = 2 ** 0.25;
/** A speed-up or slow-down: learning time changed by at least this factor (a 6% change is noise). */
export const SPEED_MARGIN = 1.2;
/** "Delays modestly": the last learning time at least this factor above the first (and below 2×). */
export const MODEST_DELAY = 1.1;

export interface Point {
  seqs: number;
  loss: number;
  acc: number;
}

/** The eval curve of one set (default `fsl_train`), sorted by sequences. */
export function curveOf(run: RunEvidence, set = 'fsl_train'): Point[] {
  return run.rows
    .filter((r: MetricRow) => r.set === set && typeof r.loss === 'number')
    .map((r) => ({ seqs: r.seqs, loss: Number(r.loss), acc: Number(r.acc) }))
    .sort((a, b) => a.seqs - b.seqs);
}

export function learnTime(run: RunEvidence): { seqs: number; learned: boolean } {
  return learningTime(curveOf(run));
}

/** Learning time (sequences) of a curve. */
export const learningTimeOf = (points: { seqs: number; loss: number }[]): number => learningTime(points).seqs;

export const lastLoss = (run: RunEvidence, set = 'fsl_train'): number => curveOf(run, set).at(-1)?.loss ?? NaN;

/** The first eval from which the loss stays below `level` to the end (Infinity if the last eval is not below). */
export function settledBelow(points: readonly { seqs: number; loss: number }[], level: number): number {
  let at = Infinity;
  for (let i = points.length - 1; i >= 0 && points[i].loss < level; i--) at = points[i].seqs;
  return at;
}

export interface Plateau {
  /** Sequences from the plateau's first eval to its last (0 when there is none). */
  length: number;
  from: number;
  to: number;
  /** Median loss on the plateau (NaN when there is none). */
  level: number;
}

/**
 * The plateau as the paper's figures show it: the stretch between leaving the initial fast drop and
 * entering the sigmoidal drop. On the log-sequences axis:
 * - the slope at an eval is the least-squares slope of loss against ln(sequences) over the evals within
 *   a factor `PLATEAU_WINDOW` of it (at least its two neighbours), so eval noise does not break a
 *   plateau; the eval at 0 sequences sits one e-fold before the first eval;
 * - an eval is steep when the loss falls by more than `PLATEAU_SLOPE` per e-fold there;
 * - the plateau is the longest run of consecutive non-steep evals that have not learned (loss ≥ 0.4·ln 2)
 *   which starts after the initial drop (after the first steep eval, or once the loss is `INITIAL_FALL`
 *   below the first eval's) and ends where the sigmoidal drop begins (the next eval is steep) or at the
 *   run's last eval.
 * So a smooth decay (exponential from wherever it starts) has none: it learns without a steep drop after
 * its flatter part; and a slowly falling shoulder (0.85 → 0.70 over 5×10⁴ → 10⁵) is one plateau, not a
 * band it leaves halfway.
 */
export function plateau(points: readonly { seqs: number; loss: number }[]): Plateau {
  const none: Plateau = { length: 0, from: NaN, to: NaN, level: NaN };
  const shape = steepness(points);
  if (!shape) return none;
  const { pts, steep, begin } = shape;
  let best = none;
  for (let i = begin; i < pts.length; i++) {
    if (steep[i] || pts[i].loss < LEARNED) continue;
    let j = i;
    while (j + 1 < pts.length && !steep[j + 1] && pts[j + 1].loss >= LEARNED) j++;
    const entersDrop = j === pts.length - 1 || steep[j + 1];
    const length = pts[j].seqs - pts[i].seqs;
    if (entersDrop && (length > best.length || Number.isNaN(best.from))) best = { length, from: pts[i].seqs, to: pts[j].seqs, level: median(pts.slice(i, j + 1).map((p) => p.loss)) };
    i = j;
  }
  return best;
}

/**
 * Whether the curve is on a plateau at its last eval (not steep, not learned, past the initial drop): it
 * has not entered its drop by its end, even where an earlier, longer plateau stretch ended in a steep eval.
 */
export function onPlateauAtEnd(points: readonly { seqs: number; loss: number }[]): boolean {
  const shape = steepness(points);
  if (!shape) return false;
  const last = shape.pts.length - 1;
  return last >= shape.begin && !shape.steep[last] && shape.pts[last].loss >= LEARNED;
}

/** The sorted evals, which of them are steep, and the index after the initial drop (see `plateau`); undefined for fewer than 3 evals. */
function steepness(points: readonly { seqs: number; loss: number }[]): { pts: { seqs: number; loss: number }[]; steep: boolean[]; begin: number } | undefined {
  const pts = [...points].sort((a, b) => a.seqs - b.seqs);
  const firstPositive = pts.find((p) => p.seqs > 0)?.seqs;
  if (pts.length < 3 || firstPositive === undefined) return undefined;
  const lx = pts.map((p) => Math.log(Math.max(p.seqs, firstPositive / Math.E)));
  const half = Math.log(PLATEAU_WINDOW);
  const steep = pts.map((_, i) => {
    let idx = pts.map((__, j) => j).filter((j) => Math.abs(lx[j] - lx[i]) <= half + 1e-12);
    if (idx.length < 3) idx = [i - 1, i, i + 1].filter((j) => j >= 0 && j < pts.length);
    return -olsSlope(idx.map((j) => lx[j]), idx.map((j) => pts[j].loss)) > PLATEAU_SLOPE;
  });
  const firstSteep = steep.indexOf(true);
  const fallen = pts.findIndex((p) => p.loss <= pts[0].loss - INITIAL_FALL);
  return { pts, steep, begin: Math.min(firstSteep < 0 ? Infinity : firstSteep + 1, fallen < 0 ? Infinity : fallen) };
}

function olsSlope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx ? sxy / sxx : 0;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Spearman rank correlation (average ranks for ties). */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  const rank = (v: readonly number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

export const increasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]);
export const ratio = (xs: number[]): number => Math.max(...xs) / Math.min(...xs);
/** "Unchanged" across a data sweep: max/min learning time within ≈ 1 (a factor `APPROX`). */
export const unchanged = (xs: number[]): boolean => ratio(xs) <= APPROX;
/** "Slows down" across a data sweep: strictly increasing learning times and last/first ≥ `APPROX`. */
export const slowsDown = (xs: number[]): boolean => increasing(xs) && xs.at(-1)! / xs[0] >= APPROX;
