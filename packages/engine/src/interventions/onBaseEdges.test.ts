/**
 * An analysis spec on a run's clamp spec (onBase.ts, and passes.ts's clean pass under the base's hooks) on
 * the tiny float64 rig, fast: the merged spec field by field, its refusals word for word, and the passes'
 * numbers against models built here from the specs the docstring says they equal (the base model alone,
 * the bare model, the union of ablations). Also the site hook's layer parsing past layer 9 and a final-pass
 * donor kept when later clamps follow it.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { ParamStore, type ModelConfig } from '../params.js';
import { makeRig, passesFor, randomParams, TINY, twin } from '../testing/clampRig.js';
import { OWN_PASS } from './clamps/graftOut.js';
import { baseNeedsPasses, specOnBase } from './onBase.js';
import { compilePasses } from './passes.js';
import { InterventionError, parseInterventionSpec } from './spec.js';

const M = { nLayers: 2, nHeads: 2 };
const P = (s: unknown) => parseInterventionSpec(s, TINY);

describe('specOnBase', () => {
  it('an empty base gives the spec itself', () => {
    const s = P({ ablate: ['0:1'] });
    expect(specOnBase(P({}), s, M)).toBe(s);
  });

  it('ablations combine, base first, without repeats; other base clamps join the spec', () => {
    const out = specOnBase(P({ ablate: ['1:0', '0:1'], prevToken: { heads: ['0:0'] } }), P({ ablate: ['0:1', '1:1'] }), M);
    expect(out.ablate).toEqual(['1:0', '0:1', '1:1']);
    expect(out.prevToken).toEqual({ heads: ['0:0'], strength: 1 });
    expect(specOnBase(P({ ablate: ['1:0'] }), P({}), M).ablate).toEqual(['1:0']);
    expect(specOnBase(P({ prevToken: { heads: ['0:0'] } }), P({ ablate: ['1:1'] }), M).ablate).toEqual(['1:1']);
  });

  it('where the spec preserves patterns, base clamps that only write patterns or scores are carried by them, others still join', () => {
    const pp = P({ preserve: { patterns: true }, ablate: ['0:1'] });
    const out = specOnBase(P({ prevToken: { heads: ['0:0'] }, headTemperature: { heads: ['1:1'], temperature: 2 }, ablateEmbedding: true }), pp, M);
    expect(out.prevToken).toBeUndefined();
    expect(out.headTemperature).toBeUndefined();
    expect(out.ablateEmbedding).toBe(true);
    // preserving values only: the pattern clamps of the base apply in the final pass
    const pv = specOnBase(P({ prevToken: { heads: ['0:0'] } }), P({ preserve: { values: true }, ablate: ['0:1'] }), M);
    expect(pv.prevToken).toEqual({ heads: ['0:0'], strength: 1 });
  });

  it('a clamp both set is refused, naming the field', () => {
    const e = () => specOnBase(P({ prevToken: { heads: ['0:0'] } }), P({ prevToken: { heads: ['0:1'] } }), M, 'wiring spec');
    expect(e).toThrow(InterventionError);
    expect(e).toThrow("wiring spec.prevToken: the run's own clamp spec sets prevToken already; an analysis on top of it cannot set it again");
    expect(() => specOnBase(P({ ablateEmbedding: true }), P({ ablateEmbedding: true }), M)).toThrow(
      "analysis spec.ablateEmbedding: the run's own clamp spec sets ablateEmbedding already; an analysis on top of it cannot set it again",
    );
  });

  it('the merged spec is validated under its own name', () => {
    // two writers of one pattern: the base's prevToken and the analysis's match on the same head
    expect(() => specOnBase(P({ prevToken: { heads: ['1:0'] } }), P({ match: { heads: ['1:0'] } }), M)).toThrow(/^analysis spec on the run's clamp spec/);
  });

  it('baseNeedsPasses names the clamp and its passes', () => {
    const e = baseNeedsPasses('graft', ['donor', 'own']);
    expect(e).toBeInstanceOf(InterventionError);
    expect(e.message).toBe(
      "the run's clamp 'graft' traces reference passes of its own (donor, own): an analysis on top of the run's clamp spec (the wiring matrix) is undefined for it; analyse the checkpoint unclamped instead",
    );
  });
});

describe('compilePasses on a base: the numbers', () => {
  const sites = ['blocks.0.attn.pattern', 'blocks.1.attn.pattern', 'blocks.0.attn.v'];
  const rigOf = (params: ParamStore, passes: ReturnType<typeof compilePasses>) => makeRig({ params, passes, keep: sites, training: false, allPositions: true });

  it('preserved patterns come from the base model; the base ablations apply in the final pass too', () => {
    const be = createReferenceBackend();
    const params = randomParams(be, TINY, 3);
    const base = P({ prevToken: { heads: ['0:1'] }, ablate: ['0:0'] });
    const onBase = rigOf(params, compilePasses(P({ preserve: { patterns: true }, ablate: ['1:1'] }), params, { base }));
    onBase.forward();
    const baseOnly = twin(onBase, { passes: passesFor({ prevToken: { heads: ['0:1'] }, ablate: ['0:0'] }, params), keep: sites, training: false, allPositions: true });
    baseOnly.forward();
    const bare = twin(onBase, { passes: compilePasses(P({ preserve: { patterns: true }, ablate: ['1:1'] }), params), keep: sites, training: false, allPositions: true });
    bare.forward();
    for (const s of ['blocks.0.attn.pattern', 'blocks.1.attn.pattern']) {
      expect(Array.from(onBase.read(s)), s).toEqual(Array.from(baseOnly.read(s)));
      expect(Array.from(bare.read(s)), s).not.toEqual(Array.from(baseOnly.read(s)));
    }
    // the union of ablations: v of head 0 of layer 0 is 0 on the base, not on the bare analysis
    const v = onBase.read('blocks.0.attn.v');
    const vBare = bare.read('blocks.0.attn.v');
    const D = TINY.dModel / TINY.nHeads;
    for (let i = 0; i < v.length; i++) if (Math.floor((i % TINY.dModel) / D) === 0) expect(v[i]).toBe(0);
    expect(Array.from(vBare).some((x, i) => Math.floor((i % TINY.dModel) / D) === 0 && x !== 0)).toBe(true);
    // and the analysis changes the base model's output: layer 1 head 1 ablated
    expect(onBase.queryLogits()).not.toEqual(baseOnly.queryLogits());
  });

  it('a base clamp with passes of its own is refused (graftOut: a final pass)', () => {
    const be = createReferenceBackend();
    const params = randomParams(be, TINY, 3);
    const donor = randomParams(be, TINY, 4);
    const loadDonor = () => donor;
    expect(() => compilePasses(P({ ablate: ['1:1'] }), params, { base: P({ graftOut: { checkpoint: 'd.safetensors', fromLayer: 0 } }), loadDonor })).toThrow(
      `the run's clamp 'graftOut' traces reference passes of its own (${OWN_PASS})`,
    );
  });

  it('a final pass (graftOut) is kept when clamps later in the registry follow it', () => {
    const be = createReferenceBackend();
    const params = randomParams(be, TINY, 3);
    const donor = randomParams(be, TINY, 4);
    const plans = compilePasses(P({ graftOut: { checkpoint: 'd.safetensors', fromLayer: 0 }, ablate: ['1:0'] }), params, { loadDonor: () => donor });
    expect(plans.map((p) => p.name)).toEqual([OWN_PASS, '']);
    expect(plans[1].params).toBe(donor);
  });

  it('sites of layers past 9 are found by their whole layer number', () => {
    const cfg: ModelConfig = { ...TINY, dModel: 4, nLayers: 11 };
    const be = createReferenceBackend();
    const params = randomParams(be, cfg, 2);
    const keep = ['blocks.10.attn.v', 'blocks.1.attn.v'];
    const rig = makeRig({ params, passes: compilePasses(parseInterventionSpec({ ablate: ['10:0'] }, cfg), params), keep, training: false });
    rig.forward();
    const v10 = rig.read('blocks.10.attn.v');
    const v1 = rig.read('blocks.1.attn.v');
    for (let i = 0; i < v10.length; i++) if (i % 4 < 2) expect(v10[i], `v10 ${i}`).toBe(0);
    expect(v10.some((x) => x !== 0)).toBe(true);
    expect(v1.filter((_, i) => i % 4 < 2).some((x) => x !== 0)).toBe(true);
  });
});
