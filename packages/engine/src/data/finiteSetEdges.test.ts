/**
 * The finite training set (finiteSet.ts) of a 3-class, 3-label task written out sequence by sequence from
 * its docstring's enumeration order: c1 outer, c2 ≠ c1, the train pairs with (a, b) before (b, a), A
 * (query c1) before B (query c2); the item table of the first train exemplar of each class.
 */
import { describe, expect, it } from 'vitest';
import { enumerateTrainingSet, finiteSetSize } from './finiteSet.js';
import { buildTask } from './task.js';
import type { FeatureSource } from './types.js';

/** 5 classes x 2 exemplars of dim 1: row r holds r. */
const features: FeatureSource = { nClasses: 5, nExemplars: 2, dim: 1, data: Float32Array.from({ length: 10 }, (_, r) => r), description: 'hand' };

describe('enumerateTrainingSet', () => {
  it('finiteSetSize: C(C − 1)·2P·2', () => {
    expect(finiteSetSize(50, 8)).toBe(78_400);
    expect(finiteSetSize(3, 2)).toBe(48);
    expect(finiteSetSize(2, 1)).toBe(8);
  });

  it('every sequence in order, with its item rows, classes, labels, target and slot', () => {
    const task = buildTask({ classSplit: [3, 1, 1], exemplarSplit: [1, 1, 0], numLabels: 3, labelPairSplit: [3, 0, 0], pairSeed: 2 }, features);
    const { distribution: d, batch: b } = enumerateTrainingSet(task, features);
    expect(d.name).toBe('train_finite');
    expect(Array.from(d.items)).toEqual([0, 2, 4]); // exemplar 0 of classes 0, 1, 2
    expect(Array.from(d.itemFeatures)).toEqual([0, 2, 4]);
    const pairs = task.pairs.train;
    expect(pairs.length).toBe(3);
    const ordered = pairs.flatMap(([a, c]) => [
      [a, c],
      [c, a],
    ]);
    const want: number[][] = [];
    for (let c1 = 0; c1 < 3; c1++)
      for (let c2 = 0; c2 < 3; c2++) {
        if (c1 === c2) continue;
        for (const [l1, l2] of ordered) {
          want.push([c1, c2, c1, l1, l2, l1, 0]);
          want.push([c1, c2, c2, l1, l2, l2, 1]);
        }
      }
    expect(b.size).toBe(want.length);
    expect(b.size).toBe(finiteSetSize(3, 3));
    const got = Array.from({ length: b.size }, (_, i) => [b.item[3 * i], b.item[3 * i + 1], b.item[3 * i + 2], b.contextLabel[2 * i], b.contextLabel[2 * i + 1], b.target[i], b.querySlot[i]]);
    expect(got).toEqual(want);
    // classes: the training classes at those rows (here the row is the class)
    expect(Array.from(b.cls)).toEqual(Array.from(b.item));
  });

  it('the classes are those of trainClasses, and only the first train exemplar is used', () => {
    const task = { ...buildTask({ classSplit: [2, 1, 1], exemplarSplit: [2, 0, 0], numLabels: 2, labelPairSplit: [1, 0, 0], pairSeed: 0 }, features) };
    const shifted = { ...task, trainClasses: Int32Array.from([3, 1]) };
    const { distribution: d, batch: b } = enumerateTrainingSet(shifted, features);
    expect(Array.from(d.items)).toEqual([6, 2]);
    expect(b.size).toBe(8);
    expect(Array.from(b.cls.subarray(0, 3))).toEqual([3, 1, 3]);
    expect(Array.from(b.cls.subarray(3, 6))).toEqual([3, 1, 1]);
    expect(Array.from(b.item.subarray(0, 6))).toEqual([0, 1, 0, 0, 1, 1]);
    // the second half starts c1 = 1, c2 = 0
    expect(Array.from(b.cls.subarray(12, 15))).toEqual([1, 3, 1]);
  });
});
