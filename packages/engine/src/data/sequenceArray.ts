/**
 * Sequences as one integer array, the exchange form between Optoscope and other frameworks
 * (`opto data export`, `opto eval --sequences`, python/optoscope):
 *
 *   [n, 6] int32, columns x1, l1, x2, l2, xq, target
 *
 * in token order (spec 1.5). x1, x2, xq are rows of the feature table flattened to [nClasses·nExemplars,
 * dim], i.e. class · nExemplars + exemplar; l1, l2 and target are label indices in [0, L).
 */
import type { Distribution, EvalSet, FeatureSource, SequenceBatch } from './types.js';
import { allocBatch } from './types.js';

export const SEQUENCE_COLUMNS = ['x1', 'l1', 'x2', 'l2', 'xq', 'target'] as const;
const W = SEQUENCE_COLUMNS.length;

/** A batch drawn from `dist` as [B, 6] rows (item-table rows mapped to feature-table rows). */
export function batchToSequences(batch: SequenceBatch, dist: Pick<Distribution, 'items'>, out = new Int32Array(batch.size * W), at = 0): Int32Array {
  for (let b = 0; b < batch.size; b++) {
    const o = (at + b) * W;
    out[o] = dist.items[batch.item[3 * b]];
    out[o + 1] = batch.contextLabel[2 * b];
    out[o + 2] = dist.items[batch.item[3 * b + 1]];
    out[o + 3] = batch.contextLabel[2 * b + 1];
    out[o + 4] = dist.items[batch.item[3 * b + 2]];
    out[o + 5] = batch.target[b];
  }
  return out;
}

/**
 * A fixed set from [n, 6] rows: its item table is the distinct feature rows the sequences use. Every value
 * is checked against the feature table and the label count first; the error names the row and column.
 */
export function sequencesToEvalSet(
  name: string,
  rows: ArrayLike<number>,
  shape: readonly number[],
  features: FeatureSource,
  numLabels: number,
  where = name,
): EvalSet {
  if (shape.length !== 2 || shape[1] !== W) throw new Error(`${where}: shape (${shape.join(', ')}), expected (n, ${W}) with columns ${SEQUENCE_COLUMNS.join(', ')}`);
  const n = shape[0];
  if (n < 1) throw new Error(`${where}: no sequences (shape (${shape.join(', ')}))`);
  const nRows = features.nClasses * features.nExemplars;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < W; c++) {
      const v = rows[i * W + c];
      const isX = c === 0 || c === 2 || c === 4;
      const limit = isX ? nRows : numLabels;
      if (!Number.isInteger(v) || v < 0 || v >= limit) {
        const what = isX ? `the feature table's ${nRows} rows (${features.nClasses} classes x ${features.nExemplars} exemplars)` : `the ${numLabels} labels`;
        throw new Error(`${where}: row ${i}, column ${SEQUENCE_COLUMNS[c]}: ${v} is outside ${what}`);
      }
    }
  }
  const table = fixedItemTable(features);
  const batch = allocBatch(n);
  for (let b = 0; b < n; b++) {
    const o = b * W;
    for (const [k, c] of [0, 2, 4].entries()) {
      batch.item[3 * b + k] = table.item(rows[o + c]);
      batch.cls[3 * b + k] = Math.floor(rows[o + c] / features.nExemplars);
    }
    batch.contextLabel[2 * b] = rows[o + 1];
    batch.contextLabel[2 * b + 1] = rows[o + 3];
    batch.target[b] = rows[o + 5];
    batch.querySlot[b] = rows[o + 1] === rows[o + 5] ? 0 : 1;
  }
  const distribution = table.distribution(name, numLabels, where);
  return { name: name as EvalSet['name'], distribution, batch };
}

/**
 * The item table of a fixed set of sequences: `item(x)` gives feature row x its row in the table (the
 * distinct rows in first-use order), `distribution` the set's Distribution over them, which cannot be
 * resampled. A set that uses no feature row (repeated tokens) gets one unused zero row, as its task's own
 * distributions have.
 */
export function fixedItemTable(features: FeatureSource) {
  const itemOf = new Map<number, number>();
  const items: number[] = [];
  return {
    item(x: number): number {
      let r = itemOf.get(x);
      if (r === undefined) {
        r = items.length;
        itemOf.set(x, r);
        items.push(x);
      }
      return r;
    },
    distribution(name: string, numLabels: number, where: string, seqLen?: number): Distribution {
      const dim = features.dim;
      const used = items.length ? items : [0];
      const itemFeatures = new Float32Array(used.length * dim);
      if (items.length) items.forEach((x, r) => itemFeatures.set(features.data.subarray(x * dim, (x + 1) * dim), r * dim));
      return {
        name,
        items: Int32Array.from(used),
        itemFeatures,
        dim,
        numLabels,
        ...(seqLen !== undefined && { seqLen }),
        sample() {
          throw new Error(`${where}: a fixed set of sequences cannot be resampled`);
        },
      };
    },
  };
}
