/**
 * The sampler's exact stream layout and its input checks at their boundaries (spec 1.4). sampler.test.ts
 * tests the distributions statistically; here every field of every sequence is compared with the layout the
 * module's docstring promises (eight draws per sequence: q, d, slot, three exemplars, pair, order), replayed
 * on a second generator with the same seed, and each refusal names its value at the first value past the
 * edge while the value on it is accepted.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { makeDistribution, trainDistribution } from './sampler.js';
import { syntheticFeatures } from './synthetic.js';
import { buildTask, defaultTaskConfig } from './task.js';
import { allocBatch } from './types.js';

const features = syntheticFeatures({ nClasses: 12, nExemplars: 5, dim: 8, latentDim: 4 });

describe('sampler stream layout', () => {
  const classes = [9, 2, 11, 0, 5];
  const exemplars = [4, 0, 2];
  const pairs: [number, number][] = [[0, 1], [3, 2], [1, 3]];
  // built inside each test: a throw while vitest collects a file fails no test, so Stryker would count it survived
  const layout = () => makeDistribution('layout', features, classes, exemplars, pairs, 4);

  it('every sequence is the documented eight draws, and exactly eight per sequence are used', () => {
    const n = 300;
    const batch = allocBatch(n);
    const rng = new Rng(17);
    layout().sample(rng, batch);
    const ref = new Rng(17);
    const C = classes.length;
    const E = exemplars.length;
    for (let b = 0; b < n; b++) {
      const q = ref.int(C);
      let d = ref.int(C - 1);
      if (d >= q) d++;
      const slot = ref.int(2);
      const [e0, e1, eq] = [ref.int(E), ref.int(E), ref.int(E)];
      const [p0, p1] = pairs[ref.int(pairs.length)];
      const flip = ref.int(2);
      const [a, other] = flip ? [p1, p0] : [p0, p1];
      const first = slot === 0 ? q : d;
      const second = slot === 0 ? d : q;
      expect(Array.from(batch.item.subarray(3 * b, 3 * b + 3)), `sequence ${b}`).toEqual([first * E + e0, second * E + e1, q * E + eq]);
      expect(Array.from(batch.cls.subarray(3 * b, 3 * b + 3))).toEqual([classes[first], classes[second], classes[q]]);
      const labels = slot === 0 ? [a, other] : [other, a];
      expect(Array.from(batch.contextLabel.subarray(2 * b, 2 * b + 2))).toEqual(labels);
      expect(batch.target[b]).toBe(a);
      expect(batch.querySlot[b]).toBe(slot);
      expect(classes[q]).not.toBe(classes[d]);
    }
    expect(rng.nextU32()).toBe(ref.nextU32());
  });

  it('the distribution describes itself: classes, exemplars, pairs, labels and the item table rows', () => {
    const dist = layout();
    expect(dist.name).toBe('layout');
    expect(Array.from(dist.classes)).toEqual(classes);
    expect(Array.from(dist.exemplars)).toEqual(exemplars);
    expect(dist.pairs).toEqual(pairs);
    expect(dist.numLabels).toBe(4);
    expect(dist.dim).toBe(8);
    expect(dist.nExemplars).toBe(5);
    expect(dist.itemIndex(3, 2)).toBe(3 * 3 + 2);
    for (let ci = 0; ci < classes.length; ci++)
      for (let ei = 0; ei < exemplars.length; ei++) {
        const row = dist.itemIndex(ci, ei);
        const src = (classes[ci] * 5 + exemplars[ei]) * 8;
        expect(dist.items[row]).toBe(classes[ci] * 5 + exemplars[ei]);
        expect(Array.from(dist.itemFeatures.subarray(row * 8, row * 8 + 8))).toEqual(Array.from(features.data.subarray(src, src + 8)));
      }
  });
});

describe('sampler input checks at their edges', () => {
  const make = (classes: number[], exemplars: number[], pairs: [number, number][], numLabels: number) => () => makeDistribution('d', features, classes, exemplars, pairs, numLabels);

  it('the smallest valid distribution: 2 classes, 1 exemplar, 1 pair, 2 labels, indices at the table’s last entries', () => {
    expect(make([0, 11], [4], [[1, 0]], 2)).not.toThrow();
  });

  it('class indices: −1 and the table size are refused, naming the class; duplicates refused', () => {
    expect(make([0, -1], [0], [[0, 1]], 2)).toThrow("distribution d: class -1 outside the feature table's 12 classes");
    expect(make([0, 12], [0], [[0, 1]], 2)).toThrow("distribution d: class 12 outside the feature table's 12 classes");
    expect(make([3, 3], [0], [[0, 1]], 2)).toThrow('distribution d: duplicate class indices');
    expect(make([3], [0], [[0, 1]], 2)).toThrow('distribution d: needs at least 2 classes (query and distractor), got 1');
  });

  it('exemplar indices: −1 and the table size are refused, naming the exemplar; duplicates refused', () => {
    expect(make([0, 1], [-1], [[0, 1]], 2)).toThrow("distribution d: exemplar -1 outside the feature table's 5 exemplars");
    expect(make([0, 1], [5], [[0, 1]], 2)).toThrow("distribution d: exemplar 5 outside the feature table's 5 exemplars");
    expect(make([0, 1], [2, 2], [[0, 1]], 2)).toThrow('distribution d: duplicate exemplar indices');
    expect(make([0, 1], [], [[0, 1]], 2)).toThrow('distribution d: needs at least 1 exemplar');
  });

  it('numLabels: an integer of at least 2', () => {
    expect(make([0, 1], [0], [[0, 1]], 1)).toThrow('distribution d: numLabels must be an integer >= 2, got 1');
    expect(make([0, 1], [0], [[0, 1]], 2.5)).toThrow('distribution d: numLabels must be an integer >= 2, got 2.5');
  });

  it('label pairs: two different integer labels in [0, numLabels)', () => {
    for (const [a, b] of [[0, 0], [-1, 1], [1, -1], [0, 3], [3, 0], [0.5, 1], [1, 1.5]] as [number, number][])
      expect(make([0, 1], [0], [[0, 1], [a, b]], 3), `(${a}, ${b})`).toThrow(`distribution d: bad label pair (${a}, ${b}) for 3 labels`);
    expect(make([0, 1], [0], [[2, 0], [0, 2]], 3)).not.toThrow();
    expect(make([0, 1], [0], [], 3)).toThrow('distribution d: needs at least 1 label pair');
  });
});

describe('trainDistribution', () => {
  it('is named train and draws from the task’s train classes, exemplars, pairs and label count', () => {
    const full = syntheticFeatures();
    const task = buildTask(defaultTaskConfig(), full);
    const dist = trainDistribution(task, full);
    expect(dist.name).toBe('train');
    expect(Array.from(dist.classes)).toEqual(Array.from(task.trainClasses));
    expect(Array.from(dist.exemplars)).toEqual(Array.from(task.trainExemplars));
    expect(dist.pairs).toEqual(task.pairs.train.map(([a, b]) => [a, b]));
    expect(dist.numLabels).toBe(task.config.numLabels);
  });
});
