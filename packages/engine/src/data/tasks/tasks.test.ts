/**
 * The samplers of issue 23's tasks, each checked per sequence against its definition and, for the
 * random choices, against the probabilities computed here from the definition (binomial bounds at 5σ).
 */
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../config.js';
import { syntheticFeatures } from '../synthetic.js';
import { buildTask, defaultTaskConfig } from '../task.js';
import { makeEvalSets } from '../evalSets.js';
import { trainDistribution } from '../sampler.js';
import { allocBatch, allocLayoutBatch, tokenLabel, type SequenceBatch } from '../types.js';
import { Rng } from '../../rng.js';
import { BurstySchema, RepeatSchema, taskData, taskSeqLen, type TaskSelection } from './index.js';
import { burstyEvalSets, burstyTrainDistribution, classLabels } from './bursty.js';
import { repeatEvalSets, repeatTrainDistribution } from './repeatTokens.js';
import { kShotDistribution } from './kShot.js';

const features = syntheticFeatures({ nClasses: 1623, nExemplars: 5, dim: 16 });
const task = buildTask(defaultTaskConfig(), features);

/** |observed − expected| within 5 binomial standard deviations (plus one count). */
function withinBinomial(count: number, n: number, p: number): boolean {
  return Math.abs(count - n * p) <= 5 * Math.sqrt(n * p * (1 - p)) + 1;
}

const draw = (sample: (rng: Rng, out: SequenceBatch) => void, n: number, T: number, seed: number) => {
  const b = allocLayoutBatch(n, T);
  sample(new Rng(seed), b);
  return b;
};

describe('bursty Zipfian sequences (Chan et al. 2022)', () => {
  it('draws the query class with Zipf frequencies (rank r ∝ (r + 1)^−α) in non-bursty training', () => {
    const c = BurstySchema.parse({ contextPairs: 4, burstiness: 2, pBursty: 0, zipfExponent: 1.3, trainClasses: 12, commonClasses: 3, holdoutClasses: 10 });
    const d = burstyTrainDistribution(c, features, 8);
    const n = 40_000;
    const b = draw(d.sample, n, 9, 3);
    const H = Array.from({ length: 12 }, (_, r) => (r + 1) ** -1.3).reduce((a, x) => a + x, 0);
    const q = new Array(12).fill(0);
    const ctx = new Array(12).fill(0);
    for (let s = 0; s < n; s++) {
      q[b.layout.cls[s * 9 + 8]]++;
      for (let i = 0; i < 4; i++) ctx[b.layout.cls[s * 9 + 2 * i]]++;
    }
    for (let r = 0; r < 12; r++) {
      expect(withinBinomial(q[r], n, (r + 1) ** -1.3 / H), `query rank ${r}: ${q[r]}`).toBe(true);
      expect(withinBinomial(ctx[r], 4 * n, (r + 1) ** -1.3 / H), `context rank ${r}: ${ctx[r]}`).toBe(true);
    }
  });

  it('makes a pBursty share of contexts bursty: burstiness copies of the query class and of one distractor', () => {
    // Uniform over 1000 classes, so a non-bursty context repeats the query class with probability < 1e-4.
    const c = BurstySchema.parse({ contextPairs: 8, burstiness: 3, pBursty: 0.7, zipfExponent: 0, trainClasses: 1000, holdoutClasses: 100 });
    const d = burstyTrainDistribution(c, features, 32);
    const n = 8000;
    const b = draw(d.sample, n, 17, 4);
    const labels = classLabels(c, 32);
    let bursty = 0;
    for (let s = 0; s < n; s++) {
      const o = s * 17;
      const qc = b.layout.cls[o + 16];
      const counts = new Map<number, number>();
      for (let i = 0; i < 8; i++) {
        const cl = b.layout.cls[o + 2 * i];
        counts.set(cl, (counts.get(cl) ?? 0) + 1);
        // Every label is its class's fixed label, and so is the target.
        expect(tokenLabel(b.layout.tokens[o + 2 * i + 1])).toBe(labels[cl]);
      }
      expect(b.target[s]).toBe(labels[qc]);
      if ((counts.get(qc) ?? 0) >= 3) {
        bursty++;
        expect([...counts.entries()].some(([cl, k]) => cl !== qc && k >= 3)).toBe(true);
      }
    }
    expect(withinBinomial(bursty, n, 0.7), `${bursty} bursty of ${n}`).toBe(true);
  });

  it('eval sets: iwl_common asks a common class absent from its context; icl_holdout two held-out classes relabelled per sequence', () => {
    const c = BurstySchema.parse({ contextPairs: 6, burstiness: 2, trainClasses: 200, commonClasses: 5, holdoutClasses: 50 });
    const sets = burstyEvalSets(c, features, 16, 9, 2000);
    expect(sets.map((s) => s.name)).toEqual(['bursty_train', 'iwl_common', 'icl_holdout']);
    const labels = classLabels(c, 16);
    const iwl = sets[1].batch;
    const icl = sets[2].batch;
    const T = 13;
    const pairs = new Set<string>();
    for (let s = 0; s < 2000; s++) {
      const o = s * T;
      const q = iwl.layout!.cls[o + T - 1];
      expect(q).toBeLessThan(5);
      expect(iwl.target[s]).toBe(labels[q]);
      for (let i = 0; i < 6; i++) {
        expect(iwl.layout!.cls[o + 2 * i]).not.toBe(q);
        expect(iwl.layout!.cls[o + 2 * i]).toBeLessThan(200);
      }
      const qh = icl.layout!.cls[o + T - 1];
      const byClass = new Map<number, Set<number>>();
      for (let i = 0; i < 6; i++) {
        const cl = icl.layout!.cls[o + 2 * i];
        expect(cl).toBeGreaterThanOrEqual(1623 - 50);
        if (!byClass.has(cl)) byClass.set(cl, new Set());
        byClass.get(cl)!.add(tokenLabel(icl.layout!.tokens[o + 2 * i + 1]));
      }
      expect(byClass.size).toBe(2);
      expect(icl.layout!.cls.slice(o, o + 12).filter((x, i) => i % 2 === 0 && x === qh).length).toBe(3);
      const [la, lb] = [...byClass.values()].map((x) => [...x]);
      expect(la.length === 1 && lb.length === 1 && la[0] !== lb[0]).toBe(true);
      expect(icl.target[s]).toBe([...byClass.get(qh)!][0]);
      pairs.add(`${la[0]},${lb[0]}`);
    }
    // Labels are drawn per sequence from all of L, not a fixed pair.
    expect(pairs.size).toBeGreaterThan(100);
  });
});

