/**
 * Every clamp's own validation rule (each clamp's `validate`), word for word, each with a spec just inside
 * it that passes: the contradictions between clamps, the layer bounds, and the clamps that need a
 * filesystem to load a donor.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference.js';
import { DEFAULT_MODEL, ParamStore } from '../../params.js';
import { compilePasses } from '../passes.js';
import { parseInterventionSpec } from '../spec.js';

const M1 = { ...DEFAULT_MODEL, nLayers: 1 };
const M3 = { ...DEFAULT_MODEL, nLayers: 3 };
const msg = (spec: unknown, model = DEFAULT_MODEL) => {
  try {
    parseInterventionSpec(spec, model);
  } catch (e) {
    return (e as Error).message;
  }
  return 'valid';
};
const G = { checkpoint: 'd.safetensors', tillLayer: 0 };
const GO = { checkpoint: 'd.safetensors', fromLayer: 0 };

describe('clamp validation', () => {
  it('ablateEmbedding', () => {
    expect(msg({ ablateEmbedding: true, perfectLayer1: true })).toBe('interventions.ablateEmbedding: contradicts perfectLayer1: both set the embedding (its shifted pass reads it)');
    expect(msg({ ablateEmbedding: true, graft: G })).toBe("interventions.ablateEmbedding: has no effect with graft: the donor's residual stream replaces everything the embedding feeds");
    expect(msg({ ablateEmbedding: true })).toBe('valid');
  });

  it('graft', () => {
    expect(msg({ graft: G, preserve: { values: true } })).toBe("interventions.graft: contradicts preserve: the clean pass runs the model's own layers, not the donor's");
    expect(msg({ graft: G, preserve: { patterns: true } })).toBe("interventions.graft: contradicts preserve: the clean pass runs the model's own layers, not the donor's");
    expect(msg({ graft: { ...G, tillLayer: 2 } })).toBe('interventions.graft.tillLayer: 2 out of range (the model has layers 0..1)');
    expect(msg({ graft: { ...G, tillLayer: 1 } })).toBe('valid');
    expect(msg({ graft: { ...G, tillLayer: 2 } }, M3)).toBe('valid');
  });

  it('graftOut', () => {
    expect(msg({ graftOut: { ...GO, fromLayer: 1 } })).toBe('interventions.graftOut.fromLayer: 1 leaves no layer to graft (the model has layers 0..1; the donor supplies the layers after fromLayer)');
    expect(msg({ graftOut: { ...GO, fromLayer: 1 } }, M3)).toBe('valid');
    expect(msg({ graftOut: GO, preserve: { values: true } })).toBe("interventions.graftOut: contradicts preserve: the clean pass runs the model's own later layers, not the donor's");
    expect(msg({ graftOut: GO, preserve: { values: false } })).toBe('valid');
    expect(msg({ graftOut: GO, perfectLayer1: true })).toBe("interventions.graftOut: contradicts perfectLayer1: its shifted pass runs the model's own layer 1, not the donor's");
  });

  it('perfectLayer1', () => {
    expect(msg({ perfectLayer1: true }, M1)).toBe('interventions.perfectLayer1: needs a later layer for the perfect layer 0 to feed; this model has 1 layer');
    expect(msg({ perfectLayer1: true, preserve: { patterns: true } })).toBe('interventions.perfectLayer1: contradicts preserve.patterns: both set every layer-1 attention pattern');
    expect(msg({ perfectLayer1: true, preserve: { values: true } })).toBe("interventions.perfectLayer1: contradicts preserve.values: the clean pass's values come from the real layer 0");
    expect(msg({ perfectLayer1: true })).toBe('valid');
  });

  it('preserve', () => {
    expect(msg({ preserve: { patterns: true, queries: true } })).toBe("interventions.preserve.queries: has no effect with preserve.patterns: the patterns are the clean pass's already");
    expect(msg({ preserve: { patterns: true, keys: true } })).toBe("interventions.preserve.keys: has no effect with preserve.patterns: the patterns are the clean pass's already");
    expect(msg({ preserve: { queries: true, keys: true } })).toBe('valid');
  });

  it('prevTokenLabels: not in the last layer', () => {
    expect(msg({ prevTokenLabels: { heads: ['0:1', '1:0'] } })).toBe('interventions.prevTokenLabels.heads[1]: head "1:0" is in the last layer, whose label rows never reach the query\'s logits (the clamp would have no effect)');
    expect(msg({ prevTokenLabels: { heads: ['1:0'] } }, M3)).toBe('valid');
  });

  it('graft and graftOut need a donor loader to compile', () => {
    const params = new ParamStore(createReferenceBackend(), DEFAULT_MODEL);
    expect(() => compilePasses(parseInterventionSpec({ graft: G }, DEFAULT_MODEL), params)).toThrow(
      'graft.checkpoint: grafting needs a checkpoint file, which can only be read where the engine has a filesystem (Node), not in a page',
    );
    expect(() => compilePasses(parseInterventionSpec({ graftOut: GO }, DEFAULT_MODEL), params)).toThrow(
      'graftOut.checkpoint: grafting needs a checkpoint file, which can only be read where the engine has a filesystem (Node), not in a page',
    );
  });
});
