/**
 * What the registry's consumers read from each clamp besides its flags (the dashboard's ClampForm, README's
 * clamp table, the pass order): its place in the stages, the sites it writes and its form field, written
 * out here from the clamp table of README and the dashboard's form kinds. registry.test.ts checks that
 * these exist; this pins their values.
 */
import { describe, expect, it } from 'vitest';
import { CLAMPS, type AnyClamp } from './index.js';

const heads = (layer: 'first' | 'last', numbers?: object[]) => ({ kind: 'heads', layer, ...(numbers && { numbers }) });
const strength = [{ path: 'strength', label: 'strength', default: 1, step: 0.1 }];

/** key: [order, section, sites, the form without its label and title]. */
const WANT: Record<string, [number, string, string[], object]> = {
  preserve: [100, '4.3', ['blocks.*.attn.pattern', 'blocks.*.attn.v', 'blocks.*.attn.q', 'blocks.*.attn.k'], { kind: 'switches', options: ['patterns', 'values', 'queries', 'keys'] }],
  perfectLayer1: [200, '4.7', ['embed', 'blocks.0.resid_post', 'blocks.≥1.attn.pattern'], { kind: 'switch' }],
  graft: [210, '4.9', ['blocks.<tillLayer>.resid_post'], { kind: 'file', path: 'checkpoint', numbers: [{ path: 'tillLayer', label: 'till layer', default: 0, step: 1 }], nodeOnly: true }],
  graftOut: [220, 'opto.py', ['blocks.<fromLayer>.resid_post (of the donor pass)'], { kind: 'file', path: 'checkpoint', numbers: [{ path: 'fromLayer', label: 'from layer', default: 0, step: 1 }], nodeOnly: true }],
  ablateEmbedding: [300, 'opto.py', ['embed'], { kind: 'switch' }],
  headTemperature: [400, 'opto.py', ['blocks.*.attn.scores'], heads('last', [{ path: 'temperature', label: 'τ', default: 1, step: 0.25 }])],
  silenceNonLabel: [410, 'opto.py', ['blocks.*.attn.scores (query row)'], heads('last')],
  forbidPrevToken: [420, 'opto.py', ['blocks.*.attn.scores'], heads('first')],
  prevToken: [500, '4.4', ['blocks.*.attn.pattern'], heads('first')],
  prevTokenLabels: [510, 'opto.py', ['blocks.*.attn.pattern (rows 1, 3)'], heads('first')],
  match: [520, '4.5', ['blocks.*.attn.pattern (query row)'], heads('last', strength)],
  featureMatch: [530, 'opto.py', ['blocks.*.attn.pattern (query row)'], heads('last', [{ path: 'temperature', label: 'τ', default: 0, step: 0.05 }])],
  uniformAttention: [540, 'optoscope', ['blocks.*.attn.pattern'], heads('last', strength)],
  ablate: [600, '4.2', ['blocks.*.attn.v'], { kind: 'headsPerLayer' }],
  perfectCopy: [700, '4.6', ['logits'], { kind: 'head', layer: 'last' }],
};

describe('clamp places, sites and forms', () => {
  it('every clamp, in registry order', () => {
    expect((CLAMPS as readonly AnyClamp[]).map((c) => c.key)).toEqual(Object.keys(WANT));
  });

  for (const [key, [order, section, sites, form]] of Object.entries(WANT))
    it(key, () => {
      const c = (CLAMPS as readonly AnyClamp[]).find((x) => x.key === key)!;
      expect(c.order).toBe(order);
      expect(c.section).toBe(section);
      expect(c.sites).toEqual(sites);
      const { label, title, ...rest } = c.form as { label: string; title: string };
      expect(rest).toEqual(form);
      expect(label.length).toBeGreaterThan(3);
      expect(title.length).toBeGreaterThan(10);
      expect(c.summary.length).toBeGreaterThan(10);
      expect(c.label.length).toBeGreaterThan(3);
      for (const f of c.flags) expect(f.help.length, f.flag).toBeGreaterThan(10);
    });
});
