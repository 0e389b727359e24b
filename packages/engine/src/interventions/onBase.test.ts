import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { DEFAULT_MODEL, ParamStore } from '../params.js';
import { compilePasses } from './passes.js';
import { specOnBase } from './onBase.js';
import { parseInterventionSpec, type InterventionSpecInput } from './spec.js';

const model = DEFAULT_MODEL;
const parse = (s: InterventionSpecInput) => parseInterventionSpec(s, model);
const base = parse({ ablate: ['0:3'], prevToken: { heads: ['0:5'] }, match: { heads: ['1:2'] } });

describe('an analysis spec on top of the run\'s clamp spec', () => {
  it('ordinary specs stay strict: a pattern clamp with preserve.patterns is still refused', () => {
    expect(() => parse({ match: { heads: ['1:2'] }, preserve: { patterns: true } })).toThrow(/interventions\.preserve\.patterns: contradicts match: both set the attention pattern of head "1:2"/);
  });

  it('ablations combine; under preserved patterns the run\'s pattern clamps leave the final pass (the clean pass carries them)', () => {
    const pp = specOnBase(base, parse({ ablate: ['0:1', '0:3'], preserve: { patterns: true } }), model);
    expect(pp.ablate).toEqual(['0:3', '0:1']);
    expect(pp.match).toBeUndefined();
    expect(pp.prevToken).toBeUndefined();
    const pv = specOnBase(base, parse({ ablate: ['1:0'], preserve: { values: true } }), model);
    expect(pv.ablate).toEqual(['0:3', '1:0']);
    expect(pv.match).toEqual(base.match);
    expect(pv.prevToken).toEqual(base.prevToken);
  });

  it('an empty base is the spec itself', () => {
    const s = parse({ ablate: ['1:0'], preserve: { values: true } });
    expect(specOnBase(parse({}), s, model)).toBe(s);
  });

  it('a clamp the run already sets cannot be set again', () => {
    expect(() => specOnBase(base, parse({ match: { heads: ['1:4'] } }), model)).toThrow("analysis spec.match: the run's own clamp spec sets match already");
  });

  it('a run clamp with reference passes of its own is refused in one line naming it', () => {
    const p = new ParamStore(createReferenceBackend(), { ...model, featureDim: 16 });
    const pl1 = parse({ perfectLayer1: true });
    let message = '';
    try {
      compilePasses(parse({ ablate: ['0:1'], preserve: { values: true } }), p, { base: pl1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^the run's clamp 'perfectLayer1' traces reference passes of its own \(shifted\)/);
    expect(message).not.toContain('\n');
  });
});
