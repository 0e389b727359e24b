/**
 * The model family beyond the paper (params.ts, model.ts): finite differences of every parameter gradient
 * on the float64 reference for each variant of the conformance grid, GELU against its closed form, the
 * query-only fast path against the all-positions forward, and the config's bounds.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { parseRunConfig } from './config.js';
import { buildModel } from './model.js';
import * as op from './ops.js';
import { DEFAULT_MODEL, paramSpecs, ParamStore, type ModelConfig } from './params.js';
import { Rng } from './rng.js';
import { allSites } from './sites.js';
import { conformanceBatch, MODEL_GRID, relErr } from './testing/conformance.js';
import { checkGradients, modelFdError } from './testing/fd.js';
import { Graph } from './graph.js';
import { modelConfigFor } from './trainSetup.js';

const be = createReferenceBackend();

function setup(config: ModelConfig, B: number, nItems: number, seed: number) {
  const rng = new Rng(seed);
  const p = new ParamStore(be, config);
  p.init(seed);
  // Every parameter away from its init (zero biases, unit gains) so each gradient is exercised at a generic point.
  for (const e of p.list()) be.write(e.value, Array.from(be.read(e.value), (x) => x + 0.3 * rng.normal()));
  const feats = Float32Array.from({ length: nItems * config.featureDim }, () => Math.abs(rng.normal()));
  const batch = conformanceBatch(B, nItems, config.numLabels, rng);
  return { p, rng, feats, batch };
}

describe('model variants: gradients against finite differences (reference, float64)', () => {
  it('GELU (tanh approximation) forward is the closed form and its backward matches finite differences', () => {
    const g = new Graph(be, { training: false });
    const xs = [-9, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 9];
    const x = g.wrap(be.allocF(xs.length), [xs.length], null);
    be.write(x.buf, xs);
    const y = op.gelu(g, x);
    g.compile(null, [y]).forward();
    // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) written out independently, in erf-free form.
    const want = xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
    expect(relErr(be.read(y.buf), want)).toBeLessThan(1e-15);
    // torch 1.13 (Debian python3-torch): nn.GELU(approximate='tanh')(tensor([-3., 0.5], dtype=float64)).
    expect(be.read(y.buf)[1]).toBeCloseTo(-0.0036373920817729943, 15);
    expect(be.read(y.buf)[7]).toBeCloseTo(0.34571400982514394, 15);
    const r = checkGradients(be, [[6, 7]], (gg, [z]) => op.gelu(gg, z), { init: (_, rng) => 2 * rng.normal() });
    expect(r.maxRelErr).toBeLessThan(1e-6);
  });

  for (const v of MODEL_GRID)
    it(`${v.name}: every parameter's loss gradient matches finite differences`, () => {
      const { p, rng, feats, batch } = setup(v.config, 3, 5, 9);
      const m = buildModel(p, { batch: 3, nItems: 5, training: true });
      m.setFeatures(feats);
      m.setBatch(batch);
      expect(modelFdError(be, p, m, rng, 4)).toBeLessThan(1e-4);
    });
});

describe('model variants: the exact speed-ups', () => {
  for (const v of MODEL_GRID)
    it(`${v.name}: the query-only training forward equals the all-positions forward at the query`, () => {
      const { p, feats, batch } = setup(v.config, 4, 6, 3);
      const run = (allPositions: boolean) => {
        const m = buildModel(p, { batch: 4, nItems: 6, training: false, allPositions });
        m.setFeatures(feats);
        m.setBatch(batch);
        m.program.forward();
        return [...be.read(m.queryLogits.buf)];
      };
      expect(relErr(run(false), run(true))).toBeLessThan(1e-12);
    });

  it('learned positions switch the distinct-row block 0 off (its LN input differs per position); RoPE keeps it', () => {
    // On the distinct-row path block 0's ln1 is record-only: the pass hook never sees it.
    const recordOnly = (c: ModelConfig) => {
      const p = new ParamStore(be, c);
      p.init(1);
      const hooked: string[] = [];
      buildModel(p, { batch: 2, nItems: 4, training: true, passes: [{ name: '', hook: (site, value) => (hooked.push(site), value) }] });
      return !hooked.includes('blocks.0.ln1');
    };
    expect(recordOnly({ ...DEFAULT_MODEL, featureDim: 8 })).toBe(true);
    expect(recordOnly({ ...DEFAULT_MODEL, featureDim: 8, positions: 'learned', ctx: 5 })).toBe(false);
    expect(recordOnly({ ...DEFAULT_MODEL, featureDim: 8, positions: 'none', mlpHidden: 16 })).toBe(true);
  });
});

describe('model variants: parameters, sites and config', () => {
  it("the paper's config keeps its parameter layout exactly (names, shapes, order)", () => {
    const variant = paramSpecs({ ...DEFAULT_MODEL, headDim: 8, positions: 'rope', mlpHidden: 0 });
    expect(variant).toEqual(paramSpecs(DEFAULT_MODEL));
    expect(paramSpecs(DEFAULT_MODEL).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)).toBe(66_629);
  });

  it('an MLP block adds ln2 and fc1/fc2 with biases; learned positions add embed.pos.weight [ctx, d]; headDim sets the attention width', () => {
    const specs = paramSpecs({ ...DEFAULT_MODEL, nLayers: 1, nHeads: 4, headDim: 6, mlpHidden: 100, positions: 'learned', ctx: 9 });
    const shapes = Object.fromEntries(specs.map((s) => [s.name, s.shape]));
    expect(shapes['embed.pos.weight']).toEqual([9, 64]);
    expect(shapes['blocks.0.attn.qkv.weight']).toEqual([72, 64]);
    expect(shapes['blocks.0.attn.out.weight']).toEqual([64, 24]);
    expect(shapes['blocks.0.mlp.fc1.weight']).toEqual([100, 64]);
    expect(shapes['blocks.0.mlp.fc1.bias']).toEqual([100]);
    expect(shapes['blocks.0.mlp.fc2.weight']).toEqual([64, 100]);
    expect(shapes['blocks.0.mlp.fc2.bias']).toEqual([64]);
    expect(shapes['blocks.0.ln2.weight']).toEqual([64]);
  });

  it('every site of an MLP model is recorded with blocks.{l}.mlp.pre [rows, hidden] and mlp.post [rows, d]', () => {
    const c: ModelConfig = { ...DEFAULT_MODEL, featureDim: 8, nLayers: 3, mlpHidden: 20 };
    const p = new ParamStore(be, c);
    p.init(2);
    const m = buildModel(p, { batch: 2, nItems: 4, training: false, allPositions: true, keep: 'all' });
    for (const site of allSites(3, { mlp: true })) expect(m.program.sites.has(site), site).toBe(true);
    expect(m.program.sites.get('blocks.2.mlp.pre')!.shape).toEqual([10, 20]);
    expect(m.program.sites.get('blocks.2.mlp.post')!.shape).toEqual([10, 64]);
    expect(allSites(1, { mlp: true })).toEqual(['embed', 'blocks.0.ln1', 'blocks.0.attn.q', 'blocks.0.attn.k', 'blocks.0.attn.v', 'blocks.0.attn.q_rot', 'blocks.0.attn.k_rot', 'blocks.0.attn.scores', 'blocks.0.attn.pattern', 'blocks.0.attn.head_out', 'blocks.0.attn.attn_out', 'blocks.0.resid_mid', 'blocks.0.ln2', 'blocks.0.mlp.pre', 'blocks.0.mlp.post', 'blocks.0.resid_post', 'ln_final', 'logits']);
  });

  it('config: nLayers 1..6, positions, mlp hidden or ratio, headDim; bad values name the field', () => {
    const features = { dim: 512 } as Parameters<typeof modelConfigFor>[1];
    const mc = (model: object, task: object = {}) => modelConfigFor(parseRunConfig({ model, task }), features);
    expect(mc({})).toEqual({ ...DEFAULT_MODEL });
    expect(mc({ nLayers: 4, dModel: 128, mlp: { ratio: 4 } })).toMatchObject({ nLayers: 4, dModel: 128, mlpHidden: 512 });
    expect(mc({ mlp: { hidden: 100 }, positions: 'learned' }, { shots: 4 })).toMatchObject({ mlpHidden: 100, positions: 'learned', ctx: 9 });
    expect(mc({ positions: 'none', nHeads: 3, dModel: 63 })).toMatchObject({ positions: 'none', nHeads: 3 });
    expect(mc({ nHeads: 4, headDim: 6 })).toMatchObject({ headDim: 6 });
    const bad: [object, RegExp][] = [
      [{ nLayers: 7 }, /^config: model\.nLayers: .*6.* \(got 7\)$/],
      [{ nLayers: 0 }, /^config: model\.nLayers: .*1.* \(got 0\)$/],
      [{ positions: 'alibi' }, /^config: model\.positions: /],
      [{ mlp: { hidden: 0 } }, /^config: model\.mlp/],
      [{ mlp: { ratio: 4, hidden: 8 } }, /^config: model\.mlp/],
      [{ headDim: 7 }, /^config: model\.headDim: RoPE rotates pairs, so headDim must be even, got 7/],
      [{ nHeads: 3, dModel: 63 }, /^config: model\.nHeads: dModel 63 \/ nHeads 3 must be an even integer head size/],
      [{ positions: 'learned', ctx: 4 }, /^config: model\.ctx: 4 learned positions are fewer than the task's 5 tokens/],
    ];
    for (const [model, re] of bad) expect(() => parseRunConfig({ model }), JSON.stringify(model)).toThrow(re);
  });
});
