/**
 * A tiny trained run for fast analysis tests (test helper, not shipped logic): a 2-head model of `nLayers`
 * over a 12-class x 2-exemplar .npy feature table written beside it, a few optimizer steps with checkpoints
 * every 16 sequences, on the wasm backend. Any config field can be overridden (a task, interventions, ...).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig } from '../../config.js';
import { encodeNpy } from '../../data/npy.js';
import { train } from '../../train.js';

export async function tinyRun(dir: string, over: Record<string, unknown> = {}, nLayers = 2): Promise<string> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const file = `${dir}-features.npy`;
  const data = Float32Array.from({ length: 12 * 2 * 6 }, (_, i) => Math.sin(i * 1.7) + (i % 5) * 0.3);
  fs.writeFileSync(file, encodeNpy([12, 2, 6], data));
  const config = parseRunConfig({
    backend: 'wasm',
    data: { source: file },
    task: { classSplit: [6, 2, 4], exemplarSplit: [1, 1, 0], numLabels: 4, labelPairSplit: [5, 1, 0] },
    model: { dModel: 8, nHeads: 2, nLayers },
    optim: { lr: 0.01, batchSize: 8 },
    schedule: { seqs: 48, evalEvery: 48, ckptEvery: 16, evalSize: 16 },
    ...over,
  });
  await train(config, { out: dir });
  return dir;
}
