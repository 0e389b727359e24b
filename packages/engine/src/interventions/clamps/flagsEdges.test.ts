/**
 * Every clamp's CLI flags (the `set` each flag merges into the spec, as `opto train` calls them), with the
 * spec each must give written out by hand: merged into what the spec already holds, defaults filled, and
 * the flags that need another refused with their message. Also the `onlyHead` helper of ablate.ts.
 */
import { describe, expect, it } from 'vitest';
import { onlyHead } from './ablate.js';
import { CLAMPS, type AnyClamp } from './index.js';

const M = { nLayers: 2, nHeads: 4 };
const flagOf = (name: string) => {
  for (const c of CLAMPS as readonly AnyClamp[]) for (const f of c.flags) if (f.flag.split(' ')[0] === name) return f;
  throw new Error(`no flag ${name}`);
};
const set = (name: string, v: unknown, s: Record<string, unknown> = {}, f: Record<string, unknown> = {}) => flagOf(name).set(v, s, f, M);

describe('clamp flags', () => {
  it('--ablate unions with heads already ablated (no duplicates, order kept); --only-head ablates the rest of its layer', () => {
    expect(set('--ablate', ['1:0', '1:2'])).toEqual({ ablate: ['1:0', '1:2'] });
    expect(set('--ablate', ['1:2', '0:1'], { ablate: ['1:2', '1:3'], x: 1 })).toEqual({ ablate: ['1:2', '1:3', '0:1'], x: 1 });
    expect(set('--only-head', '1:2')).toEqual({ ablate: ['1:0', '1:1', '1:3'] });
    expect(set('--only-head', '1:2', { ablate: ['0:3'] })).toEqual({ ablate: ['0:3', '1:0', '1:1', '1:3'] });
    expect(set('--only-head', '0:0', { ablate: 'junk' })).toEqual({ ablate: ['0:1', '0:2', '0:3'] });
    expect(() => set('--only-head', '1:2', { ablate: ['1:2'] })).toThrow('--only-head 1:2: head "1:2" is kept active, but the ablation list also removes it');
    expect(() => set('--only-head', '2:0')).toThrow('--only-head 2:0: head "2:0": layer 2 out of range (the model has layers 0..1)');
    expect(onlyHead('1:3')).toEqual(['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7']);
    expect(onlyHead('0:1', 3)).toEqual(['0:0', '0:2']);
  });

  it('switches set their clamp to true', () => {
    expect(set('--ablate-embedding', true, { a: 1 })).toEqual({ a: 1, ablateEmbedding: true });
    expect(set('--perfect-layer1', true)).toEqual({ perfectLayer1: true });
  });

  it('heads@number flags: the number or the default temperature', () => {
    expect(set('--feature-match', { heads: ['1:3'], at: 0.1 })).toEqual({ featureMatch: { heads: ['1:3'], temperature: 0.1 } });
    expect(set('--feature-match', { heads: ['1:3'] })).toEqual({ featureMatch: { heads: ['1:3'], temperature: 0 } });
    expect(set('--head-temperature', { heads: ['0:2'], at: 0.5 })).toEqual({ headTemperature: { heads: ['0:2'], temperature: 0.5 } });
    expect(set('--head-temperature', { heads: ['0:2'] })).toEqual({ headTemperature: { heads: ['0:2'], temperature: 1 } });
  });

  it('heads[@s] and head flags store their value under the clamp', () => {
    const v = { heads: ['0:1'], strength: 0.75 };
    expect(set('--match', v)).toEqual({ match: v });
    expect(set('--prev-token', v)).toEqual({ prevToken: v });
    expect(set('--prev-token-labels', v)).toEqual({ prevTokenLabels: v });
    expect(set('--uniform-attention', v)).toEqual({ uniformAttention: v });
    expect(set('--perfect-copy', '1:3')).toEqual({ perfectCopy: { head: '1:3' } });
    expect(set('--silence-non-label', ['1:3'])).toEqual({ silenceNonLabel: { heads: ['1:3'] } });
    expect(set('--preserve', ['patterns', 'keys'])).toEqual({ preserve: { patterns: true, keys: true } });
  });

  it('--forbid-prev-token keeps labelsOnly when given after it; --forbid-prev-token-labels-only needs it', () => {
    expect(set('--forbid-prev-token', ['0:2'])).toEqual({ forbidPrevToken: { heads: ['0:2'] } });
    expect(set('--forbid-prev-token', ['0:2'], { forbidPrevToken: { labelsOnly: true } })).toEqual({ forbidPrevToken: { labelsOnly: true, heads: ['0:2'] } });
    expect(set('--forbid-prev-token-labels-only', true, { forbidPrevToken: { heads: ['0:2'] } }, { forbidPrevToken: ['0:2'] })).toEqual({ forbidPrevToken: { heads: ['0:2'], labelsOnly: true } });
    expect(() => set('--forbid-prev-token-labels-only', true, {}, {})).toThrow('--forbid-prev-token-labels-only needs --forbid-prev-token <heads>');
  });

  it('--graft / --graft-out take their layer from the companion flag (default 0), which needs them', () => {
    expect(set('--graft', 'a.safetensors', {}, { graftTill: 1 })).toEqual({ graft: { checkpoint: 'a.safetensors', tillLayer: 1 } });
    expect(set('--graft', 'a.safetensors')).toEqual({ graft: { checkpoint: 'a.safetensors', tillLayer: 0 } });
    const s = { graft: { checkpoint: 'a', tillLayer: 1 } };
    expect(set('--graft-till', 1, s, { graft: 'a', graftTill: 1 })).toBe(s);
    expect(() => set('--graft-till', 1, {}, { graftTill: 1 })).toThrow('--graft-till needs --graft <checkpoint>');
    expect(set('--graft-out', 'b.safetensors', {}, { graftOutFrom: 1 })).toEqual({ graftOut: { checkpoint: 'b.safetensors', fromLayer: 1 } });
    expect(set('--graft-out', 'b.safetensors')).toEqual({ graftOut: { checkpoint: 'b.safetensors', fromLayer: 0 } });
    const o = { graftOut: { checkpoint: 'b', fromLayer: 1 } };
    expect(set('--graft-out-from', 1, o, { graftOut: 'b', graftOutFrom: 1 })).toBe(o);
    expect(() => set('--graft-out-from', 1, {}, { graftOutFrom: 1 })).toThrow('--graft-out-from needs --graft-out <checkpoint>');
  });

  it('flag names, aliases and argument kinds', () => {
    const all = (CLAMPS as readonly AnyClamp[]).flatMap((c) => c.flags.map((f) => [f.flag, f.arg, ...(f.aliases ?? [])].join(' ')));
    expect(all.sort()).toEqual(
      [
        '--ablate <heads> heads',
        '--only-head <head> head',
        '--ablate-embedding switch',
        '--feature-match <heads@t> headsAtNumber',
        '--forbid-prev-token <heads> heads',
        '--forbid-prev-token-labels-only switch',
        '--graft <checkpoint> file',
        '--graft-till <layer> layer',
        '--graft-out <checkpoint> file',
        '--graft-out-from <layer> layer',
        '--head-temperature <heads@t> headsAtNumber',
        '--match <heads[@s]> headsAt --ih-clamp',
        '--perfect-copy <head> head',
        '--perfect-layer1 switch --perfect-l1',
        '--preserve <what> words',
        '--prev-token <heads[@s]> headsAt --pt-clamp',
        '--prev-token-labels <heads[@s]> headsAt',
        '--silence-non-label <heads> heads',
        '--uniform-attention <heads[@s]> headsAt',
      ].sort(),
    );
  });
});
