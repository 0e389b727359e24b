/**
 * The sequence sampler of spec 1.4 with the labelling of spec 1.3, for the 5-token layout of spec 1.5.
 *
 * Per sequence, independently: query class q uniform over the allowed classes; distractor d uniform over
 * the others; the query's class sits in context slot 0 or 1 with probability ½ each; every position's
 * exemplar is drawn uniformly and independently from the allowed exemplars (so x_q may be a different
 * drawing than the matching context item unless only one exemplar is allowed, as in training); a label
 * pair is drawn uniformly from the allowed pairs and put in random order (a, b): the query's class gets
 * a, the distractor gets b, and the target is a.
 *
 * RNG calls per sequence, in order: q, d, slot, exemplar of x_1, x_2, x_q, pair, order (always all eight,
 * even when a choice has one option, so the stream layout never depends on the split sizes).
 */

import type { Rng } from '../rng.js';
import type { Distribution, FeatureSource, LabelPair, SequenceBatch, Task } from './types.js';

/** A Distribution that also says what it draws from (for analyses, the finite set and tests). */
export interface SequenceDistribution extends Distribution {
  readonly classes: Int32Array;
  readonly exemplars: Int32Array;
  readonly pairs: readonly LabelPair[];
  /** Exemplars per class in the source table: items[i] = class * nExemplars + exemplar. */
  readonly nExemplars: number;
  /** Item-table row of (classes[ci], exemplars[ei]). */
  itemIndex(ci: number, ei: number): number;
}

/** The training distribution: train classes, train exemplars, train label pairs. */
export function trainDistribution(task: Task, features: FeatureSource): SequenceDistribution {
  return makeDistribution('train', features, task.trainClasses, task.trainExemplars, task.pairs.train, task.config.numLabels);
}

/**
 * A spec-1.4 sequence distribution over the given classes x exemplars x label pairs. The item table lists
 * every (class, exemplar) combination, class-major: row ci * exemplars.length + ei.
 */
export function makeDistribution(
  name: string,
  features: FeatureSource,
  classes: Int32Array | readonly number[],
  exemplars: Int32Array | readonly number[],
  pairs: readonly LabelPair[],
  numLabels: number,
): SequenceDistribution {
  const cls = Int32Array.from(classes);
  const ex = Int32Array.from(exemplars);
  const C = cls.length;
  const E = ex.length;
  const P = pairs.length;
  if (C < 2) throw new Error(`distribution ${name}: needs at least 2 classes (query and distractor), got ${C}`);
  if (E < 1) throw new Error(`distribution ${name}: needs at least 1 exemplar`);
  if (P < 1) throw new Error(`distribution ${name}: needs at least 1 label pair`);
  if (!Number.isInteger(numLabels) || numLabels < 2) throw new Error(`distribution ${name}: numLabels must be an integer >= 2, got ${numLabels}`);
  for (const c of cls) {
    if (!(c >= 0 && c < features.nClasses)) throw new Error(`distribution ${name}: class ${c} outside the feature table's ${features.nClasses} classes`);
  }
  if (new Set(cls).size !== C) throw new Error(`distribution ${name}: duplicate class indices`);
  for (const e of ex) {
    if (!(e >= 0 && e < features.nExemplars)) throw new Error(`distribution ${name}: exemplar ${e} outside the feature table's ${features.nExemplars} exemplars`);
  }
  if (new Set(ex).size !== E) throw new Error(`distribution ${name}: duplicate exemplar indices`);
  const pairFlat = new Int32Array(2 * P);
  pairs.forEach(([a, b], i) => {
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < numLabels && b < numLabels && a !== b)) {
      throw new Error(`distribution ${name}: bad label pair (${a}, ${b}) for ${numLabels} labels`);
    }
    pairFlat[2 * i] = a;
    pairFlat[2 * i + 1] = b;
  });

  const dim = features.dim;
  const nEx = features.nExemplars;
  const items = new Int32Array(C * E);
  const itemFeatures = new Float32Array(C * E * dim);
  for (let ci = 0; ci < C; ci++) {
    for (let ei = 0; ei < E; ei++) {
      const row = ci * E + ei;
      items[row] = cls[ci] * nEx + ex[ei];
      itemFeatures.set(features.data.subarray(items[row] * dim, (items[row] + 1) * dim), row * dim);
    }
  }

  const sample = (rng: Rng, out: SequenceBatch): void => {
    for (let b = 0; b < out.size; b++) {
      const qi = rng.int(C);
      let di = rng.int(C - 1);
      if (di >= qi) di++; // uniform over the other C-1 classes
      const slot = rng.int(2);
      const e0 = rng.int(E);
      const e1 = rng.int(E);
      const eq = rng.int(E);
      const p = rng.int(P);
      const flip = rng.int(2);
      const a = pairFlat[2 * p + flip];
      const bl = pairFlat[2 * p + 1 - flip];
      const s0 = slot === 0 ? qi : di;
      const s1 = slot === 0 ? di : qi;
      out.item[3 * b] = s0 * E + e0;
      out.item[3 * b + 1] = s1 * E + e1;
      out.item[3 * b + 2] = qi * E + eq;
      out.cls[3 * b] = cls[s0];
      out.cls[3 * b + 1] = cls[s1];
      out.cls[3 * b + 2] = cls[qi];
      out.contextLabel[2 * b + slot] = a;
      out.contextLabel[2 * b + 1 - slot] = bl;
      out.target[b] = a;
      out.querySlot[b] = slot;
    }
  };

  return {
    name,
    items,
    itemFeatures,
    dim,
    numLabels,
    classes: cls,
    exemplars: ex,
    pairs: pairs.map(([a, b]) => [a, b] as const),
    nExemplars: nEx,
    itemIndex: (ci, ei) => ci * E + ei,
    sample,
  };
}
