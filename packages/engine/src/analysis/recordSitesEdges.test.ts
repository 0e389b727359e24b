/**
 * `opto eval --record`'s tensors (recordSites.ts) on tiny models: every site of allSites, [B, T, width] or
 * [B, H, T, T] with the widths written out by hand, and the values those of a model built here reading the
 * same site; the paper's 5-token sets (no layout) and a 7-token layout; an MLP variant; a clamp's passes.
 * Also loadFeatures (data/load.ts) and InterventionError's name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { allocBatch } from '../data/types.js';
import { loadFeatures } from '../data/load.js';
import { repeatEvalSets } from '../data/tasks/repeatTokens.js';
import { RepeatSchema } from '../data/tasks/schema.js';
import { syntheticFeatures } from '../data/synthetic.js';
import type { EvalSet } from '../data/types.js';
import { InterventionError } from '../interventions/errors.js';
import { buildModel, type PassPlan } from '../model.js';
import type { ModelConfig } from '../params.js';
import { passesFor, randomParams } from '../testing/clampRig.js';
import { recordSites } from './recordSites.js';

const be = createReferenceBackend();
const CFG: ModelConfig = { dModel: 4, nHeads: 2, nLayers: 2, featureDim: 3, numLabels: 6, ropeBase: 10000, lnEps: 1e-5 };

/** The paper's layout: 2 sequences over a 3-row item table. */
function paperSet(): EvalSet {
  const batch = allocBatch(2);
  batch.item.set([0, 1, 0, 2, 1, 1]);
  batch.contextLabel.set([3, 4, 0, 2]);
  batch.target.set([3, 2]);
  batch.querySlot.set([0, 1]);
  const itemFeatures = Float32Array.from([0.5, -1, 2, 1, 0, -0.5, -2, 1.5, 0.25]);
  const distribution = { name: 'hand', items: Int32Array.from([0, 1, 2]), itemFeatures, dim: 3, numLabels: 6, sample: () => {} };
  return { name: 'hand', distribution, batch };
}

function direct(cfg: ModelConfig, seed: number, set: EvalSet, site: string, passes?: PassPlan[]): Float64Array {
  const params = randomParams(be, cfg, seed);
  const m = buildModel(params, { batch: set.batch.size, seqLen: set.batch.layout?.seqLen, nItems: set.distribution.items.length, training: false, allPositions: true, keep: [site], passes });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  return Float64Array.from(m.program.read(site));
}

describe('recordSites', () => {
  it("the paper's 5-token set: every site, its shape and values", () => {
    const set = paperSet();
    const rec = recordSites(randomParams(be, CFG, 5), set);
    const width: Record<string, number> = { embed: 4, ln1: 4, 'attn.qkv': 12, 'attn.q': 4, 'attn.k': 4, 'attn.v': 4, 'attn.q_rot': 4, 'attn.k_rot': 4, 'attn.head_out': 4, 'attn.out': 4, resid_post: 4, ln_final: 4, logits: 6 };
    const names = Object.keys(rec);
    expect(names[0]).toBe('embed');
    expect(names.slice(-2)).toEqual(['ln_final', 'logits']);
    expect(names).toContain('blocks.1.attn.pattern');
    for (const site of names) {
      const rest = site.replace(/^blocks\.\d+\./, '');
      const shape = rest === 'attn.scores' || rest === 'attn.pattern' ? [2, 2, 5, 5] : [2, 5, width[rest] ?? -1];
      if (shape[2] !== -1) expect(rec[site].shape, site).toEqual(shape);
      expect(rec[site].data).toBeInstanceOf(Float32Array);
      expect(rec[site].data.length, site).toBe(rec[site].shape.reduce((a, b) => a * b, 1));
    }
    for (const site of ['embed', 'blocks.0.attn.pattern', 'blocks.1.resid_post', 'logits']) expect(Array.from(rec[site].data), site).toEqual(Array.from(Float32Array.from(direct(CFG, 5, set, site))));
  });

  it('a 7-token layout set, an MLP model and a clamp', () => {
    const [set] = repeatEvalSets(RepeatSchema.parse({ prefixLength: 4, repeatLength: 3 }), 6, 3, 2, 3);
    const mlp = { ...CFG, mlpHidden: 5 };
    const rec = recordSites(randomParams(be, mlp, 6), set);
    expect(rec['blocks.0.attn.pattern'].shape).toEqual([3, 2, 7, 7]);
    expect(rec['logits'].shape).toEqual([3, 7, 6]);
    expect(Object.keys(rec).filter((s) => s.startsWith('blocks.1.mlp')).length).toBeGreaterThan(0);
    for (const s of Object.keys(rec).filter((x) => x.startsWith('blocks.1.mlp'))) expect(rec[s].shape.slice(0, 2), s).toEqual([3, 7]);
    expect(Array.from(rec['blocks.1.resid_post'].data)).toEqual(Array.from(Float32Array.from(direct(mlp, 6, set, 'blocks.1.resid_post'))));
    // a clamp's passes are recorded as clamped: the ablated head's v is 0
    const params = randomParams(be, CFG, 7);
    const clamped = recordSites(params, set, passesFor({ ablate: ['0:1'] }, params));
    const v = clamped['blocks.0.attn.v'].data;
    for (let i = 0; i < v.length; i++) if (i % 4 >= 2) expect(v[i]).toBe(0);
    expect(recordSites(params, set)['blocks.0.attn.v'].data.some((x, i) => i % 4 >= 2 && x !== 0)).toBe(true);
  });
});

describe('loadFeatures and InterventionError', () => {
  it('synthetic takes its seed from the data block; anything else is a file path', async () => {
    const f = await loadFeatures({ data: { source: 'synthetic', datasetPath: 'x', syntheticSeed: 3 } });
    expect(f.description).toBe(syntheticFeatures({ seed: 3, nClasses: 1 }).description.replace('classes=1', 'classes=1623'));
    expect(f.data.subarray(0, 512 * 5)).toEqual(syntheticFeatures({ seed: 3, nClasses: 1 }).data);
    await expect(loadFeatures({ data: { source: '/nonexistent/feat.npy', datasetPath: 'x', syntheticSeed: 0 } })).rejects.toThrow('feature file /nonexistent/feat.npy: not found');
    // a file's dataset path is passed on
    const h5 = await import('h5wasm/node');
    await h5.ready;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-load-'));
    const file = path.join(dir, 'f.h5');
    const hf = new h5.File(file, 'w');
    hf.create_group('g').create_dataset({ name: 'mine', data: Float32Array.from([1, 2]), shape: [1, 1, 2], dtype: '<f' });
    hf.close();
    expect(Array.from((await loadFeatures({ data: { source: file, datasetPath: 'g/mine', syntheticSeed: 0 } })).data)).toEqual([1, 2]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('InterventionError is named so', () => {
    const e = new InterventionError('x');
    expect(e.name).toBe('InterventionError');
    expect(e).toBeInstanceOf(Error);
  });
});
