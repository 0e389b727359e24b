import { describe, expect, it } from 'vitest';
import { evalSetOmissions, makeEvalSets } from './evalSets.js';
import { syntheticFeatures } from './features.js';
import { buildTask, defaultTaskConfig } from './task.js';
import type { EvalSet, LabelPair, TaskConfig } from './types.js';

const features = syntheticFeatures();
const task = buildTask(defaultTaskConfig(), features);
const E = features.nExemplars;
const L = task.config.numLabels;

function byName(sets: EvalSet[], name: string): EvalSet {
  const s = sets.find((x) => x.name === name);
  if (!s) throw new Error(`no set ${name}`);
  return s;
}

/** Per sequence of a set: the three (class, exemplar) of x_1, x_2, x_q and the unordered label pair. */
function decode(set: EvalSet, b: number) {
  const rows = [0, 1, 2].map((k) => set.distribution.items[set.batch.item[3 * b + k]]);
  const l0 = set.batch.contextLabel[2 * b];
  const l1 = set.batch.contextLabel[2 * b + 1];
  return {
    cls: rows.map((r) => Math.floor(r / E)),
    ex: rows.map((r) => r % E),
    pairKey: Math.min(l0, l1) * L + Math.max(l0, l1),
  };
}

const keysOf = (pairs: readonly LabelPair[]) => new Set(pairs.map(([a, b]) => a * L + b));

describe('makeEvalSets (spec 1.6)', () => {
  // drawn on first use inside a test: a throw while vitest collects the file fails no test (Stryker would count it survived)
  let drawn: EvalSet[] | undefined;
  const sets = (): EvalSet[] => (drawn ??= makeEvalSets(task, features, 1));

  it('gives the four sets in order, 1000 sequences each', () => {
    expect(sets().map((s) => s.name)).toEqual(['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class']);
    for (const s of sets()) expect(s.batch.size).toBe(1000);
    expect(makeEvalSets(task, features, 1, 37).every((s) => s.batch.size === 37)).toBe(true);
  });

  it('is deterministic from the eval seed and differs across seeds', () => {
    const again = makeEvalSets(task, features, 1);
    const other = makeEvalSets(task, features, 2);
    for (let i = 0; i < sets().length; i++) {
      expect(again[i].batch).toEqual(sets()[i].batch);
      expect(other[i].batch).not.toEqual(sets()[i].batch);
    }
  });

  it('every set keeps the sequence invariants and its class recorded in cls', () => {
    for (const s of sets()) {
      for (let b = 0; b < s.batch.size; b++) {
        const d = decode(s, b);
        const slot = s.batch.querySlot[b];
        expect(d.cls).toEqual(Array.from(s.batch.cls.subarray(3 * b, 3 * b + 3)));
        expect(s.batch.target[b]).toBe(s.batch.contextLabel[2 * b + slot]);
        expect(d.cls[2]).toBe(d.cls[slot]);
        expect(d.cls[1 - slot]).not.toBe(d.cls[2]);
      }
    }
  });

  it('fsl_train: train classes, exemplar 0, train pairs', () => {
    const s = byName(sets(), 'fsl_train');
    const train = keysOf(task.pairs.train);
    for (let b = 0; b < s.batch.size; b++) {
      const d = decode(s, b);
      expect(d.cls.every((c) => c < 50) && d.ex.every((e) => e === 0) && train.has(d.pairKey)).toBe(true);
    }
  });

  it('fsl_val_rl: only val label pairs, and both of them occur', () => {
    const s = byName(sets(), 'fsl_val_rl');
    const val = keysOf(task.pairs.val);
    const seen = new Set<number>();
    for (let b = 0; b < s.batch.size; b++) {
      const d = decode(s, b);
      expect(val.has(d.pairKey)).toBe(true);
      expect(d.cls.every((c) => c < 50) && d.ex.every((e) => e === 0)).toBe(true);
      seen.add(d.pairKey);
    }
    expect(seen).toEqual(val);
  });

  it('fsl_train_valex: train classes, only exemplars 1..4, drawn independently per position', () => {
    const s = byName(sets(), 'fsl_train_valex');
    const train = keysOf(task.pairs.train);
    let queryDiffers = 0;
    for (let b = 0; b < s.batch.size; b++) {
      const d = decode(s, b);
      expect(d.cls.every((c) => c < 50) && d.ex.every((e) => e >= 1 && e <= 4) && train.has(d.pairKey)).toBe(true);
      if (d.ex[2] !== d.ex[s.batch.querySlot[b]]) queryDiffers++;
    }
    // P(query drawing differs from the matching context drawing) = 3/4; ±0.05 is > 3.5 sd at n = 1000.
    expect(queryDiffers / s.batch.size).toBeGreaterThan(0.7);
    expect(queryDiffers / s.batch.size).toBeLessThan(0.8);
  });

  it('fsl_test_class: only the 100 test classes, exemplar 0, train pairs', () => {
    const s = byName(sets(), 'fsl_test_class');
    const train = keysOf(task.pairs.train);
    const seen = new Set<number>();
    for (let b = 0; b < s.batch.size; b++) {
      const d = decode(s, b);
      expect(d.cls.every((c) => c >= 1523 && c < 1623) && d.ex.every((e) => e === 0) && train.has(d.pairKey)).toBe(true);
      d.cls.forEach((c) => seen.add(c));
    }
    expect(seen.size).toBe(100);
  });

  it('item features are the rows of the feature table', () => {
    for (const s of sets()) {
      const D = features.dim;
      const r = s.distribution.items.length - 1;
      const row = s.distribution.items[r];
      expect(s.distribution.itemFeatures.subarray(r * D, (r + 1) * D)).toEqual(features.data.subarray(row * D, (row + 1) * D));
    }
  });
});