describe('repeated random tokens (Olsson et al. 2022)', () => {
  it('n distinct tokens, then m of them again from a uniform offset; the target is the next one', () => {
    const c = RepeatSchema.parse({ prefixLength: 10, repeatLength: 3 });
    const d = repeatTrainDistribution(c, 20, 16);
    const n = 14_000;
    const b = draw(d.sample, n, 13, 5);
    const offsets = new Array(7).fill(0);
    for (let s = 0; s < n; s++) {
      const tok = Array.from(b.layout.tokens.slice(s * 13, s * 13 + 13), tokenLabel);
      expect(tok.every((x) => x >= 0 && x < 20)).toBe(true);
      expect(new Set(tok.slice(0, 10)).size).toBe(10);
      const j = tok.indexOf(tok[10]);
      expect(j).toBeLessThan(7);
      expect(tok.slice(10)).toEqual(tok.slice(j, j + 3));
      expect(b.target[s]).toBe(tok[j + 3]);
      offsets[j]++;
    }
    for (const k of offsets) expect(withinBinomial(k, n, 1 / 7)).toBe(true);
  });

  it('repeat_shuffled keeps the tokens and the target but not their order', () => {
    const c = RepeatSchema.parse({ prefixLength: 8, repeatLength: 1 });
    const [rep, shuf] = repeatEvalSets(c, 32, 16, 2, 3000);
    let followed = 0;
    for (let s = 0; s < 3000; s++) {
      const t = Array.from(shuf.batch.layout!.tokens.slice(s * 9, s * 9 + 9), tokenLabel);
      expect(t.slice(0, 8)).toContain(shuf.batch.target[s]);
      expect(t.slice(0, 8)).toContain(t[8]);
      if (t[t.indexOf(t[8]) + 1] === shuf.batch.target[s]) followed++;
      const r = Array.from(rep.batch.layout!.tokens.slice(s * 9, s * 9 + 9), tokenLabel);
      expect(r[r.indexOf(r[8]) + 1]).toBe(rep.batch.target[s]);
    }
    // After the shuffle the target follows the query's earlier occurrence only by chance (≈ 1/8).
    expect(followed / 3000).toBeLessThan(0.2);
  });
});

describe('k-shot few-shot task', () => {
  it('k distinct classes with k distinct labels; the query matches exactly one and takes its label', () => {
    const d = kShotDistribution('t', features, task.trainClasses, task.trainExemplars, 4, 7);
    const b = draw(d.sample, 3000, 9, 6);
    const slots = new Array(4).fill(0);
    for (let s = 0; s < 3000; s++) {
      const o = s * 9;
      const cls = [0, 2, 4, 6].map((i) => b.layout.cls[o + i]);
      const labs = [1, 3, 5, 7].map((i) => tokenLabel(b.layout.tokens[o + i]));
      expect(new Set(cls).size).toBe(4);
      expect(new Set(labs).size).toBe(4);
      expect(labs.every((l) => l >= 0 && l < 7)).toBe(true);
      const k = cls.indexOf(b.layout.cls[o + 8]);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(b.target[s]).toBe(labs[k]);
      slots[k]++;
    }
    for (const k of slots) expect(withinBinomial(k, 3000, 1 / 4)).toBe(true);
  });
});

