/**
 * The named presets against the paper (spec section 7) written out by hand: which heads each condition
 * ablates or clamps, its schedule, its figure legend, and that the heads of another seed (--heads-from)
 * reach exactly the presets that clamp particular heads. Every preset must also pass the config schema.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError as ConfigErrorBase } from './configError.js';
import { ConfigError, parseRunConfig } from './config.js';
import { DEFAULT_PRESET_HEADS, PRESETS, onlyHead, presetConfig, type PresetHeads } from './presets.js';
import { TASK_PRESETS } from './taskPresets.js';

// Seed 5's heads: induction head L2H3, previous-token head L1H2, previous-token group {L1H1, L1H2, L1H5}.
const ALL_BUT_L2H3 = ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'];
const OTHER: PresetHeads = { ih: '1:6', pt: '0:4', ptGroup: ['0:0', '0:7'] };
const ALL_BUT_L2H6 = ['1:0', '1:1', '1:2', '1:3', '1:4', '1:5', '1:7'];

describe('the paper presets', () => {
  it('are exactly the runs of the paper: main, smoke, Fig. 4b, 5b, 7, 8, 15 and 17', () => {
    const expected = [
      'main',
      'smoke',
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((h) => `only-L2H${h}`),
      'fig5b-none', 'fig5b-pt', 'fig5b-layer1', 'fig5b-match', 'fig5b-copy', 'fig5b-layer1-copy',
      'fig8-h6', 'fig8-ptgroup', 'fig8-all',
      'fig15',
      ...[0, 1, 2, 4, 5, 6, 7].map((h) => `fig17-L2H${h}`),
      'fig7-graft',
    ];
    expect(Object.keys(PRESETS).sort()).toEqual([...expected].sort());
    expect(DEFAULT_PRESET_HEADS).toEqual({ ih: '1:3', pt: '0:2', ptGroup: ['0:1', '0:2', '0:5'] });
    expect(onlyHead('1:3')).toEqual(ALL_BUT_L2H3);
  });

  it('main and smoke', () => {
    expect(presetConfig('main')).toEqual({ preset: 'main' });
    expect(presetConfig('smoke')).toEqual({ preset: 'smoke', schedule: { seqs: 20_000, evalEvery: 2000, ckptEvery: 10_000, evalSize: 200 } });
    expect(PRESETS.main.legend).toBe('no clamp');
    expect(PRESETS.smoke.legend).toBeUndefined();
  });

  it('Fig. 4b: only one layer-2 head active, the rest ablated, default schedule', () => {
    for (let h = 0; h < 8; h++) {
      const ablate = [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => j !== h).map((j) => `1:${j}`);
      expect(presetConfig(`only-L2H${h}`)).toEqual({ preset: `only-L2H${h}`, interventions: { ablate } });
      expect(PRESETS[`only-L2H${h}`].legend).toBe(`only L2H${h}`);
      expect(PRESETS[`only-L2H${h}`].description).toContain(`("1:${h}")`);
    }
  });

  it('Fig. 5b: each condition clamps what the paper says, on 6e5 sequences evaluated every 1000', () => {
    const schedule = { seqs: 600_000, evalEvery: 1000, ckptEvery: 6000 };
    const want: Record<string, [string, object]> = {
      none: ['None', { ablate: ALL_BUT_L2H3 }],
      pt: ['1', { ablate: ALL_BUT_L2H3, prevToken: { heads: ['0:2'] } }],
      layer1: ['1, 2', { ablate: ALL_BUT_L2H3, perfectLayer1: true }],
      match: ['1, 2, 3qk, 4', { ablate: ALL_BUT_L2H3, match: { heads: ['1:3'] } }],
      copy: ['3v, 5', { perfectCopy: { head: '1:3' } }],
      'layer1-copy': ['1, 2, 3v, 5', { perfectLayer1: true, perfectCopy: { head: '1:3' } }],
    };
    for (const [name, [legend, interventions]] of Object.entries(want)) {
      const p = PRESETS[`fig5b-${name}`];
      expect(presetConfig(`fig5b-${name}`)).toEqual({ preset: `fig5b-${name}`, schedule, interventions });
      // the figure's legend: the steps the clamp does for the model, as Fig. 5b numbers them
      expect(p.legend!.startsWith(legend === 'None' ? 'None' : `${legend} (`)).toBe(true);
      expect(p.description).toMatch(/^Fig\. 5b .+; 6e5 sequences, eval every 1000$/);
      expect(p.usesHeads).toBe(true);
    }
    // the description carries the long legend (which parameters still learn)
    expect(PRESETS['fig5b-match'].description).toContain('match clamp (C learns)');
  });

  it('App. Fig. 8: the previous-token clamp on L1H6, on the PT group and on all of layer 1', () => {
    const schedule = { seqs: 800_000, evalEvery: 5000, ckptEvery: 100_000 };
    const heads: Record<string, string[]> = { h6: ['0:6'], ptgroup: ['0:1', '0:2', '0:5'], all: ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7'] };
    for (const [name, h] of Object.entries(heads)) {
      expect(presetConfig(`fig8-${name}`)).toEqual({ preset: `fig8-${name}`, schedule, interventions: { ablate: ALL_BUT_L2H3, prevToken: { heads: h } } });
      expect(PRESETS[`fig8-${name}`].usesHeads).toBe(true);
      expect(PRESETS[`fig8-${name}`].description).toMatch(/^App\. Fig\. 8: .+; 8e5 sequences, eval every 5000$/);
    }
    expect(PRESETS['fig8-h6'].legend).toBe('PT clamp on L1H6');
    expect(PRESETS['fig8-ptgroup'].legend).toBe('PT clamp on the PT group');
    expect(PRESETS['fig8-all'].legend).toBe('PT clamp on all layer-1 heads');
    expect(PRESETS['fig8-h6'].description).toContain('clamped on L1H6 (a partial previous-token head for seed 5)');
    expect(PRESETS['fig8-ptgroup'].description).toContain('clamped on the previous-token group (seed 5: {L1H1, L1H2, L1H5})');
    expect(PRESETS['fig8-all'].description).toContain('clamped on all eight layer-1 heads');
  });

  it('App. Fig. 15, 17 and 7', () => {
    expect(presetConfig('fig15')).toEqual({ preset: 'fig15', schedule: { seqs: 600_000, evalEvery: 5000, ckptEvery: 100_000 }, interventions: { match: { heads: ['1:3'], strength: 1 } } });
    for (const h of [0, 1, 2, 4, 5, 6, 7]) {
      const ablate = [0, 1, 2, 4, 5, 6, 7].filter((j) => j !== h).map((j) => `1:${j}`);
      expect(presetConfig(`fig17-L2H${h}`)).toEqual({ preset: `fig17-L2H${h}`, schedule: { ckptEvery: 100_000 }, interventions: { ablate } });
      expect(PRESETS[`fig17-L2H${h}`].legend).toBe(`L2H3 + L2H${h}`);
      expect(PRESETS[`fig17-L2H${h}`].description).toContain(`heads 3 and ${h} active`);
    }
    expect(presetConfig('fig7-graft')).toEqual({ preset: 'fig7-graft', schedule: { seqs: 800_000, evalEvery: 1000, ckptEvery: 100_000 } });
    expect(PRESETS['fig7-graft'].legend).toBe('Layer 1 grafted');
  });

  it('the heads of another seed reach exactly the presets that clamp particular heads', () => {
    for (const [name, p] of Object.entries(PRESETS)) {
      const moved = JSON.stringify(presetConfig(name, OTHER)) !== JSON.stringify(presetConfig(name));
      expect(moved, name).toBe(p.usesHeads);
    }
    expect(presetConfig('fig5b-pt', OTHER).interventions).toEqual({ ablate: ALL_BUT_L2H6, prevToken: { heads: ['0:4'] } });
    expect(presetConfig('fig8-ptgroup', OTHER).interventions).toEqual({ ablate: ALL_BUT_L2H6, prevToken: { heads: ['0:0', '0:7'] } });
    expect(presetConfig('fig8-h6', OTHER).interventions).toEqual({ ablate: ALL_BUT_L2H6, prevToken: { heads: ['0:6'] } });
    expect(presetConfig('fig15', OTHER).interventions).toEqual({ match: { heads: ['1:6'], strength: 1 } });
    expect(presetConfig('fig5b-copy', OTHER).interventions).toEqual({ perfectCopy: { head: '1:6' } });
  });

  it('every preset and task preset is a valid run config, and its description says how many sequences it trains', () => {
    const words: Record<number, string> = { 1_000_000: '1e6', 600_000: '6e5', 800_000: '8e5', 20_000: '20k' };
    for (const name of [...Object.keys(PRESETS), ...Object.keys(TASK_PRESETS)]) {
      const cfg = parseRunConfig(presetConfig(name));
      expect(cfg.preset).toBe(name);
      if (PRESETS[name]) expect(PRESETS[name].description, name).toContain(words[cfg.schedule.seqs]);
    }
  });
});

describe('the task presets (issue 23)', () => {
  it('Olsson et al.: one repeated token after 8 of 32; Chan et al.: bursty and non-bursty few-shot', () => {
    expect(presetConfig('olsson-induction')).toEqual({
      preset: 'olsson-induction',
      task: { kind: 'repeatTokens', numLabels: 32, repeat: { prefixLength: 8, repeatLength: 1 } },
      optim: { lr: 3e-3 },
      schedule: { seqs: 400_000, evalEvery: 5000, ckptEvery: 20_000, evalSize: 500 },
    });
    const bursty = (pBursty: number) => ({
      task: { kind: 'bursty', numLabels: 32, bursty: { contextPairs: 4, burstiness: 2, pBursty, zipfExponent: 0, trainClasses: 1000, exemplars: 1 } },
      optim: { lr: 2e-3 },
      schedule: { seqs: 400_000, evalEvery: 10_000, ckptEvery: 100_000, evalSize: 500 },
    });
    expect(presetConfig('bursty-icl')).toEqual({ preset: 'bursty-icl', ...bursty(0.9) });
    expect(presetConfig('nonbursty-icl')).toEqual({ preset: 'nonbursty-icl', ...bursty(0) });
    expect(Object.keys(TASK_PRESETS)).toEqual(['olsson-induction', 'bursty-icl', 'nonbursty-icl']);
    expect(TASK_PRESETS['olsson-induction'].description).toContain("'opto check induction <run>'");
    expect(TASK_PRESETS['bursty-icl'].description).toContain('pBursty 0.9');
    expect(TASK_PRESETS['nonbursty-icl'].description).toContain('without bursts (pBursty 0)');
    // they stay out of the paper's catalogue
    for (const name of Object.keys(TASK_PRESETS)) expect(PRESETS[name]).toBeUndefined();
  });

  it('a task preset is handed out as a copy: changing it leaves the catalogue intact', () => {
    const a = presetConfig('olsson-induction') as { task: { numLabels: number } };
    a.task.numLabels = 7;
    expect((presetConfig('olsson-induction') as { task: { numLabels: number } }).task.numLabels).toBe(32);
  });

  it('an unknown name is a ConfigError listing every preset, paper and task', () => {
    let err: unknown;
    try {
      presetConfig('fig99');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(ConfigErrorBase);
    expect((err as Error).name).toBe('ConfigError');
    const m = /^unknown preset 'fig99'; available: (.+)$/.exec((err as Error).message);
    expect(m).not.toBeNull();
    expect(m![1].split(', ')).toEqual([...Object.keys(PRESETS), 'olsson-induction', 'bursty-icl', 'nonbursty-icl']);
  });
});
