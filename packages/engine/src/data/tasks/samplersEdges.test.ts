/**
 * The task samplers beyond the paper's (bursty.ts, kShot.ts, repeatTokens.ts, layout.ts, index.ts) on small
 * draws: every token of a few sequences replayed from the RNG call order their docstrings define, written
 * again here from the definitions (Zipf by a linear scan of the weights, distinct draws by a fresh partial
 * Fisher-Yates each time), plus the item tables, the eval-set wiring and each refusal's message. The
 * statistical checks over tens of thousands of draws stay in tasks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../configError.js';
import { Rng } from '../../rng.js';
import { buildTask } from '../task.js';
import { allocBatch, allocLayoutBatch, labelToken, type FeatureSource, type TaskConfig } from '../types.js';
import { BURSTY_EVAL_SETS, burstyEvalSets, burstyTrainDistribution, checkBurstyFits, classLabels, zipfCdf } from './bursty.js';
import { taskData, taskEvalSetOmissions } from './index.js';
import { kShotDistribution } from './kShot.js';
import { distinctDrawer, itemTable, layoutOf, range, shufflePrefix } from './layout.js';
import { REPEAT_EVAL_SETS, repeatEvalSets, repeatTrainDistribution } from './repeatTokens.js';
import { BurstySchema, RepeatSchema } from './schema.js';

/** nClasses x nExemplars rows of dim 2: row r holds [r, −r]. */
function table(nClasses: number, nExemplars: number): FeatureSource {
  const data = new Float32Array(nClasses * nExemplars * 2);
  for (let r = 0; r < nClasses * nExemplars; r++) data.set([r, -r], 2 * r);
  return { nClasses, nExemplars, dim: 2, data, description: 'hand table' };
}

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

/** Zipf rank by a linear scan of the normalised weights (r + 1)^−α. */
function zipf(rng: Rng, n: number, alpha: number): number {
  const w = Array.from({ length: n }, (_, r) => (r + 1) ** -alpha);
  const total = w.reduce((a, x) => a + x, 0);
  const u = rng.uniform();
  let s = 0;
  for (let r = 0; r < n; r++) if ((s += w[r]) / total > u) return r;
  return n - 1;
}

/** k distinct values of 0..n−1: a fresh partial Fisher-Yates. */
function distinct(rng: Rng, n: number, k: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p.slice(0, k);
}

