/**
 * Bursty, Zipfian few-shot sequences (Chan et al. 2022; Reddy 2023), written after the structure of the
 * authors' `samplers.py` (aadityasingh/icl-dynamics): k exemplar-label pairs and a query, 2k + 1 tokens.
 *
 * Classes: the first `trainClasses` of the feature table are the training classes in Zipf rank order
 * (rank r drawn ∝ (r + 1)^−α); the top `commonClasses` ranks are "common"; the last `holdoutClasses` of the
 * table are held out. Every training class has one fixed label, drawn uniformly from L with `labelSeed`,
 * so a query's label can be learned in the weights, or read from the context when its class is there.
 *
 * Training sequences (the mixture of `get_mixed_seq_idxs`): with probability pBursty a bursty context
 * (`burstiness` copies of the query's class, as many of one distractor class ≠ query, both Zipfian, the
 * other k − 2·burstiness items i.i.d. Zipfian, positions shuffled), else k i.i.d. Zipfian classes and an
 * independent Zipfian query. Every position's exemplar is uniform over the used exemplars.
 *
 * Eval sets, drawn from the eval seed in this order:
 * - `bursty_train`: the training mixture;
 * - `iwl_common` (in-weights, the authors' no-support set): a common query class (uniform over the common
 *   ranks), k i.i.d. Zipfian context classes all ≠ query, fixed labels: only the weights know the answer;
 * - `icl_holdout` (in-context, the authors' few-shot holdout set): two held-out classes, ⌊k/2⌋ copies of the
 *   query's and the rest of a distractor's, labelled per sequence with two distinct labels drawn uniformly
 *   from L in random order: only the context knows the answer (in_context_acc chance ½).
 *
 * RNG calls per training sequence, in order: bursty?, query, then (bursty) distractor draws until ≠ query,
 * k − 2·burstiness context classes, k − 1 shuffle draws; (non-bursty) k context classes; then k + 1 exemplars.
 */
import { ConfigError } from '../../configError.js';
import { Rng } from '../../rng.js';
import type { EvalSet, FeatureSource, SequenceBatch } from '../types.js';
import { allocLayoutBatch, labelToken } from '../types.js';
import { itemTable, layoutOf, range, shufflePrefix, type LayoutDistribution } from './layout.js';
import type { BurstyConfig } from './schema.js';

export const BURSTY_EVAL_SETS = ['bursty_train', 'iwl_common', 'icl_holdout'] as const;

/** Zipf over ranks 0..n−1: p_r ∝ (r + 1)^−α, sampled by inverse CDF (one uniform per draw). */
export function zipfCdf(n: number, alpha: number): Float64Array {
  const cdf = new Float64Array(n);
  let s = 0;
  for (let r = 0; r < n; r++) cdf[r] = s += Math.pow(r + 1, -alpha);
  for (let r = 0; r < n; r++) cdf[r] /= s;
  cdf[n - 1] = 1;
  return cdf;
}

