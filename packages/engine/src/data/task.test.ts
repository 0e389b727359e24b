import { describe, expect, it } from 'vitest';
import { buildTask, defaultTaskConfig } from './task.js';
import type { FeatureSource, TaskConfig } from './types.js';

/** buildTask only reads the table's shape, so a data-less stand-in keeps these tests instant. */
function shapeOnly(nClasses = 1623, nExemplars = 5, dim = 512): FeatureSource {
  return { nClasses, nExemplars, dim, data: new Float32Array(0), description: `shape-only(${nClasses},${nExemplars},${dim})` };
}

function config(overrides: Partial<TaskConfig> = {}): TaskConfig {
  return { ...defaultTaskConfig(), ...overrides };
}

/** Spec 1.3 counts, written out independently of the code under test. */
function expectedPairCounts(L: number, split: [number, number, number]) {
  const n = (L * (L - 1)) / 2;
  const sum = split[0] + split[1] + split[2];
  const test = Math.floor((n * split[2]) / sum);
  const val = Math.floor((n * split[1]) / sum);
  return { n, train: n - test - val, val, test };
}

describe('defaultTaskConfig', () => {
  it('is the paper main configuration', () => {
    expect(defaultTaskConfig()).toEqual({
      classSplit: [50, 1473, 100],
      exemplarSplit: [1, 4, 0],
      numLabels: 5,
      labelPairSplit: [8, 2, 0],
      pairSeed: 20,
    });
  });
});

describe('buildTask: splits (spec 1.2)', () => {
  for (const C of [50, 100, 200]) {
    it(`class split [${C}, ${1523 - C}, 100] is consecutive ranges, test = last 100`, () => {
      const task = buildTask(config({ classSplit: [C, 1523 - C, 100] }), shapeOnly());
      expect(Array.from(task.trainClasses)).toEqual(Array.from({ length: C }, (_, i) => i));
      expect(Array.from(task.valClasses)).toEqual(Array.from({ length: 1523 - C }, (_, i) => C + i));
      expect(Array.from(task.testClasses)).toEqual(Array.from({ length: 100 }, (_, i) => 1523 + i));
    });
  }

  it('exemplar split [1,4,0] gives train {0}, val {1..4}, test {}', () => {
    const task = buildTask(defaultTaskConfig(), shapeOnly());
    expect(Array.from(task.trainExemplars)).toEqual([0]);
    expect(Array.from(task.valExemplars)).toEqual([1, 2, 3, 4]);
    expect(Array.from(task.testExemplars)).toEqual([]);
  });
});

