/**
 * The task's splits and label pairs at their edges (spec 1.2-1.3): each validation refuses the first value past
 * its bound with a line naming the field and accepts the bound itself; pair counts, the label cap, the
 * retry when a permutation leaves a label out of every train pair, and the Fig. 6 class splits. Expected values
 * are worked out by hand or by a separate loop over the seeded generator (rng.test.ts checks it).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { MAX_LABELS, allLabelPairs, buildTask, classSplitFor, defaultTaskConfig, labelPairCounts, tooManyLabels } from './task.js';
import type { FeatureSource, TaskConfig } from './types.js';

const table: FeatureSource = { nClasses: 1623, nExemplars: 5, dim: 4, data: new Float32Array(0), description: 'shape 1623x5' };
const build = (o: Partial<TaskConfig>) => () => buildTask({ ...defaultTaskConfig(), ...o }, table);

describe('label pairs', () => {
  it('counts: floor(n·p/Σp) for test and val, the rest for train', () => {
    // 5 labels: 10 pairs; [1, 1, 1] → test 3, val 3, train 4
    expect(labelPairCounts(5, [1, 1, 1])).toEqual({ train: 4, val: 3, test: 3 });
    expect(labelPairCounts(15, [8, 2, 0])).toEqual({ train: 84, val: 21, test: 0 });
    expect(allLabelPairs(4)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  });

  it('at most 1448 labels: 1448·1447/2 = 1,047,628 pairs fit in 2^20, 1449 labels (1,049,076 pairs) do not', () => {
    expect(MAX_LABELS).toBe(1448);
    expect(tooManyLabels(1448)).toBeNull();
    const line = '1449 labels make 1.05e+6 label pairs, more than the 1,048,576 the task can split (at most 1448 labels)';
    expect(tooManyLabels(1449)).toBe(line);
    expect(build({ numLabels: 1449 })).toThrow(`buildTask: numLabels 1449: ${line}`);
    // 1500·1499/2 = 1,124,250
    expect(tooManyLabels(1500)).toMatch(/^1500 labels make 1\.12e\+6 label pairs/);
  });

  it('a permutation that leaves a label out of every train pair is redrawn from the canonical order', () => {
    // 4 labels, 6 pairs, 2 for training: only 3 of the 15 pairs of pairs cover all four labels
    const cfg = { numLabels: 4, labelPairSplit: [2, 4, 0] as [number, number, number] };
    const triesPerSeed: number[] = [];
    for (const pairSeed of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const rng = new Rng(pairSeed);
      let tries = 0;
      let expected: number[][] = [];
      for (;;) {
        tries++;
        const perm = allLabelPairs(4);
        rng.shuffle(perm);
        const train = perm.slice(4);
        if (new Set(train.flat()).size === 4) {
          expected = train.map((p) => [...p]);
          break;
        }
      }
      const task = build({ ...cfg, pairSeed })();
      expect(task.pairs.train, `pairSeed ${pairSeed} after ${tries} tries`).toEqual(expected);
      triesPerSeed.push(tries);
    }
    // some seeds needed a redraw, so the retry path was exercised
    expect(Math.max(...triesPerSeed)).toBeGreaterThan(2);
  });

  it('gives up after 100000 permutations with a line that says what to change', () => {
    // 40 labels with exactly 20 train pairs: the 20 must be a perfect matching, which almost no permutation is
    expect(build({ numLabels: 40, labelPairSplit: [20, 760, 0] })).toThrow(
      "buildTask: no permutation in 100000 tries (pairSeed 20) puts all 40 labels in the 20 train pairs; lower labelPairSplit's val/test share",
    );
  }, 60_000);
});

describe('splits', () => {
  it('exemplar split [1, 2, 2]: train {0}, val {1, 2}, test {3, 4}', () => {
    const t = build({ exemplarSplit: [1, 2, 2] })();
    expect([Array.from(t.trainExemplars), Array.from(t.valExemplars), Array.from(t.testExemplars)]).toEqual([[0], [1, 2], [3, 4]]);
  });

  it('classSplitFor: N training classes, the rest but the last 100 for val; 1 to 1523 allowed', () => {
    expect(classSplitFor(50)).toEqual([50, 1473, 100]);
    expect(classSplitFor(1)).toEqual([1, 1522, 100]);
    expect(classSplitFor(1523)).toEqual([1523, 0, 100]);
    for (const n of [0, 1524, 2.5]) expect(() => classSplitFor(n)).toThrow(`${n} training classes: use 1 to 1523 (the last 100 of 1623 are the test classes)`);
  });
});

describe('validation at its bounds', () => {
  it('class and exemplar splits: three non-negative integers, naming the field', () => {
    expect(build({ classSplit: [50, -1, 100] })).toThrow('buildTask: classSplit must be three non-negative integers, got [50, -1, 100]');
    expect(build({ classSplit: [50, 100] as unknown as [number, number, number] })).toThrow('buildTask: classSplit must be three non-negative integers, got [50, 100]');
    expect(build({ exemplarSplit: [1, 0.5, 0] })).toThrow('buildTask: exemplarSplit must be three non-negative integers, got [1, 0.5, 0]');
  });

  it('at least 2 train classes (2 accepted) and numLabels of at least 2 (2 accepted)', () => {
    expect(build({ classSplit: [1, 0, 0] })).toThrow('buildTask: classSplit train count is 1, need at least 2 (every sequence has a distractor class)');
    expect(build({ classSplit: [2, 0, 0] })).not.toThrow();
    expect(build({ numLabels: 1 })).toThrow('buildTask: numLabels must be an integer >= 2, got 1');
    expect(build({ numLabels: 2, labelPairSplit: [1, 0, 0] })).not.toThrow();
  });

  it('labelPairSplit: three finite non-negative numbers with a positive sum', () => {
    for (const p of [[1, -1, 0], [2, -1, 0], [NaN, 1, 0], [Infinity, 1, 0], [0, 0, 0], [1, 1]]) {
      expect(build({ labelPairSplit: p as [number, number, number] }), `[${p}]`).toThrow(
        `buildTask: labelPairSplit must be three non-negative numbers with a positive sum, got [${p.join(', ')}]`,
      );
    }
    // 5 labels, [1, 0, 1]: 5 test pairs, 5 train pairs
    const t = build({ labelPairSplit: [1, 0, 1] })();
    expect([t.pairs.train.length, t.pairs.val.length, t.pairs.test.length]).toEqual([5, 0, 5]);
  });

  it('enough train pairs for every label to appear in one: ceil(L/2)', () => {
    expect(build({ labelPairSplit: [1, 9, 0] })).toThrow('buildTask: labelPairSplit [1, 9, 0] leaves 1 train pairs of 10; 5 labels need at least 3 for each to appear in one');
  });
});
