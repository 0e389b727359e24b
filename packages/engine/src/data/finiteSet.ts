/**
 * The finite training distribution of spec 1.4 (App. C), used by every progress measure: all distinct
 * sequences the training sampler can produce, each exactly once, so a mean over this batch equals the
 * expectation under the training distribution.
 *
 * For each ordered class pair (c1, c2), c1 ≠ c2, and each ordered train label pair (l1, l2):
 *   A = [c1:l1, c2:l2, query c1 → target l1, querySlot 0]
 *   B = [c1:l1, c2:l2, query c2 → target l2, querySlot 1]
 * Enumeration order: c1 outer, then c2 (skipping c1), then train pairs in `task.pairs.train` order with
 * (a,b) before (b,a), then A before B. Size C·(C−1)·2P·2 (78,400 for 50 classes and 8 pairs).
 *
 * With the paper's exemplar split every class has one training exemplar. If more are configured, only the
 * first train exemplar is used: enumerating every exemplar combination would multiply the set by E³ and
 * the paper's count assumes one.
 */

import { makeDistribution, type SequenceDistribution } from './sampler.js';
import { allocBatch, type FeatureSource, type SequenceBatch, type Task } from './types.js';

export function finiteSetSize(nClasses: number, nTrainPairs: number): number {
  return nClasses * (nClasses - 1) * 2 * nTrainPairs * 2;
}

export function enumerateTrainingSet(task: Task, features: FeatureSource): { distribution: SequenceDistribution; batch: SequenceBatch } {
  const distribution = makeDistribution(
    'train_finite',
    features,
    task.trainClasses,
    task.trainExemplars.subarray(0, 1),
    task.pairs.train,
    task.config.numLabels,
  );
  const C = task.trainClasses.length;
  const ordered: [number, number][] = [];
  for (const [a, b] of task.pairs.train) ordered.push([a, b], [b, a]);
  const batch = allocBatch(finiteSetSize(C, task.pairs.train.length));
  let b = 0;
  const put = (x1: number, x2: number, l1: number, l2: number, slot: number): void => {
    const q = slot === 0 ? x1 : x2;
    // One exemplar per class in this item table, so the item row is the class's position in trainClasses.
    batch.item[3 * b] = x1;
    batch.item[3 * b + 1] = x2;
    batch.item[3 * b + 2] = q;
    batch.cls[3 * b] = task.trainClasses[x1];
    batch.cls[3 * b + 1] = task.trainClasses[x2];
    batch.cls[3 * b + 2] = task.trainClasses[q];
    batch.contextLabel[2 * b] = l1;
    batch.contextLabel[2 * b + 1] = l2;
    batch.target[b] = slot === 0 ? l1 : l2;
    batch.querySlot[b] = slot;
    b++;
  };
  for (let c1 = 0; c1 < C; c1++) {
    for (let c2 = 0; c2 < C; c2++) {
      if (c2 === c1) continue;
      for (const [l1, l2] of ordered) {
        put(c1, c2, l1, l2, 0);
        put(c1, c2, l1, l2, 1);
      }
    }
  }
  return { distribution, batch };
}