describe('buildTask: label pairs (spec 1.3)', () => {
  it('the spec table: 5 labels 8/2/0, 10 labels 36/9/0, 15 labels 84/21/0', () => {
    for (const [L, tr, va] of [[5, 8, 2], [10, 36, 9], [15, 84, 21]] as const) {
      const t = buildTask(config({ numLabels: L }), shapeOnly());
      expect([t.pairs.train.length, t.pairs.val.length, t.pairs.test.length]).toEqual([tr, va, 0]);
    }
  });

  const cases: [number, number, [number, number, number]][] = [];
  for (const C of [50, 100, 200]) for (const L of [5, 10, 15]) cases.push([C, L, [8, 2, 0]]);
  cases.push([50, 5, [6, 2, 2]], [50, 10, [1, 1, 1]], [50, 15, [3, 1, 1]]);
  for (const [C, L, split] of cases) {
    it(`${C} classes, ${L} labels, split [${split.join(',')}]: counts, disjoint, cover, every label in train`, () => {
      const task = buildTask(config({ classSplit: [C, 1523 - C, 100], numLabels: L, labelPairSplit: split }), shapeOnly());
      const exp = expectedPairCounts(L, split);
      expect(task.pairs.train.length).toBe(exp.train);
      expect(task.pairs.val.length).toBe(exp.val);
      expect(task.pairs.test.length).toBe(exp.test);

      const all = [...task.pairs.train, ...task.pairs.val, ...task.pairs.test];
      const keys = all.map(([a, b]) => `${a},${b}`);
      expect(new Set(keys).size).toBe(exp.n); // disjoint and no duplicates
      for (const [a, b] of all) {
        expect(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a < b && b < L).toBe(true);
      }
      const every: string[] = [];
      for (let a = 0; a < L; a++) for (let b = a + 1; b < L; b++) every.push(`${a},${b}`);
      expect(new Set(keys)).toEqual(new Set(every)); // covers all pairs
      const inTrain = new Set(task.pairs.train.flat());
      for (let l = 0; l < L; l++) expect(inTrain.has(l), `label ${l} in a train pair`).toBe(true);
    });
  }

  it('is deterministic in pairSeed and depends on it', () => {
    const a = buildTask(defaultTaskConfig(), shapeOnly());
    const b = buildTask(defaultTaskConfig(), shapeOnly());
    expect(a.pairs).toEqual(b.pairs);
    const vals = new Set<string>();
    for (let s = 0; s < 10; s++) vals.add(JSON.stringify(buildTask(config({ pairSeed: s }), shapeOnly()).pairs.val));
    expect(vals.size).toBeGreaterThan(1);
  });

  it('retries until every label is in a train pair (6 labels, 3 train pairs = a perfect matching)', () => {
    // 12 of 15 pairs held out: only 15 of the C(15,3) = 455 train triples cover all six labels, so a
    // single permutation almost always fails and the retry loop must do the work.
    for (let seed = 0; seed < 20; seed++) {
      const t = buildTask(config({ numLabels: 6, labelPairSplit: [1, 4, 0], pairSeed: seed }), shapeOnly());
      expect(t.pairs.train.length).toBe(3);
      expect(new Set(t.pairs.train.flat()).size).toBe(6);
    }
  });

  it('the config is copied, not aliased', () => {
    const cfg = defaultTaskConfig();
    const t = buildTask(cfg, shapeOnly());
    cfg.classSplit[0] = 7;
    expect(t.config.classSplit[0]).toBe(50);
  });
});

describe('buildTask: validation', () => {
  const cases: [string, Partial<TaskConfig>, FeatureSource, RegExp][] = [
    ['too many classes', { classSplit: [50, 1474, 100] }, shapeOnly(), /classSplit \[50, 1474, 100\] needs 1624 classes, the features have 1623/],
    ['too many exemplars', { exemplarSplit: [1, 4, 1] }, shapeOnly(), /exemplarSplit \[1, 4, 1\] needs 6 exemplars, the features have 5/],
    ['small file', {}, shapeOnly(100, 5), /classSplit .* needs 1623 classes, the features have 100/],
    ['one label', { numLabels: 1 }, shapeOnly(), /numLabels must be an integer >= 2, got 1/],
    ['fractional labels', { numLabels: 4.5 }, shapeOnly(), /numLabels/],
    ['one train class', { classSplit: [1, 10, 10] }, shapeOnly(), /classSplit train count is 1, need at least 2/],
    ['no train exemplar', { exemplarSplit: [0, 4, 0] }, shapeOnly(), /exemplarSplit train count is 0/],
    ['negative split', { classSplit: [50, -1, 100] }, shapeOnly(), /classSplit must be three non-negative integers/],
    ['zero pair split', { labelPairSplit: [0, 0, 0] }, shapeOnly(), /labelPairSplit must be three non-negative numbers with a positive sum/],
    ['no train pairs', { labelPairSplit: [0, 1, 0] }, shapeOnly(), /leaves 0 train pairs of 10; 5 labels need at least 3/],
    ['too few train pairs to cover labels', { numLabels: 6, labelPairSplit: [1, 10, 0] }, shapeOnly(), /leaves 2 train pairs of 15; 6 labels need at least 3/],
    ['bad pair seed', { pairSeed: 0.5 }, shapeOnly(), /pairSeed must be an integer/],
  ];
  for (const [what, cfg, f, re] of cases) {
    it(`rejects: ${what}`, () => {
      expect(() => buildTask(config(cfg), f)).toThrow(re);
    });
  }
});
