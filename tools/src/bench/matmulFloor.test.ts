/**
 * The matmuls one engine step records, against their count worked out from the architecture (model.ts's
 * docstring): block 0's LayerNorm and Q/K/V on the distinct rows, the last block's queries, output projection
 * and MLP at the query rows only. A step that lost either exact reformulation, or computed anything twice,
 * would record more.
 */
import { defaultTaskConfig, buildTask, syntheticFeatures, trainDistribution } from '@optoscope/engine';
import { describe, expect, it } from 'vitest';
import { benchModel } from './benchModels.js';
import { recordStepMatmuls } from './matmulFloor.js';

const B = 32;
const T = 5;
const F = 512;
const LABELS = 5;

/** FLOPs of one training step's matmuls (forward, dX and dW of every linear map) for the bench's task. */
function expectedFlop(o: { nLayers: number; d: number; hidden: number; nItems: number }): number {
  const { nLayers: L, d, hidden: h, nItems } = o;
  const mm = (M: number, N: number, K: number) => 2 * M * N * K;
  const rows = B * T;
  const distinct = nItems + LABELS; // the item table stacked over the label embedding rows
  let f = 2 * mm(nItems, d, F); // exemplar embedding: forward and dW (the features need no gradient)
  // each linear map costs three products: forward, dX, dW
  const linear = (M: number, N: number, K: number) => 3 * mm(M, N, K);
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    const q = last ? B : rows; // the last block's queries and everything after them: the query rows only
    const kvRows = l === 0 ? distinct : rows;
    f += 2 * linear(kvRows, d, d); // keys, values
    f += linear(l === 0 ? distinct : q, d, d); // queries (block 0: on its distinct rows, gathered after)
    f += linear(q, d, d); // output projection
    if (h) f += linear(q, h, d) + linear(q, d, h); // MLP
  }
  f += linear(B, LABELS, d); // unembedding at the query rows
  return f + 2 * B; // the batch mean of the per-sequence losses (a 1×B by B×1 product, forward only)
}

describe('recordStepMatmuls', () => {
  const nItems = trainDistribution(buildTask({ ...defaultTaskConfig(), classSplit: [50, 50, 100] }, syntheticFeatures({ seed: 0, nClasses: 200 })), syntheticFeatures({ seed: 0, nClasses: 200 })).items.length;

  it.each([
    ['paper', { nLayers: 2, d: 64, hidden: 0 }],
    ['mlp4-d128', { nLayers: 4, d: 128, hidden: 512 }],
    ['{"nLayers":3,"mlp":{"ratio":2}}', { nLayers: 3, d: 64, hidden: 128 }],
  ] as const)('%s: one step records the matmuls of the architecture, no more', (name, dims) => {
    const calls = recordStepMatmuls(benchModel(name).config);
    const flop = calls.reduce((a, c) => a + 2 * c.M * c.N * c.K * c.count, 0);
    expect(flop).toBe(expectedFlop({ ...dims, nItems }));
  });
});
