/**
 * The parameter layout and initialisation (params.ts, spec 2.1, 2.4, 2.5) written out by hand: every tensor's
 * name, shape and place in the one contiguous block for each model variant, the spec 2.4 initialisers drawn
 * from an Rng stream in declaration order, and the block reads and writes a checkpoint uses.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { DEFAULT_MODEL, headDimOf, mlpHiddenOf, paramSpecs, positionsOf, ParamStore, type ModelConfig } from './params.js';
import { Rng } from './rng.js';

const be = createReferenceBackend();

describe('paramSpecs', () => {
  it('the paper model: 14 tensors, in order, with PyTorch [out, in] shapes and spec 2.4 initialisers', () => {
    const specs = paramSpecs(DEFAULT_MODEL).map((s) => [s.name, s.shape, s.init]);
    const block = (l: number) => [
      [`blocks.${l}.ln1.weight`, [64], { kind: 'ones' }],
      [`blocks.${l}.ln1.bias`, [64], { kind: 'zeros' }],
      [`blocks.${l}.attn.qkv.weight`, [192, 64], { kind: 'lecun', fanIn: 64 }],
      [`blocks.${l}.attn.out.weight`, [64, 64], { kind: 'lecun', fanIn: 64 }],
    ];
    expect(specs).toEqual([
      ['embed.exemplar.weight', [64, 512], { kind: 'lecun', fanIn: 512 }],
      ['embed.exemplar.bias', [64], { kind: 'zeros' }],
      ['embed.label.weight', [5, 64], { kind: 'label' }],
      ...block(0),
      ...block(1),
      ['ln_final.weight', [64], { kind: 'ones' }],
      ['ln_final.bias', [64], { kind: 'zeros' }],
      ['unembed.weight', [5, 64], { kind: 'lecun', fanIn: 64 }],
      ['unembed.bias', [5], { kind: 'zeros' }],
    ]);
  });

  it('variants: head width, learned positions and an MLP add exactly their tensors', () => {
    const cfg: ModelConfig = { ...DEFAULT_MODEL, nLayers: 1, nHeads: 2, headDim: 3, positions: 'learned', ctx: 7, mlpHidden: 10, numLabels: 4, featureDim: 6 };
    expect(paramSpecs(cfg).map((s) => [s.name, s.shape, s.init])).toEqual([
      ['embed.exemplar.weight', [64, 6], { kind: 'lecun', fanIn: 6 }],
      ['embed.exemplar.bias', [64], { kind: 'zeros' }],
      ['embed.label.weight', [4, 64], { kind: 'label' }],
      ['embed.pos.weight', [7, 64], { kind: 'label' }],
      ['blocks.0.ln1.weight', [64], { kind: 'ones' }],
      ['blocks.0.ln1.bias', [64], { kind: 'zeros' }],
      ['blocks.0.attn.qkv.weight', [18, 64], { kind: 'lecun', fanIn: 64 }],
      ['blocks.0.attn.out.weight', [64, 6], { kind: 'lecun', fanIn: 6 }],
      ['blocks.0.ln2.weight', [64], { kind: 'ones' }],
      ['blocks.0.ln2.bias', [64], { kind: 'zeros' }],
      ['blocks.0.mlp.fc1.weight', [10, 64], { kind: 'lecun', fanIn: 64 }],
      ['blocks.0.mlp.fc1.bias', [10], { kind: 'zeros' }],
      ['blocks.0.mlp.fc2.weight', [64, 10], { kind: 'lecun', fanIn: 10 }],
      ['blocks.0.mlp.fc2.bias', [64], { kind: 'zeros' }],
      ['ln_final.weight', [64], { kind: 'ones' }],
      ['ln_final.bias', [64], { kind: 'zeros' }],
      ['unembed.weight', [4, 64], { kind: 'lecun', fanIn: 64 }],
      ['unembed.bias', [4], { kind: 'zeros' }],
    ]);
    // mlpHidden 0 is attention-only; positions 'none' has no table
    const names = paramSpecs({ ...DEFAULT_MODEL, nLayers: 1, positions: 'none', mlpHidden: 0 }).map((s) => s.name);
    expect(names.some((n) => n.includes('mlp') || n.includes('ln2') || n.includes('pos'))).toBe(false);
    expect(names.length).toBe(3 + 4 + 4);
  });

  it('learned positions without ctx are refused with the config field named', () => {
    expect(() => paramSpecs({ ...DEFAULT_MODEL, positions: 'learned' })).toThrow("learned positions need the context length (model config 'ctx')");
    expect(() => paramSpecs({ ...DEFAULT_MODEL, positions: 'learned', ctx: 0 })).toThrow("model config 'ctx'");
  });

  it('the defaults of the optional fields: head width dModel/nHeads, RoPE, no MLP', () => {
    expect(headDimOf(DEFAULT_MODEL)).toBe(8);
    expect(headDimOf({ ...DEFAULT_MODEL, headDim: 16 })).toBe(16);
    expect(positionsOf(DEFAULT_MODEL)).toBe('rope');
    expect(positionsOf({ ...DEFAULT_MODEL, positions: 'none' })).toBe('none');
    expect(mlpHiddenOf(DEFAULT_MODEL)).toBe(0);
    expect(mlpHiddenOf({ ...DEFAULT_MODEL, mlpHidden: 32 })).toBe(32);
    expect(DEFAULT_MODEL).toEqual({ dModel: 64, nHeads: 8, nLayers: 2, featureDim: 512, numLabels: 5, ropeBase: 10000, lnEps: 1e-5 });
  });
});

const SMALL: ModelConfig = { ...DEFAULT_MODEL, dModel: 4, nHeads: 2, nLayers: 1, featureDim: 3, numLabels: 2 };

describe('ParamStore', () => {
  it('lays the tensors out back to back in declaration order, each a slice of the one block', () => {
    const p = new ParamStore(be, SMALL);
    // 12 + 4 + 8 + (4 + 4 + 48 + 16) + 4 + 4 + 8 + 2
    expect(p.total).toBe(114);
    let off = 0;
    for (const [i, e] of p.list().entries()) {
      expect(e.spec).toBe(p.specs[i]);
      expect(e.offset).toBe(off);
      expect(e.size).toBe(e.spec.shape.reduce((a, b) => a * b, 1));
      expect(p.get(e.spec.name)).toBe(e);
      off += e.size;
    }
    expect(off).toBe(114);
    // a write through a tensor's slice lands at its offset in the block, for values and gradients
    const e = p.get('blocks.0.attn.out.weight');
    be.write(e.value, Array.from({ length: e.size }, (_, i) => i + 1));
    be.write(e.grad, Array.from({ length: e.size }, (_, i) => -(i + 1)));
    const values = be.read(p.values);
    const grads = be.read(p.grads);
    expect(values[e.offset - 1]).toBe(0);
    expect(Array.from(values.slice(e.offset, e.offset + e.size))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(values[e.offset + e.size]).toBe(0);
    expect(grads[e.offset]).toBe(-1);
    expect(grads[e.offset + e.size - 1]).toBe(-16);
    expect(be.read(p.m).length).toBe(114);
    expect(be.read(p.v).length).toBe(114);
  });

  it('names the parameter it does not know', () => {
    expect(() => new ParamStore(be, SMALL).get('blocks.1.ln1.weight')).toThrow("unknown parameter 'blocks.1.ln1.weight'");
  });

  it('init draws spec 2.4 from one stream in declaration order and clears gradients and Adam moments', () => {
    const p = new ParamStore(be, SMALL);
    for (const b of [p.values, p.grads, p.m, p.v]) be.fill(b, 7, p.total);
    p.init(42);
    const rng = new Rng(42);
    const TN = 0.8796256610342398; // std of N(0, 1) truncated to ±2
    const lecun = (fanIn: number) => rng.truncatedNormal() / TN / Math.sqrt(fanIn);
    const want: number[] = [];
    const push = (n: number, f: () => number) => { for (let i = 0; i < n; i++) want.push(f()); };
    push(12, () => lecun(3)); // embed.exemplar.weight [4, 3]
    push(4, () => 0);
    push(8, () => 0.02 * rng.truncatedNormal()); // embed.label.weight
    push(4, () => 1);
    push(4, () => 0);
    push(48, () => lecun(4)); // qkv [12, 4]
    push(16, () => lecun(4)); // out [4, 4]
    push(4, () => 1);
    push(4, () => 0);
    push(8, () => lecun(4)); // unembed [2, 4]
    push(2, () => 0);
    const got = Array.from(be.read(p.values));
    expect(got.length).toBe(want.length);
    // the code scales by 1/√fan_in after dividing: equal up to one rounding
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `value ${i}`).toBeLessThanOrEqual(1e-15 * Math.abs(want[i]));
    expect(Array.from(be.read(p.grads)).every((x) => x === 0)).toBe(true);
    expect(Array.from(be.read(p.m)).every((x) => x === 0)).toBe(true);
    expect(Array.from(be.read(p.v)).every((x) => x === 0)).toBe(true);
    // lecun draws stay within ±2 / TN / √fanIn
    const q = Array.from(be.read(p.get('blocks.0.attn.qkv.weight').value));
    expect(Math.max(...q.map(Math.abs))).toBeLessThanOrEqual(2 / TN / 2);
  });

  it('zeroGrads clears the whole gradient block', () => {
    const p = new ParamStore(be, SMALL);
    be.fill(p.grads, 3, p.total);
    p.zeroGrads();
    expect(Array.from(be.read(p.grads)).every((x) => x === 0)).toBe(true);
  });

  it('readBlock copies any block out as float32 (values by default); writeBlock checks the length', () => {
    const p = new ParamStore(be, SMALL);
    const data = Array.from({ length: p.total }, (_, i) => i / 3);
    for (const which of ['values', 'm', 'v'] as const) {
      p.writeBlock(which, data.map((x) => x + (which === 'm' ? 1 : which === 'v' ? 2 : 0)));
    }
    be.write(p.grads, data.map((x) => -x));
    const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));
    const v = p.readBlock();
    expect(v).toBeInstanceOf(Float32Array);
    expect(Array.from(v)).toEqual(f32(data));
    expect(Array.from(p.readBlock('values'))).toEqual(f32(data));
    expect(Array.from(p.readBlock('grads'))).toEqual(f32(data.map((x) => -x)));
    expect(Array.from(p.readBlock('m'))).toEqual(f32(data.map((x) => x + 1)));
    expect(Array.from(p.readBlock('v'))).toEqual(f32(data.map((x) => x + 2)));
    expect(() => p.writeBlock('m', new Float32Array(113))).toThrow("parameter block 'm' has 113 values, expected 114");
    expect(() => p.writeBlock('values', new Float32Array(115))).toThrow("parameter block 'values' has 115 values, expected 114");
  });

  it('a store is trainable unless built frozen', () => {
    expect(new ParamStore(be, SMALL).frozen).toBe(false);
    expect(new ParamStore(be, SMALL, true).frozen).toBe(true);
  });
});
