/**
 * Repeated random tokens, the classic induction task (Olsson et al. 2022), with the loss at the last
 * position as everywhere in this model: n distinct tokens r_0 … r_{n−1} drawn uniformly from a vocabulary
 * of V = task.numLabels, then r_j … r_{j+m−1} again from an offset j uniform in 0..n−m−1; the target is
 * r_{j+m}, the token that followed the last one's earlier occurrence. The offset moves the answer's
 * position, so no positional rule solves the task: an induction head (find the earlier occurrence of the
 * current token, copy what came next) does, while a model that only knows which tokens are in the
 * context is left with a guess among them (loss ≈ ln(n − m)).
 *
 * Every token is a label token: the model's item table is one unused zero row.
 *
 * Eval sets, from the eval seed in this order: `repeat` (the training distribution) and `repeat_shuffled`,
 * the same draw with the prefix's order shuffled afterwards: the target is still in the context, but no
 * longer after the query token's earlier occurrence. Their loss difference is the induction score
 * (analysis/induction.ts).
 *
 * RNG calls per sequence, in order: n prefix tokens (partial Fisher-Yates over V), the offset, and for
 * `repeat_shuffled` n − 1 shuffle draws.
 */
import { Rng } from '../../rng.js';
import type { EvalSet, SequenceBatch } from '../types.js';
import { allocLayoutBatch, labelToken } from '../types.js';
import { distinctDrawer, layoutOf, shufflePrefix, type LayoutDistribution } from './layout.js';
import type { RepeatConfig } from './schema.js';

export const REPEAT_EVAL_SETS = ['repeat', 'repeat_shuffled'] as const;

function repeatDistribution(name: string, c: RepeatConfig, vocab: number, featureDim: number, shuffled: boolean): LayoutDistribution {
  const n = c.prefixLength;
  const m = c.repeatLength;
  if (n > vocab) throw new Error(`distribution ${name}: ${n} distinct tokens need a vocabulary of ${n}, it has ${vocab}`);
  if (m > n - 1) throw new Error(`distribution ${name}: ${m} repeated tokens leave no next token in a prefix of ${n}`);
  const T = n + m;
  const drawPrefix = distinctDrawer(vocab, n);
  const prefix = new Int32Array(n);
  const sample = (rng: Rng, out: SequenceBatch): void => {
    const lay = layoutOf(out, name, T);
    for (let b = 0; b < out.size; b++) {
      drawPrefix(rng, n, prefix);
      const j = rng.int(n - m);
      const target = prefix[j + m];
      const o = b * T;
      for (let i = 0; i < m; i++) lay.tokens[o + n + i] = labelToken(prefix[j + i]);
      if (shuffled) shufflePrefix(rng, prefix, n);
      for (let i = 0; i < n; i++) lay.tokens[o + i] = labelToken(prefix[i]);
      out.target[b] = target;
    }
  };
  return { name, items: new Int32Array(1), itemFeatures: new Float32Array(featureDim), itemClass: new Int32Array(1).fill(-1), dim: featureDim, numLabels: vocab, seqLen: T, sample };
}

export function repeatTrainDistribution(c: RepeatConfig, vocab: number, featureDim: number): LayoutDistribution {
  return repeatDistribution('train', c, vocab, featureDim, false);
}

export function repeatEvalSets(c: RepeatConfig, vocab: number, featureDim: number, seedEval: number, n: number): EvalSet[] {
  const rng = new Rng(seedEval);
  return REPEAT_EVAL_SETS.map((name) => {
    const distribution = repeatDistribution(name, c, vocab, featureDim, name === 'repeat_shuffled');
    const batch = allocLayoutBatch(n, distribution.seqLen);
    distribution.sample(rng, batch);
    return { name, distribution, batch };
  });
}