function drawCdf(rng: Rng, cdf: Float64Array): number {
  const u = rng.uniform();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The fixed label of each training class rank (uniform over L, from `labelSeed`). */
export function classLabels(c: BurstyConfig, numLabels: number): Int32Array {
  const rng = new Rng(c.labelSeed);
  return Int32Array.from({ length: c.trainClasses }, () => rng.int(numLabels));
}

/** Throws a ConfigError when the feature table cannot hold the classes or exemplars asked for. */
export function checkBurstyFits(c: BurstyConfig, features: FeatureSource): void {
  if (c.trainClasses + c.holdoutClasses > features.nClasses)
    throw new ConfigError(`config: task.bursty.trainClasses ${c.trainClasses} + holdoutClasses ${c.holdoutClasses} need ${c.trainClasses + c.holdoutClasses} classes, the features have ${features.nClasses} (${features.description})`);
  if ((c.exemplars ?? 1) > features.nExemplars)
    throw new ConfigError(`config: task.bursty.exemplars ${c.exemplars}: the features have ${features.nExemplars} exemplars per class`);
}

type Kind = 'train' | 'iwl' | 'icl';

function burstyDistribution(name: string, kind: Kind, c: BurstyConfig, features: FeatureSource, numLabels: number): LayoutDistribution {
  checkBurstyFits(c, features);
  const k = c.contextPairs;
  const T = 2 * k + 1;
  const E = c.exemplars ?? features.nExemplars;
  const classes = kind === 'icl' ? range(features.nClasses - c.holdoutClasses, c.holdoutClasses) : range(0, c.trainClasses);
  const { items, itemFeatures, itemClass } = itemTable(features, classes, range(0, E));
  const cdf = zipfCdf(c.trainClasses, c.zipfExponent);
  const fixed = classLabels(c, numLabels);
  const ctx = new Int32Array(k); // class index (into `classes`) of each context pair
  const zipfOther = (rng: Rng, not: number): number => {
    for (;;) {
      const r = drawCdf(rng, cdf);
      if (r !== not) return r;
    }
  };
  const sample = (rng: Rng, out: SequenceBatch): void => {
    const lay = layoutOf(out, name, T);
    for (let b = 0; b < out.size; b++) {
      let q: number;
      let la = -1; // icl: the per-sequence labels of the query's class and the distractor's
      let lb = -1;
      if (kind === 'train') {
        const bursty = rng.uniform() < c.pBursty;
        q = drawCdf(rng, cdf);
        if (bursty) {
          const d = zipfOther(rng, q);
          const nb = c.burstiness;
          for (let i = 0; i < nb; i++) ctx[i] = q;
          for (let i = nb; i < 2 * nb; i++) ctx[i] = d;
          for (let i = 2 * nb; i < k; i++) ctx[i] = drawCdf(rng, cdf);
          shufflePrefix(rng, ctx, k);
        } else for (let i = 0; i < k; i++) ctx[i] = drawCdf(rng, cdf);
      } else if (kind === 'iwl') {
        q = rng.int(c.commonClasses);
        for (let i = 0; i < k; i++) ctx[i] = zipfOther(rng, q);
      } else {
        const H = classes.length;
        q = rng.int(H);
        let d = rng.int(H - 1);
        if (d >= q) d++;
        const nq = Math.floor(k / 2);
        for (let i = 0; i < k; i++) ctx[i] = i < nq ? q : d;
        shufflePrefix(rng, ctx, k);
        la = rng.int(numLabels);
        lb = rng.int(numLabels - 1);
        if (lb >= la) lb++;
      }
      const label = (ci: number) => (kind === 'icl' ? (ci === q ? la : lb) : fixed[ci]);
      const o = b * T;
      for (let i = 0; i < k; i++) {
        lay.tokens[o + 2 * i] = ctx[i] * E + rng.int(E);
        lay.cls[o + 2 * i] = classes[ctx[i]];
        lay.tokens[o + 2 * i + 1] = labelToken(label(ctx[i]));
        lay.cls[o + 2 * i + 1] = -1;
      }
      lay.tokens[o + T - 1] = q * E + rng.int(E);
      lay.cls[o + T - 1] = classes[q];
      out.target[b] = label(q);
    }
  };
  return { name, items, itemFeatures, itemClass, dim: features.dim, numLabels, seqLen: T, sample };
}

export function burstyTrainDistribution(c: BurstyConfig, features: FeatureSource, numLabels: number): LayoutDistribution {
  return burstyDistribution('train', 'train', c, features, numLabels);
}

/** The three eval sets of the module docstring, n sequences each from one Rng(seedEval). */
export function burstyEvalSets(c: BurstyConfig, features: FeatureSource, numLabels: number, seedEval: number, n: number): EvalSet[] {
  const rng = new Rng(seedEval);
  const kinds: Record<(typeof BURSTY_EVAL_SETS)[number], Kind> = { bursty_train: 'train', iwl_common: 'iwl', icl_holdout: 'icl' };
  return BURSTY_EVAL_SETS.map((name) => {
    const distribution = burstyDistribution(name, kinds[name], c, features, numLabels);
    const batch = allocLayoutBatch(n, distribution.seqLen);
    distribution.sample(rng, batch);
    return { name, distribution, batch };
  });
}