describe('makeEvalSets: sets that cannot exist are omitted', () => {
  const cases: [Partial<TaskConfig>, string[], RegExp][] = [
    [{ labelPairSplit: [1, 0, 0] }, ['fsl_val_rl'], /no val label pairs/],
    [{ exemplarSplit: [1, 0, 0] }, ['fsl_train_valex'], /no val exemplars/],
    [{ classSplit: [50, 1573, 0] }, ['fsl_test_class'], /0 test classes, need 2/],
  ];
  for (const [cfg, omitted, reason] of cases) {
    it(`${JSON.stringify(cfg)} omits ${omitted.join(', ')}`, () => {
      const t = buildTask({ ...defaultTaskConfig(), ...cfg }, features);
      const names = makeEvalSets(t, features, 1, 10).map((s) => s.name);
      expect(names).toEqual(['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class'].filter((n) => !omitted.includes(n)));
      const om = evalSetOmissions(t);
      expect(om.map((o) => o.name)).toEqual(omitted);
      expect(om[0].reason).toMatch(reason);
    });
  }

  it('the test-class set needs 2 test classes: 1 omits it, exactly 2 keep it', () => {
    const withTest = (n: number) => buildTask({ ...defaultTaskConfig(), classSplit: [50, 1573 - n, n] }, features);
    expect(evalSetOmissions(withTest(1))).toEqual([{ name: 'fsl_test_class', reason: '1 test classes, need 2 (query and distractor)' }]);
    expect(evalSetOmissions(withTest(2))).toEqual([]);
    const sets = makeEvalSets(withTest(2), features, 1, 5);
    expect(sets.map((s) => s.name)).toContain('fsl_test_class');
  });

  it('n must be a positive integer: 0 and 1.5 are refused naming n, 1 is drawn', () => {
    expect(() => makeEvalSets(task, features, 1, 0)).toThrow('makeEvalSets: n must be a positive integer, got 0');
    expect(() => makeEvalSets(task, features, 1, 1.5)).toThrow('makeEvalSets: n must be a positive integer, got 1.5');
    expect(makeEvalSets(task, features, 1, 1).map((s) => s.batch.size)).toEqual([1, 1, 1, 1]);
  });

  it('the paper configuration omits nothing', () => {
    expect(evalSetOmissions(task)).toEqual([]);
  });
});