describe('task selection', () => {
  const sel = (t: Partial<TaskSelection>): TaskSelection => ({ numLabels: 5, ...t });

  it("keeps the paper's task bit for bit when nothing selects another (train batches and eval sets)", () => {
    const data = taskData(sel({}), task, features, 1, 300);
    expect(data.seqLen).toBe(5);
    const old = makeEvalSets(task, features, 1, 300);
    expect(data.evalSets.map((s) => s.name)).toEqual(old.map((s) => s.name));
    for (let i = 0; i < old.length; i++) expect(data.evalSets[i].batch).toEqual(old[i].batch);
    const [a, b] = [allocBatch(64), allocBatch(64)];
    data.train.sample(new Rng(0), a);
    trainDistribution(task, features).sample(new Rng(0), b);
    expect(a).toEqual(b);
    // A paper config parses to exactly the object it parsed to before the task fields existed.
    expect(Object.keys(parseRunConfig({}).task).sort()).toEqual(['classSplit', 'exemplarSplit', 'labelPairSplit', 'numLabels', 'pairSeed']);
  });

  it('draws eval sets from the eval seed alone, apart from the training stream', () => {
    for (const t of [sel({ kind: 'repeatTokens', numLabels: 16, repeat: { prefixLength: 6 } }), sel({ kind: 'bursty', numLabels: 8, bursty: { trainClasses: 100 } }), sel({ shots: 3 })]) {
      const a = taskData(t, task, features, 7, 50);
      const b = taskData(t, task, features, 7, 50);
      const c = taskData(t, task, features, 8, 50);
      expect(a.seqLen).toBe(taskSeqLen(t));
      for (let i = 0; i < a.evalSets.length; i++) expect(a.evalSets[i].batch).toEqual(b.evalSets[i].batch);
      expect(a.evalSets[0].batch.layout!.tokens).not.toEqual(c.evalSets[0].batch.layout!.tokens);
      const [x, y, z] = [0, 0, 1].map((seed) => {
        const batch = allocLayoutBatch(20, a.seqLen);
        a.train.sample(new Rng(seed), batch);
        return batch.layout!.tokens;
      });
      expect(x).toEqual(y);
      expect(x).not.toEqual(z);
    }
  });

  it('refuses bad task fields with one line naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ task: { kind: 'zipf' } }, /^config: task\.kind: /],
      [{ task: { kind: 'bursty', bursty: { pBursty: 1.5 } } }, /^config: task\.bursty\.pBursty: .*\(got 1\.5\)/],
      [{ task: { kind: 'bursty', bursty: { contextPairs: 4, burstiness: 3 } } }, /^config: task\.bursty\.burstiness: 3 copies .* need 6 context pairs, bursty\.contextPairs is 4/],
      [{ task: { kind: 'bursty', bursty: { commonClasses: 50, trainClasses: 20 } } }, /^config: task\.bursty\.commonClasses: /],
      [{ task: { kind: 'repeatTokens', repeat: { prefixLength: 8 } } }, /^config: task\.repeat\.prefixLength: 8 distinct tokens need a vocabulary \(task\.numLabels\) of at least 8, it is 5/],
      [{ task: { kind: 'repeatTokens', numLabels: 20, repeat: { prefixLength: 8, repeatLength: 8 } } }, /^config: task\.repeat\.repeatLength: /],
      [{ task: { repeat: { prefixLength: 8 } } }, /^config: task\.repeat: set, but task\.kind is 'fewShot'/],
      [{ task: { shots: 6 } }, /^config: task\.shots: 6 pairs need 6 distinct labels, task\.numLabels is 5/],
      [{ task: { kind: 'bursty', shots: 3 } }, /^config: task\.shots: applies to task\.kind 'fewShot' only/],
      // Clamps apply on every task; only one a task cannot serve is refused, with what the task lacks.
      [{ task: { kind: 'repeatTokens', numLabels: 20 }, interventions: { ablate: ['1:3'], featureMatch: { heads: ['1:2'] } } }, /^config: interventions\.featureMatch: needs exemplar features to compare with the query; repeatTokens \(16 \+ 1 tokens\) has none/],
    ];
    for (const [cfg, re] of bad) expect(() => parseRunConfig(cfg)).toThrow(re);
    expect(() => taskData(sel({ kind: 'bursty', bursty: { trainClasses: 1600, holdoutClasses: 100 } }), task, features, 1, 10)).toThrow(
      /^config: task\.bursty\.trainClasses 1600 \+ holdoutClasses 100 need 1700 classes, the features have 1623/,
    );
  });
});
