/**
 * The site names of spec 2.6 (sites.ts) written out for a 1-layer model with and without the MLP, and the
 * run config's model section resolved to a ModelConfig (modelConfig.ts): the paper's config unchanged, the
 * MLP width from `hidden` or `ratio`, learned positions' ctx from the task's length.
 */
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './config.js';
import { runModelConfig } from './modelConfig.js';
import { DEFAULT_MODEL } from './params.js';
import { allSites, BLOCK_SITES, isSiteName, MLP_SITES } from './sites.js';

describe('sites', () => {
  it('every site of a 1-layer model, in forward order', () => {
    const block = ['ln1', 'attn.q', 'attn.k', 'attn.v', 'attn.q_rot', 'attn.k_rot', 'attn.scores', 'attn.pattern', 'attn.head_out', 'attn.attn_out'];
    expect([...BLOCK_SITES]).toEqual([...block, 'resid_post']);
    expect([...MLP_SITES]).toEqual(['resid_mid', 'ln2', 'mlp.pre', 'mlp.post']);
    expect(allSites(1)).toEqual(['embed', ...block.map((s) => `blocks.0.${s}`), 'blocks.0.resid_post', 'ln_final', 'logits']);
    expect(allSites(1, { mlp: true })).toEqual([
      'embed',
      ...block.map((s) => `blocks.0.${s}`),
      'blocks.0.resid_mid',
      'blocks.0.ln2',
      'blocks.0.mlp.pre',
      'blocks.0.mlp.post',
      'blocks.0.resid_post',
      'ln_final',
      'logits',
    ]);
    expect(allSites(0)).toEqual(['embed', 'ln_final', 'logits']);
    expect(allSites(3).length).toBe(3 + 3 * 11);
    expect(allSites(2)[12]).toBe('blocks.1.ln1');
  });

  it('isSiteName knows the layers and the MLP sites of the model it is asked about', () => {
    expect(isSiteName('blocks.1.attn.pattern', 2)).toBe(true);
    expect(isSiteName('blocks.2.attn.pattern', 2)).toBe(false);
    expect(isSiteName('blocks.0.mlp.pre', 2)).toBe(false);
    expect(isSiteName('blocks.0.mlp.pre', 2, { mlp: true })).toBe(true);
    expect(isSiteName('logits', 1)).toBe(true);
    expect(isSiteName('attn.pattern', 1)).toBe(false);
  });
});

describe('runModelConfig', () => {
  it('the paper’s config: the default model with the data’s width and the task’s labels, no variant fields', () => {
    const m = runModelConfig(parseRunConfig({ task: { numLabels: 7 } }), 33);
    expect(m).toEqual({ ...DEFAULT_MODEL, featureDim: 33, numLabels: 7 });
    expect('mlpHidden' in m || 'ctx' in m || 'mlp' in m).toBe(false);
  });

  it('the model section’s fields carry over; the MLP width from hidden, or ratio × dModel rounded', () => {
    const c = parseRunConfig({ model: { dModel: 24, nHeads: 3, nLayers: 3, ropeBase: 500, lnEps: 1e-3, headDim: 4, mlp: { hidden: 9 } } });
    expect(runModelConfig(c, 5)).toEqual({ dModel: 24, nHeads: 3, nLayers: 3, featureDim: 5, numLabels: 5, ropeBase: 500, lnEps: 1e-3, headDim: 4, mlpHidden: 9 });
    expect(runModelConfig(parseRunConfig({ model: { dModel: 24, nHeads: 3, mlp: { ratio: 1.3 } } }), 5).mlpHidden).toBe(31); // 31.2
    expect(runModelConfig(parseRunConfig({ model: { dModel: 24, nHeads: 3, mlp: { ratio: 1.5 / 24 } } }), 5).mlpHidden).toBe(2); // 1.5 rounds up
  });

  it('learned positions: ctx as given, else the task’s sequence length; other positions keep no ctx', () => {
    expect(runModelConfig(parseRunConfig({ model: { positions: 'learned', ctx: 12 } }), 4).ctx).toBe(12);
    expect(runModelConfig(parseRunConfig({ model: { positions: 'learned' } }), 4).ctx).toBe(5);
    expect(runModelConfig(parseRunConfig({ task: { shots: 4, numLabels: 5 }, model: { positions: 'learned' } }), 4).ctx).toBe(9);
    const none = runModelConfig(parseRunConfig({ model: { positions: 'none', ctx: 12 } }), 4);
    expect(none.positions).toBe('none');
    expect(none.ctx).toBeUndefined();
  });
});
