import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { syntheticFeatures } from './features.js';
import { makeDistribution, trainDistribution } from './sampler.js';
import { buildTask, defaultTaskConfig } from './task.js';
import { allocBatch, type SequenceBatch } from './types.js';

// ---- chi-square goodness of fit ------------------------------------------------------------------
// Upper tail of the chi-square distribution through the regularised incomplete gamma function
// (series below a+1, Lentz continued fraction above). Checked against tabulated quantiles below.

function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x) = Γ(a, x) / Γ(a). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

function chiSquarePValue(stat: number, df: number): number {
  return gammaQ(df / 2, stat / 2);
}

/** Pearson's test of observed counts against equal cell probabilities. */
function uniformityP(counts: ArrayLike<number>): { stat: number; df: number; p: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  const e = n / counts.length;
  let stat = 0;
  for (let i = 0; i < counts.length; i++) stat += (counts[i] - e) ** 2 / e;
  const df = counts.length - 1;
  return { stat, df, p: chiSquarePValue(stat, df) };
}

/** Significance level: a correct sampler fails one such check with probability 1e-4. */
const ALPHA = 1e-4;

function expectUniform(what: string, counts: ArrayLike<number>): void {
  const r = uniformityP(counts);
  expect(r.p, `${what}: chi2 = ${r.stat.toFixed(1)} on ${r.df} df`).toBeGreaterThan(ALPHA);
}

describe('chi-square helper', () => {
  it('matches tabulated quantiles', () => {
    // [statistic, df, upper-tail probability] from standard chi-square tables.
    const table: [number, number, number][] = [
      [3.841, 1, 0.05],
      [15.137, 1, 1e-4],
      [5.991, 2, 0.05],
      [14.067, 7, 0.05],
      [18.307, 10, 0.05],
      [66.339, 49, 0.05],
      [124.342, 100, 0.05],
      [149.449, 100, 0.001],
    ];
    for (const [x, df, p] of table) expect(chiSquarePValue(x, df) / p).toBeCloseTo(1, 2);
  });

  it('has the power to reject a 51/49 coin over 100k draws', () => {
    const rng = new Rng(3);
    const counts = [0, 0];
    for (let i = 0; i < 100_000; i++) counts[rng.uniform() < 0.51 ? 0 : 1]++;
    expect(uniformityP(counts).p).toBeLessThan(ALPHA);
  });
});

// ---- the training sampler ----------------------------------------------------------------------

const features = syntheticFeatures();
const task = buildTask(defaultTaskConfig(), features);
const N = 100_000;

function draw(seed: number, n = N): SequenceBatch {
  const batch = allocBatch(n);
  trainDistribution(task, features).sample(new Rng(seed), batch);
  return batch;
}

