/**
 * What the tasks beyond the paper's share: an item table over (class, exemplar) rows and the
 * Distribution shape of the general token layout (types.ts `TokenLayout`).
 */
import type { Rng } from '../../rng.js';
import type { Distribution, FeatureSource, SequenceBatch, TokenLayout } from '../types.js';

/** A Distribution over sequences of `seqLen` tokens; `sample` fills a batch made by `allocLayoutBatch`. */
export interface LayoutDistribution extends Distribution {
  readonly seqLen: number;
  /** Class of each item-table row. */
  readonly itemClass: Int32Array;
}

/** Item table of classes × exemplars, class-major: row ci·E + ei (as sampler.ts lays out the paper's). */
export function itemTable(features: FeatureSource, classes: Int32Array, exemplars: Int32Array): { items: Int32Array; itemFeatures: Float32Array; itemClass: Int32Array } {
  const dim = features.dim;
  const nEx = exemplars.length;
  const items = new Int32Array(classes.length * nEx);
  const itemClass = new Int32Array(items.length);
  const itemFeatures = new Float32Array(items.length * dim);
  for (let ci = 0; ci < classes.length; ci++) {
    for (let e = 0; e < nEx; e++) {
      const row = ci * nEx + e;
      items[row] = classes[ci] * features.nExemplars + exemplars[e];
      itemClass[row] = classes[ci];
      itemFeatures.set(features.data.subarray(items[row] * dim, (items[row] + 1) * dim), row * dim);
    }
  }
  return { items, itemFeatures, itemClass };
}

/** The layout of a batch `sample` fills (one made by `allocLayoutBatch` with the distribution's seqLen). */
export function layoutOf(out: SequenceBatch, name: string, seqLen: number): TokenLayout {
  if (!out.layout || out.layout.seqLen !== seqLen || out.layout.tokens.length !== out.size * seqLen)
    throw new Error(`distribution ${name}: needs a batch of ${seqLen}-token sequences (allocLayoutBatch(B, ${seqLen}))`);
  return out.layout;
}

export function range(start: number, n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => start + i);
}

/**
 * Draws k distinct values of 0..n−1 (a partial Fisher-Yates, k RNG calls) without allocating. The swaps
 * are undone after each draw, so a draw depends on the RNG state alone: a run resumed from a saved RNG
 * state draws what the uninterrupted run would have.
 */
export function distinctDrawer(n: number, kMax: number): (rng: Rng, k: number, out: Int32Array) => void {
  const perm = range(0, n);
  const swaps = new Int32Array(kMax);
  return (rng, k, out) => {
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      swaps[i] = j;
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out[i] = perm[i];
    }
    for (let i = k - 1; i >= 0; i--) {
      const j = swaps[i];
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  };
}

/** Shuffle a[0..n) in place (Fisher-Yates, n − 1 RNG calls). */
export function shufflePrefix(rng: Rng, a: Int32Array, n: number): void {
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
