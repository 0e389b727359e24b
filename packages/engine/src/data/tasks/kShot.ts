/**
 * The paper's few-shot task with k exemplar-label pairs (context 2k + 1 tokens, issue 23 item 2):
 * x_1, l_1, …, x_k, l_k, x_q. Per sequence: k distinct classes uniform over the allowed ones, the query's
 * class one of them (slot uniform), every position's exemplar uniform over the allowed exemplars, and k
 * distinct labels uniform over all L, the i-th given to slot i; the target is the query slot's label.
 *
 * With k = 2 this is a different draw from spec 1.4 (which picks a label pair from the train split), so
 * `task.shots` absent or 2 keeps the paper's own sampler (sampler.ts). For k > 2 the label-pair split has
 * no meaning: every label combination trains, and the held-out pair set fsl_val_rl is not made.
 *
 * RNG calls per sequence, in order: k classes (partial Fisher-Yates), slot, k + 1 exemplars, k labels.
 */
import type { Rng } from '../../rng.js';
import type { FeatureSource, SequenceBatch } from '../types.js';
import { labelToken } from '../types.js';
import { distinctDrawer, itemTable, layoutOf, type LayoutDistribution } from './layout.js';

export function kShotDistribution(name: string, features: FeatureSource, classes: Int32Array, exemplars: Int32Array, k: number, numLabels: number): LayoutDistribution {
  const C = classes.length;
  const E = exemplars.length;
  if (C < k) throw new Error(`distribution ${name}: ${k} pairs need ${k} distinct classes, it has ${C}`);
  if (numLabels < k) throw new Error(`distribution ${name}: ${k} pairs need ${k} distinct labels, numLabels is ${numLabels}`);
  if (E < 1) throw new Error(`distribution ${name}: needs at least 1 exemplar`);
  const { items, itemFeatures, itemClass } = itemTable(features, classes, exemplars);
  const dim = features.dim;
  const T = 2 * k + 1;
  const drawClasses = distinctDrawer(C, k);
  const drawLabels = distinctDrawer(numLabels, k);
  const cs = new Int32Array(k);
  const ls = new Int32Array(k);
  const sample = (rng: Rng, out: SequenceBatch): void => {
    const lay = layoutOf(out, name, T);
    for (let b = 0; b < out.size; b++) {
      drawClasses(rng, k, cs);
      const slot = rng.int(k);
      const o = b * T;
      for (let i = 0; i < k; i++) {
        const row = cs[i] * E + rng.int(E);
        lay.tokens[o + 2 * i] = row;
        lay.cls[o + 2 * i] = classes[cs[i]];
      }
      const qRow = cs[slot] * E + rng.int(E);
      lay.tokens[o + T - 1] = qRow;
      lay.cls[o + T - 1] = classes[cs[slot]];
      drawLabels(rng, k, ls);
      for (let i = 0; i < k; i++) {
        lay.tokens[o + 2 * i + 1] = labelToken(ls[i]);
        lay.cls[o + 2 * i + 1] = -1;
      }
      out.target[b] = ls[slot];
      out.querySlot[b] = slot;
    }
  };
  return { name, items, itemFeatures, itemClass, dim, numLabels, seqLen: T, sample };
}