describe('trainDistribution (spec 1.4)', () => {
  const dist = trainDistribution(task, features);
  const batch = draw(11);
  const C = task.trainClasses.length;
  const L = task.config.numLabels;

  it('item table = the 50 train classes at exemplar 0, rows copied from the features', () => {
    expect(dist.items.length).toBe(50);
    expect(dist.itemFeatures.length).toBe(50 * features.dim);
    for (let i = 0; i < 50; i++) {
      expect(dist.items[i]).toBe(i * features.nExemplars);
      const src = features.data.subarray(dist.items[i] * features.dim, (dist.items[i] + 1) * features.dim);
      expect(dist.itemFeatures.subarray(i * features.dim, (i + 1) * features.dim)).toEqual(src);
    }
  });

  it('invariants hold for every sequence', () => {
    const trainKeys = new Set(task.pairs.train.map(([a, b]) => a * L + b));
    let bad = 0;
    for (let b = 0; b < N; b++) {
      const s = batch.querySlot[b];
      const l0 = batch.contextLabel[2 * b];
      const l1 = batch.contextLabel[2 * b + 1];
      const ok =
        (s === 0 || s === 1) &&
        batch.target[b] === batch.contextLabel[2 * b + s] &&
        l0 !== l1 &&
        trainKeys.has(Math.min(l0, l1) * L + Math.max(l0, l1)) &&
        batch.cls[3 * b + 2] === batch.cls[3 * b + s] &&
        batch.cls[3 * b + 1 - s] !== batch.cls[3 * b + 2] &&
        // training exemplar is always 0, so x_q is the very same item as the matching context item
        batch.item[3 * b + 2] === batch.item[3 * b + s] &&
        [0, 1, 2].every((k) => dist.items[batch.item[3 * b + k]] === batch.cls[3 * b + k] * features.nExemplars);
      if (!ok) bad++;
    }
    expect(bad).toBe(0);
  });

  it('query vector equals the matching context vector exactly (pitfall 2)', () => {
    const D = features.dim;
    for (let b = 0; b < 200; b++) {
      const q = batch.item[3 * b + 2];
      const m = batch.item[3 * b + batch.querySlot[b]];
      expect(dist.itemFeatures.subarray(q * D, (q + 1) * D)).toEqual(dist.itemFeatures.subarray(m * D, (m + 1) * D));
    }
  });

  it(`query class is uniform over the ${C} train classes`, () => {
    const counts = new Float64Array(C);
    for (let b = 0; b < N; b++) counts[batch.cls[3 * b + 2]]++;
    expectUniform('query class', counts);
  });

  it('distractor class is uniform, and given the query uniform over the other classes', () => {
    const counts = new Float64Array(C);
    const joint = new Float64Array(C * C);
    for (let b = 0; b < N; b++) {
      const s = batch.querySlot[b];
      const d = batch.cls[3 * b + 1 - s];
      counts[d]++;
      joint[batch.cls[3 * b + 2] * C + d]++;
    }
    expectUniform('distractor class', counts);
    const offDiagonal: number[] = [];
    for (let q = 0; q < C; q++) for (let d = 0; d < C; d++) if (q !== d) offDiagonal.push(joint[q * C + d]);
    expectUniform('(query, distractor)', offDiagonal);
  });

  it('label pair is uniform over the train pairs, its order uniform', () => {
    const pairIndex = new Map(task.pairs.train.map(([a, b], i) => [a * L + b, i]));
    const pairCounts = new Float64Array(task.pairs.train.length);
    const orderCounts = [0, 0];
    const ordered = new Float64Array(2 * task.pairs.train.length);
    for (let b = 0; b < N; b++) {
      const t = batch.target[b];
      const other = batch.contextLabel[2 * b + 1 - batch.querySlot[b]];
      const i = pairIndex.get(Math.min(t, other) * L + Math.max(t, other))!;
      pairCounts[i]++;
      const targetIsSmaller = t < other ? 1 : 0;
      orderCounts[targetIsSmaller]++;
      ordered[2 * i + targetIsSmaller]++;
    }
    expectUniform('label pair', pairCounts);
    expectUniform('label order', orderCounts);
    expectUniform('ordered label pair', ordered);
  });

  it('query slot is uniform', () => {
    const counts = [0, 0];
    for (let b = 0; b < N; b++) counts[batch.querySlot[b]]++;
    expectUniform('query slot', counts);
  });

  it('is deterministic in the rng and fills the given batch in place', () => {
    const a = draw(5, 64);
    const b = allocBatch(64);
    const item = b.item;
    dist.sample(new Rng(5), b);
    expect(b.item).toBe(item);
    expect(b).toEqual(a);
    expect(draw(6, 64)).not.toEqual(a);
  });
});

describe('makeDistribution with several exemplars', () => {
  const classes = [3, 7, 11, 20];
  const exemplars = [1, 2, 3, 4];
  const pairs = [[0, 1], [1, 2]] as const;
  const dist = makeDistribution('x', features, classes, exemplars, pairs.map((p) => [p[0], p[1]] as const), 3);
  const batch = allocBatch(N);
  dist.sample(new Rng(2), batch);

  it('item table is class x exemplar, class-major', () => {
    expect(dist.items.length).toBe(16);
    for (let ci = 0; ci < 4; ci++) {
      for (let ei = 0; ei < 4; ei++) expect(dist.items[dist.itemIndex(ci, ei)]).toBe(classes[ci] * features.nExemplars + exemplars[ei]);
    }
  });

  it('exemplars are uniform per position and independent of each other', () => {
    const perPos = [new Float64Array(4), new Float64Array(4), new Float64Array(4)];
    const joint = new Float64Array(16); // (matching context exemplar, query exemplar)
    let wrongClass = 0;
    for (let b = 0; b < N; b++) {
      for (let k = 0; k < 3; k++) perPos[k][batch.item[3 * b + k] % 4]++;
      joint[(batch.item[3 * b + batch.querySlot[b]] % 4) * 4 + (batch.item[3 * b + 2] % 4)]++;
      if (Math.floor(batch.item[3 * b + 2] / 4) !== Math.floor(batch.item[3 * b + batch.querySlot[b]] / 4)) wrongClass++;
    }
    expect(wrongClass).toBe(0);
    perPos.forEach((c, k) => expectUniform(`exemplar at position ${k}`, c));
    expectUniform('(context exemplar, query exemplar)', joint);
  });

  it('rejects impossible inputs', () => {
    expect(() => makeDistribution('x', features, [3], [0], [[0, 1]], 2)).toThrow(/at least 2 classes/);
    expect(() => makeDistribution('x', features, [3, 4], [], [[0, 1]], 2)).toThrow(/at least 1 exemplar/);
    expect(() => makeDistribution('x', features, [3, 4], [0], [], 2)).toThrow(/at least 1 label pair/);
    expect(() => makeDistribution('x', features, [3, 4], [0], [[0, 2]], 2)).toThrow(/bad label pair \(0, 2\)/);
    expect(() => makeDistribution('x', features, [3, 1623], [0], [[0, 1]], 2)).toThrow(/class 1623/);
    expect(() => makeDistribution('x', features, [3, 4], [5], [[0, 1]], 2)).toThrow(/exemplar 5/);
  });
});