function shuffle(rng: Rng, a: number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

describe('layout helpers', () => {
  it('itemTable: class-major rows of classes x exemplars, their features and classes', () => {
    const t = itemTable(table(4, 3), Int32Array.from([2, 0]), Int32Array.from([1, 2]));
    expect(Array.from(t.items)).toEqual([7, 8, 1, 2]);
    expect(Array.from(t.itemClass)).toEqual([2, 2, 0, 0]);
    expect(Array.from(t.itemFeatures)).toEqual([7, -7, 8, -8, 1, -1, 2, -2]);
  });

  it('layoutOf refuses a batch without the right layout', () => {
    const msg = 'distribution d: needs a batch of 5-token sequences (allocLayoutBatch(B, 5))';
    expect(thrown(() => layoutOf(allocBatch(2), 'd', 5)).message).toBe(msg);
    expect(thrown(() => layoutOf(allocLayoutBatch(2, 7), 'd', 5)).message).toBe(msg);
    const short = { ...allocBatch(2), layout: { seqLen: 5, tokens: new Int32Array(5), cls: new Int32Array(5) } };
    expect(thrown(() => layoutOf(short, 'd', 5)).message).toBe(msg);
    const ok = allocLayoutBatch(2, 5);
    expect(layoutOf(ok, 'd', 5)).toBe(ok.layout);
    expect(Array.from(range(3, 4))).toEqual([3, 4, 5, 6]);
  });

  it('distinctDrawer: each draw is a fresh partial Fisher-Yates (the swaps are undone)', () => {
    const draw = distinctDrawer(7, 4);
    const [a, b] = [new Rng(5), new Rng(5)];
    const out = new Int32Array(4);
    for (let i = 0; i < 6; i++) {
      const k = 1 + (i % 4);
      draw(a, k, out);
      expect(Array.from(out.subarray(0, k)), `draw ${i}`).toEqual(distinct(b, 7, k));
    }
  });

  it('shufflePrefix: Fisher-Yates over the first n entries only', () => {
    const a = Int32Array.from([10, 11, 12, 13, 14, 15]);
    shufflePrefix(new Rng(3), a, 4);
    const want = [10, 11, 12, 13];
    shuffle(new Rng(3), want);
    expect(Array.from(a)).toEqual([...want, 14, 15]);
  });
});

describe('bursty', () => {
  it('zipfCdf: normalised cumulative weights (r + 1)^−α, the last exactly 1', () => {
    const c = zipfCdf(3, 1);
    const H = 1 + 1 / 2 + 1 / 3;
    expect(c[0]).toBeCloseTo(1 / H, 14);
    expect(c[1]).toBeCloseTo(1.5 / H, 14);
    expect(c[2]).toBe(1);
    expect(Array.from(zipfCdf(4, 0))).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('classLabels: one uniform label per training class from labelSeed', () => {
    const c = BurstySchema.parse({ trainClasses: 6, labelSeed: 4 });
    const rng = new Rng(4);
    expect(Array.from(classLabels(c, 5))).toEqual(Array.from({ length: 6 }, () => rng.int(5)));
  });

  it('checkBurstyFits: classes and exemplars against the table, ConfigErrors naming the fields', () => {
    const f = table(10, 3);
    expect(() => checkBurstyFits(BurstySchema.parse({ trainClasses: 8, holdoutClasses: 2, exemplars: 3 }), f)).not.toThrow();
    const e = thrown(() => checkBurstyFits(BurstySchema.parse({ trainClasses: 8, holdoutClasses: 3 }), f));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('config: task.bursty.trainClasses 8 + holdoutClasses 3 need 11 classes, the features have 10 (hand table)');
    const x = thrown(() => checkBurstyFits(BurstySchema.parse({ trainClasses: 8, holdoutClasses: 2, exemplars: 4 }), f));
    expect(x).toBeInstanceOf(ConfigError);
    expect(x.message).toBe('config: task.bursty.exemplars 4: the features have 3 exemplars per class');
    expect(() => burstyTrainDistribution(BurstySchema.parse({ trainClasses: 8, holdoutClasses: 3 }), f, 4)).toThrow(ConfigError);
  });

  // 12 classes x 3 exemplars: 8 training classes in rank order, the last 3 held out, 2 exemplars used.
  const cfg = (o: object) => BurstySchema.parse({ contextPairs: 5, burstiness: 2, zipfExponent: 1.5, trainClasses: 8, commonClasses: 3, holdoutClasses: 3, exemplars: 2, labelSeed: 2, ...o });

  /** One training sequence replayed from the docstring's RNG order: [tokens, target]. */
  function trainSeq(rng: Rng, c: ReturnType<typeof cfg>, labels: Int32Array): [number[], number] {
    const k = c.contextPairs;
    const bursty = rng.uniform() < c.pBursty;
    const q = zipf(rng, c.trainClasses, c.zipfExponent);
    let ctx: number[];
    if (bursty) {
      let d = zipf(rng, c.trainClasses, c.zipfExponent);
      while (d === q) d = zipf(rng, c.trainClasses, c.zipfExponent);
      ctx = [...Array(c.burstiness).fill(q), ...Array(c.burstiness).fill(d)];
      while (ctx.length < k) ctx.push(zipf(rng, c.trainClasses, c.zipfExponent));
      shuffle(rng, ctx);
    } else ctx = Array.from({ length: k }, () => zipf(rng, c.trainClasses, c.zipfExponent));
    const toks = ctx.flatMap((ci) => [ci * 2 + rng.int(2), labelToken(labels[ci])]);
    toks.push(q * 2 + rng.int(2));
    return [toks, labels[q]];
  }

  for (const pBursty of [0, 1, 0.5])
    it(`training sequences with pBursty ${pBursty}: every token replayed from the RNG order`, () => {
      const c = cfg({ pBursty });
      const d = burstyTrainDistribution(c, table(12, 3), 4);
      expect(d.seqLen).toBe(11);
      expect(d.name).toBe('train');
      expect(d.numLabels).toBe(4);
      expect(d.dim).toBe(2);
      expect(Array.from(d.items)).toEqual([0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22]);
      expect(Array.from(d.itemClass)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
      const n = 12;
      const b = allocLayoutBatch(n, 11);
      d.sample(new Rng(31), b);
      const ref = new Rng(31);
      const labels = classLabels(c, 4);
      for (let s = 0; s < n; s++) {
        const [toks, target] = trainSeq(ref, c, labels);
        expect(Array.from(b.layout.tokens.subarray(s * 11, s * 11 + 11)), `sequence ${s}`).toEqual(toks);
        expect(b.target[s]).toBe(target);
        expect(Array.from(b.layout.cls.subarray(s * 11, s * 11 + 11))).toEqual(toks.map((t) => (t < 0 ? -1 : Math.floor(t / 2))));
        if (pBursty === 1) {
          // burstiness copies of the query's class, as many of one other class
          const ctx = [0, 2, 4, 6, 8].map((i) => b.layout.cls[s * 11 + i]);
          const q = b.layout.cls[s * 11 + 10];
          expect(ctx.filter((x) => x === q).length).toBeGreaterThanOrEqual(2);
        }
      }
    });

  it('eval sets from one Rng(seedEval): bursty_train, then iwl_common, then icl_holdout, token by token', () => {
    const c = cfg({ pBursty: 0.6 });
    const L = 4;
    const n = 6;
    const sets = burstyEvalSets(c, table(12, 3), L, 17, n);
    expect(sets.map((s) => s.name)).toEqual([...BURSTY_EVAL_SETS]);
    expect(BURSTY_EVAL_SETS).toEqual(['bursty_train', 'iwl_common', 'icl_holdout']);
    const ref = new Rng(17);
    const labels = classLabels(c, L);
    const at = (set: number, s: number) => Array.from(sets[set].batch.layout!.tokens.subarray(s * 11, s * 11 + 11));
    for (let s = 0; s < n; s++) {
      const [toks, target] = trainSeq(ref, c, labels);
      expect(at(0, s)).toEqual(toks);
      expect(sets[0].batch.target[s]).toBe(target);
    }
    for (let s = 0; s < n; s++) {
      const q = ref.int(c.commonClasses);
      const ctx = Array.from({ length: 5 }, () => {
        for (;;) {
          const r = zipf(ref, c.trainClasses, c.zipfExponent);
          if (r !== q) return r;
        }
      });
      const toks = ctx.flatMap((ci) => [ci * 2 + ref.int(2), labelToken(labels[ci])]);
      toks.push(q * 2 + ref.int(2));
      expect(at(1, s), `iwl ${s}`).toEqual(toks);
      expect(sets[1].batch.target[s]).toBe(labels[q]);
      expect(sets[1].batch.layout!.cls[s * 11 + 10]).toBe(q);
    }
    // icl_holdout: classes 9, 10, 11 (the table's last 3), item rows over them
    expect(Array.from(sets[2].distribution.items)).toEqual([27, 28, 30, 31, 33, 34]);
    expect(Array.from(sets[2].distribution.itemClass)).toEqual([9, 9, 10, 10, 11, 11]);
    for (let s = 0; s < n; s++) {
      const q = ref.int(3);
      let d = ref.int(2);
      if (d >= q) d++;
      const ctx = [q, q, d, d, d];
      shuffle(ref, ctx);
      const la = ref.int(L);
      let lb = ref.int(L - 1);
      if (lb >= la) lb++;
      const toks = ctx.flatMap((ci) => [ci * 2 + ref.int(2), labelToken(ci === q ? la : lb)]);
      toks.push(q * 2 + ref.int(2));
      expect(at(2, s), `icl ${s}`).toEqual(toks);
      expect(sets[2].batch.target[s]).toBe(la);
      expect(Array.from(sets[2].batch.layout!.cls.subarray(s * 11, s * 11 + 11))).toEqual(toks.map((t) => (t < 0 ? -1 : 9 + Math.floor(t / 2))));
    }
  });

  it('without exemplars set, every exemplar of the table is used', () => {
    const c = BurstySchema.parse({ contextPairs: 2, burstiness: 1, trainClasses: 2, commonClasses: 1, holdoutClasses: 2 });
    const d = burstyTrainDistribution(c, table(4, 3), 3);
    expect(Array.from(d.items)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('kShot', () => {
  it('every token replayed: k distinct classes, the slot, k + 1 exemplars, k distinct labels', () => {
    const f = table(9, 4);
    const classes = Int32Array.from([2, 3, 5, 7, 8]);
    const ex = Int32Array.from([1, 3]);
    const d = kShotDistribution('kk', f, classes, ex, 3, 6);
    expect(d.seqLen).toBe(7);
    expect(d.name).toBe('kk');
    expect(d.numLabels).toBe(6);
    expect(d.dim).toBe(2);
    expect(Array.from(d.items)).toEqual([9, 11, 13, 15, 21, 23, 29, 31, 33, 35]);
    expect(Array.from(d.itemClass)).toEqual([2, 2, 3, 3, 5, 5, 7, 7, 8, 8]);
    const n = 10;
    const b = allocLayoutBatch(n, 7);
    d.sample(new Rng(8), b);
    const ref = new Rng(8);
    for (let s = 0; s < n; s++) {
      const cs = distinct(ref, 5, 3);
      const slot = ref.int(3);
      const rows = cs.map((c) => c * 2 + ref.int(2));
      const qRow = cs[slot] * 2 + ref.int(2);
      const ls = distinct(ref, 6, 3);
      const toks = [rows[0], labelToken(ls[0]), rows[1], labelToken(ls[1]), rows[2], labelToken(ls[2]), qRow];
      expect(Array.from(b.layout.tokens.subarray(s * 7, s * 7 + 7)), `sequence ${s}`).toEqual(toks);
      expect(Array.from(b.layout.cls.subarray(s * 7, s * 7 + 7))).toEqual([classes[cs[0]], -1, classes[cs[1]], -1, classes[cs[2]], -1, classes[cs[slot]]]);
      expect(b.target[s]).toBe(ls[slot]);
      expect(b.querySlot[s]).toBe(slot);
    }
  });

  it('refuses too few classes, labels or exemplars, naming the distribution', () => {
    const f = table(9, 4);
    expect(thrown(() => kShotDistribution('a', f, Int32Array.from([0, 1]), Int32Array.from([0]), 3, 6)).message).toBe('distribution a: 3 pairs need 3 distinct classes, it has 2');
    expect(thrown(() => kShotDistribution('b', f, Int32Array.from([0, 1, 2]), Int32Array.from([0]), 3, 2)).message).toBe('distribution b: 3 pairs need 3 distinct labels, numLabels is 2');
    expect(thrown(() => kShotDistribution('c', f, Int32Array.from([0, 1, 2]), new Int32Array(0), 3, 3)).message).toBe('distribution c: needs at least 1 exemplar');
    expect(() => kShotDistribution('d', f, Int32Array.from([0, 1, 2]), Int32Array.from([0]), 3, 3)).not.toThrow();
  });
});

describe('repeatTokens', () => {
  function repeatSeq(rng: Rng, V: number, n: number, m: number, shuffled: boolean): [number[], number] {
    const prefix = distinct(rng, V, n);
    const j = rng.int(n - m);
    const target = prefix[j + m];
    const rep = prefix.slice(j, j + m);
    if (shuffled) shuffle(rng, prefix);
    return [[...prefix, ...rep].map(labelToken), target];
  }

  it('training draws replayed: n distinct tokens, m of them again from offset j, the next one the target', () => {
    const c = RepeatSchema.parse({ prefixLength: 5, repeatLength: 2 });
    const d = repeatTrainDistribution(c, 9, 3);
    expect(d.seqLen).toBe(7);
    expect(d.name).toBe('train');
    expect(d.numLabels).toBe(9);
    expect(d.dim).toBe(3);
    expect(Array.from(d.items)).toEqual([0]);
    expect(Array.from(d.itemFeatures)).toEqual([0, 0, 0]);
    expect(Array.from(d.itemClass)).toEqual([-1]);
    const b = allocLayoutBatch(8, 7);
    d.sample(new Rng(2), b);
    const ref = new Rng(2);
    for (let s = 0; s < 8; s++) {
      const [toks, target] = repeatSeq(ref, 9, 5, 2, false);
      expect(Array.from(b.layout.tokens.subarray(s * 7, s * 7 + 7)), `sequence ${s}`).toEqual(toks);
      expect(b.target[s]).toBe(target);
    }
  });

  it('eval sets from one Rng(seedEval): repeat, then repeat_shuffled (prefix shuffled after the draw)', () => {
    const c = RepeatSchema.parse({ prefixLength: 4, repeatLength: 1 });
    const sets = repeatEvalSets(c, 6, 2, 11, 5);
    expect(sets.map((s) => s.name)).toEqual([...REPEAT_EVAL_SETS]);
    expect(REPEAT_EVAL_SETS).toEqual(['repeat', 'repeat_shuffled']);
    const ref = new Rng(11);
    for (const [i, shuffled] of [false, true].entries())
      for (let s = 0; s < 5; s++) {
        const [toks, target] = repeatSeq(ref, 6, 4, 1, shuffled);
        expect(Array.from(sets[i].batch.layout!.tokens.subarray(s * 5, s * 5 + 5)), `${sets[i].name} ${s}`).toEqual(toks);
        expect(sets[i].batch.target[s]).toBe(target);
      }
    expect(sets[1].distribution.seqLen).toBe(5);
  });

  it('refuses a vocabulary too small for the prefix, or a repeat with no next token', () => {
    expect(thrown(() => repeatTrainDistribution({ prefixLength: 5, repeatLength: 1 }, 4, 2)).message).toBe('distribution train: 5 distinct tokens need a vocabulary of 5, it has 4');
    expect(thrown(() => repeatTrainDistribution({ prefixLength: 5, repeatLength: 5 }, 9, 2)).message).toBe('distribution train: 5 repeated tokens leave no next token in a prefix of 5');
    expect(() => repeatTrainDistribution({ prefixLength: 5, repeatLength: 4 }, 5, 2)).not.toThrow();
  });
});

describe('taskData and taskEvalSetOmissions', () => {
  const tcfg = (o: Partial<TaskConfig> = {}): TaskConfig => ({ classSplit: [4, 2, 3], exemplarSplit: [1, 1, 0], numLabels: 4, labelPairSplit: [5, 1, 0], pairSeed: 1, ...o });

  it('k shots: train over the training classes and exemplars; fsl_train, fsl_train_valex, fsl_test_class from one Rng(seedEval)', () => {
    const f = table(9, 2);
    const task = buildTask(tcfg(), f);
    const td = taskData({ numLabels: 4, shots: 3 }, task, f, 21, 4);
    expect(td.seqLen).toBe(7);
    expect(td.train.name).toBe('train');
    expect(Array.from(td.train.items)).toEqual([0, 2, 4, 6]);
    expect(td.evalSets.map((s) => s.name)).toEqual(['fsl_train', 'fsl_train_valex', 'fsl_test_class']);
    expect(Array.from(td.evalSets[1].distribution.items)).toEqual([1, 3, 5, 7]);
    expect(Array.from(td.evalSets[2].distribution.items)).toEqual([12, 14, 16]);
    // the sets continue one stream: each equals a fresh draw of its distribution from the shared Rng
    const rng = new Rng(21);
    for (const s of td.evalSets) {
      const b = allocLayoutBatch(4, 7);
      s.distribution.sample(rng, b);
      expect(Array.from(s.batch.layout!.tokens), s.name).toEqual(Array.from(b.layout.tokens));
      expect(Array.from(s.batch.target), s.name).toEqual(Array.from(b.target));
    }
    expect(taskEvalSetOmissions({ numLabels: 4, shots: 3 }, task)).toEqual([{ name: 'fsl_val_rl', reason: '3 shots draw their labels from all 4, so no label pairs are held out' }]);
  });

  it('k shots: a set its split cannot hold is left out, with its reason', () => {
    const f = table(9, 2);
    const task = buildTask(tcfg({ classSplit: [4, 3, 2], exemplarSplit: [1, 0, 0] }), f);
    const td = taskData({ numLabels: 4, shots: 3 }, task, f, 21, 2);
    expect(td.evalSets.map((s) => s.name)).toEqual(['fsl_train']);
    expect(taskEvalSetOmissions({ numLabels: 4, shots: 3 }, task)).toEqual([
      { name: 'fsl_val_rl', reason: '3 shots draw their labels from all 4, so no label pairs are held out' },
      { name: 'fsl_train_valex', reason: 'no val exemplars (exemplarSplit gives 0)' },
      { name: 'fsl_test_class', reason: '2 test classes, 3 shots need 3' },
    ]);
    // exactly k test classes are enough
    const task3 = buildTask(tcfg({ classSplit: [3, 3, 3] }), f);
    expect(taskData({ numLabels: 4, shots: 3 }, task3, f, 21, 2).evalSets.map((s) => s.name)).toEqual(['fsl_train', 'fsl_train_valex', 'fsl_test_class']);
  });

  it('k shots with fewer training classes than shots is a ConfigError', () => {
    const f = table(9, 2);
    const task = buildTask(tcfg({ classSplit: [3, 2, 3] }), f);
    const e = thrown(() => taskData({ numLabels: 4, shots: 4 }, task, f, 1, 2));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('config: task.shots 4 needs 4 distinct training classes per sequence, task.classSplit gives 3');
  });

  it("the paper's task keeps its own sampler and sets; bursty and repeatTokens build theirs and omit none", () => {
    const f = table(9, 2);
    const task = buildTask(tcfg(), f);
    const paper = taskData({ numLabels: 4 }, task, f, 3, 2);
    expect(paper.seqLen).toBe(5);
    expect(paper.train.seqLen).toBeUndefined();
    expect(paper.evalSets.every((s) => s.batch.layout === undefined)).toBe(true);
    expect(taskEvalSetOmissions({ numLabels: 4 }, task)).toEqual([]);

    const bsel = { numLabels: 4, kind: 'bursty' as const, bursty: { contextPairs: 2, burstiness: 1, trainClasses: 5, commonClasses: 2, holdoutClasses: 2 } };
    const bd = taskData(bsel, task, f, 3, 2);
    expect(bd.seqLen).toBe(5);
    expect(bd.evalSets.map((s) => s.name)).toEqual(['bursty_train', 'iwl_common', 'icl_holdout']);
    expect(Array.from(bd.evalSets[0].batch.layout!.tokens)).toEqual(Array.from(burstyEvalSets(BurstySchema.parse(bsel.bursty), f, 4, 3, 2)[0].batch.layout!.tokens));
    expect(taskEvalSetOmissions(bsel, task)).toEqual([]);
    const tooBig = { ...bsel, bursty: { ...bsel.bursty, trainClasses: 8 } };
    expect(thrown(() => taskData(tooBig, task, f, 3, 2))).toBeInstanceOf(ConfigError);

    const rsel = { numLabels: 4, kind: 'repeatTokens' as const, repeat: { prefixLength: 3, repeatLength: 1 } };
    const rd = taskData(rsel, task, f, 3, 2);
    expect(rd.seqLen).toBe(4);
    expect(rd.train.numLabels).toBe(4);
    expect(rd.train.dim).toBe(2);
    expect(rd.evalSets.map((s) => s.name)).toEqual(['repeat', 'repeat_shuffled']);
    expect(Array.from(rd.evalSets[1].batch.layout!.tokens)).toEqual(Array.from(repeatEvalSets(RepeatSchema.parse(rsel.repeat), 4, 2, 3, 2)[1].batch.layout!.tokens));
    expect(taskEvalSetOmissions(rsel, task)).toEqual([]);
  });
});
