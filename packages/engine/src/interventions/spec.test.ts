/**
 * Spec validation (issue 4, "Done when"): a bad spec gets one line naming the field at fault, and nothing
 * runs. Covers unknown keys, heads out of range, strengths outside [0, 1], malformed head refs,
 * contradicting manipulations, clamps in replaced layers, graft checkpoints of the wrong shape, and
 * train() refusing before it writes anything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { DEFAULT_MODEL, ParamStore } from '../params.js';
import { paramTensors } from '../store/paramIO.js';
import { writeSafetensors } from '../store/safetensors.js';
import { train } from '../train.js';
import { INTERVENTION_VERSION, InterventionError, parseInterventionSpec } from './spec.js';
import { passesFor } from '../testing/clampRig.js';

const MODEL = { nLayers: 2, nHeads: 8 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-spec-'));

/** The one-line error a spec gets (fails the test if it parses). */
function errorOf(spec: unknown, model = MODEL): string {
  try {
    parseInterventionSpec(spec, model);
  } catch (e) {
    expect(e).toBeInstanceOf(InterventionError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error(`spec ${JSON.stringify(spec)} was accepted`);
}

describe('intervention spec: valid specs', () => {
  it('parses with defaults (version, strengths 1, empty ablation) and keeps every field', () => {
    const s = parseInterventionSpec({ ablate: ['1:0'], prevToken: { heads: ['0:2'] }, match: { heads: ['1:3'], strength: 0.75 }, perfectCopy: { head: '1:3' } }, MODEL);
    expect(s.version).toBe(INTERVENTION_VERSION);
    expect(s.prevToken).toEqual({ heads: ['0:2'], strength: 1 });
    expect(s.match?.strength).toBe(0.75);
    expect(parseInterventionSpec(undefined, MODEL)).toMatchObject({ ablate: [], perfectLayer1: false });
    // Boundary strengths and the paper's combinations are legal.
    for (const ok of [
      { match: { heads: ['1:3'], strength: 0 } },
      { prevToken: { heads: ['0:2'], strength: 1 }, ablate: ['0:2'] },
      { perfectLayer1: true, perfectCopy: { head: '1:3' } },
      { perfectLayer1: true, ablate: ['1:0'] },
      { preserve: { patterns: true, values: true }, ablate: ['0:0', '0:1'] },
      { graft: { checkpoint: 'x.safetensors' }, match: { heads: ['1:3'] } },
    ])
      expect(() => parseInterventionSpec(ok, MODEL), JSON.stringify(ok)).not.toThrow();
  });
});

describe('intervention spec: the stored form does not move', () => {
  // run.json stores the parsed spec and sweep run IDs hash it, so a clamp added to the registry must not
  // add a field to specs that do not use it: runs trained before it keep their IDs and resume.
  it('specs without the newer clamps parse exactly as before the registry (version 1)', () => {
    expect(parseInterventionSpec({}, DEFAULT_MODEL)).toEqual({ version: 1, ablate: [], perfectLayer1: false });
    expect(parseInterventionSpec({ match: { heads: ['1:3'] }, ablate: ['1:0'] }, DEFAULT_MODEL)).toEqual({ version: 1, ablate: ['1:0'], perfectLayer1: false, match: { heads: ['1:3'], strength: 1 } });
    expect(parseInterventionSpec({ preserve: { patterns: true } }, DEFAULT_MODEL)).toEqual({ version: 1, ablate: [], perfectLayer1: false, preserve: { patterns: true, values: false } });
  });
});

describe('intervention spec: bad specs get one line naming the field', () => {
  it('unknown keys (top level and nested), with the key named', () => {
    expect(errorOf({ clampSite: 'blocks.1.attn.pattern' })).toMatch(/^interventions\b.*clampSite/);
    expect(errorOf({ prevToken: { heads: ['0:1'], strenght: 1 } })).toMatch(/^interventions\.prevToken\b.*strenght/);
    expect(errorOf({ preserve: { pattern: true } })).toMatch(/^interventions\.preserve\b.*pattern/);
  });

  it('heads out of range name the list entry, the layer or the head', () => {
    expect(errorOf({ ablate: ['1:0', '2:0'] })).toMatch(/^interventions\.ablate\[1\]: .*"2:0".*layer 2/);
    expect(errorOf({ prevToken: { heads: ['0:8'] } })).toMatch(/^interventions\.prevToken\.heads\[0\]: .*"0:8".*head 8/);
    expect(errorOf({ match: { heads: ['1:3', '1:99'] } })).toMatch(/^interventions\.match\.heads\[1\]: .*head 99/);
    expect(errorOf({ perfectCopy: { head: '5:0' } })).toMatch(/^interventions\.perfectCopy\.head: .*layer 5/);
    expect(() => parseInterventionSpec({ ablate: ['1:1'] }, { nLayers: 2, nHeads: 2 })).not.toThrow();
    expect(errorOf({ ablate: ['1:2'] }, { nLayers: 2, nHeads: 2 })).toMatch(/ablate\[0\].*head 2/);
  });

  it('strengths outside [0, 1]', () => {
    expect(errorOf({ match: { heads: ['1:3'], strength: 1.5 } })).toMatch(/^interventions\.match\.strength: .*\[0, 1\]/);
    expect(errorOf({ prevToken: { heads: ['0:2'], strength: -0.1 } })).toMatch(/^interventions\.prevToken\.strength: /);
    expect(errorOf({ match: { heads: ['1:3'], strength: Number.NaN } })).toMatch(/^interventions\.match\.strength/);
  });

  it('malformed head refs', () => {
    for (const bad of ['1-3', 'L2H3', '1:', ':3', '1:3:0', 'a:b', '-1:3', ' 1:3'])
      expect(errorOf({ ablate: [bad] }), bad).toMatch(/^interventions\.ablate\.0: .*layer:head/);
    expect(errorOf({ perfectCopy: { head: '13' } })).toMatch(/^interventions\.perfectCopy\.head: /);
    expect(errorOf({ ablate: '1:3' })).toMatch(/^interventions\.ablate: /);
    expect(errorOf({ ablate: ['1:0', '1:0'] })).toMatch(/^interventions\.ablate: .*"1:0".*twice/);
    expect(errorOf({ version: 2 })).toMatch(/^interventions\.version/);
    expect(errorOf({ prevToken: { heads: [] } })).toMatch(/^interventions\.prevToken\.heads/);
  });

  it('two manipulations writing one attention pattern contradict each other', () => {
    expect(errorOf({ prevToken: { heads: ['1:3'] }, match: { heads: ['1:3'] } })).toMatch(/^interventions\.match: contradicts prevToken.*"1:3"/);
    expect(errorOf({ perfectLayer1: true, match: { heads: ['1:3'] } })).toMatch(/^interventions\.match: contradicts perfectLayer1/);
    expect(errorOf({ perfectLayer1: true, prevToken: { heads: ['1:2'] } })).toMatch(/^interventions\.prevToken: contradicts perfectLayer1/);
    expect(errorOf({ perfectLayer1: true, graft: { checkpoint: 'x' } })).toMatch(/^interventions\.perfectLayer1: contradicts graft/);
    expect(errorOf({ preserve: { patterns: true }, prevToken: { heads: ['0:2'] } })).toMatch(/^interventions\.preserve\.patterns: contradicts prevToken/);
    expect(errorOf({ preserve: { patterns: true }, match: { heads: ['1:3'] } })).toMatch(/^interventions\.preserve\.patterns: contradicts match/);
    expect(errorOf({ perfectLayer1: true, preserve: { patterns: true } })).toMatch(/^interventions\.perfectLayer1: contradicts preserve\.patterns/);
    // Different heads of one layer do not contradict.
    expect(() => parseInterventionSpec({ prevToken: { heads: ['1:2'] }, uniformAttention: { heads: ['1:3'] } }, MODEL)).not.toThrow();
  });

  it('clamps inside the layers a graft or perfectLayer1 replaces', () => {
    expect(errorOf({ graft: { checkpoint: 'x', tillLayer: 0 }, prevToken: { heads: ['0:2'] } })).toMatch(/^interventions\.prevToken: .*"0:2".*graft/);
    expect(errorOf({ graft: { checkpoint: 'x', tillLayer: 0 }, ablate: ['0:1'] })).toMatch(/^interventions\.ablate: .*"0:1"/);
    expect(errorOf({ graft: { checkpoint: 'x', tillLayer: 1 }, perfectCopy: { head: '1:3' } })).toMatch(/^interventions\.perfectCopy\.head: /);
    expect(errorOf({ graft: { checkpoint: 'x', tillLayer: 2 } })).toMatch(/^interventions\.graft\.tillLayer: /);
    expect(errorOf({ perfectLayer1: true, prevToken: { heads: ['0:2'] } })).toMatch(/^interventions\.prevToken: .*"0:2".*layer 0/);
    expect(errorOf({ perfectLayer1: true, ablate: ['0:2'] })).toMatch(/^interventions\.ablate: .*"0:2"/);
    // Any depth from 2 layers (issue 23); a 1-layer model has no later layer to feed.
    expect(() => parseInterventionSpec({ perfectLayer1: true }, { nLayers: 3, nHeads: 8 })).not.toThrow();
    expect(errorOf({ perfectLayer1: true }, { nLayers: 1, nHeads: 8 })).toMatch(/^interventions\.perfectLayer1: needs a later layer/);
  });

  it('a graft checkpoint with the wrong shapes (or none) is refused with the tensor named', () => {
    const dir = tmp();
    const be = createReferenceBackend();
    const bad = path.join(dir, 'labels10.safetensors');
    writeSafetensors(bad, paramTensors(new ParamStore(be, { ...DEFAULT_MODEL, numLabels: 10 })));
    const params = new ParamStore(be, DEFAULT_MODEL);
    const errOf = (file: string) => {
      try {
        passesFor({ graft: { checkpoint: file } }, params);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    const msg = errOf(bad);
    expect(msg).toMatch(/graft/);
    expect(msg).toMatch(/'embed\.label\.weight'.*\[10,64\].*\[5,64\]/);
    expect(msg.split('\n')).toHaveLength(1);
    expect(errOf(path.join(dir, 'missing.safetensors'))).toMatch(/missing\.safetensors/);
  });
});

describe('intervention spec: contradictions the validator must also refuse', () => {
  it('one head spelled two ways ("1:3" and "01:3") is still one head', () => {
    // Either refusal is fine: the ref as malformed (no leading zeros), or the contradiction / duplicate.
    expect(errorOf({ prevToken: { heads: ['1:3'] }, match: { heads: ['01:3'] } })).toMatch(/^interventions\.match\b/);
    expect(errorOf({ ablate: ['1:3', '1:03'] })).toMatch(/^interventions\.ablate\b/);
  });

  it('perfectLayer1 with preserve.values: both set the values layer 1 reads (4.7 promises they come from E)', () => {
    expect(errorOf({ perfectLayer1: true, preserve: { values: true } })).toMatch(/^interventions\.(perfectLayer1|preserve\.values): /);
  });

  it("perfectLayer1 with a perfect-copy head in layer 0, whose output it replaces (4.7: layer 0 gets no gradient)", () => {
    expect(errorOf({ perfectLayer1: true, perfectCopy: { head: '0:3' } })).toMatch(/^interventions\.perfectCopy\.head: /);
  });

  it("graft with preservation: the clean pass would run the model's own layer 0 instead of the donor's", () => {
    for (const preserve of [{ patterns: true }, { values: true }])
      expect(errorOf({ graft: { checkpoint: 'x' }, preserve })).toMatch(/^interventions\.(graft|preserve)\b/);
  });
});

describe('train() with a bad spec', () => {
  const features = syntheticFeatures({ seed: 0, nClasses: 60, nExemplars: 5 });
  const cfg = (interventions: unknown) =>
    parseRunConfig({
      backend: 'reference',
      task: { classSplit: [50, 5, 5] },
      schedule: { seqs: 32, evalEvery: 32, ckptEvery: null, evalSize: 32 },
      interventions,
    });

  it('refuses before writing anything: out-of-range head, contradiction, wrong-shaped graft checkpoint', async () => {
    const dir = tmp();
    const bad = path.join(dir, 'labels10.safetensors');
    writeSafetensors(bad, paramTensors(new ParamStore(createReferenceBackend(), { ...DEFAULT_MODEL, numLabels: 10 })));
    const cases: [unknown, RegExp][] = [
      [{ ablate: ['1:8'] }, /config\.interventions\.ablate\[0\]: .*head 8/],
      [{ prevToken: { heads: ['1:3'] }, match: { heads: ['1:3'] } }, /config\.interventions\.match: contradicts prevToken/],
      [{ graft: { checkpoint: bad } }, /embed\.label\.weight/],
    ];
    for (const [i, [spec, re]] of cases.entries()) {
      const out = path.join(dir, `run${i}`);
      await expect(train(cfg(spec), { out, features })).rejects.toThrow(re);
      expect(fs.existsSync(out), `run ${i} wrote ${out}`).toBe(false);
    }
    expect(fs.readdirSync(dir)).toEqual(['labels10.safetensors']);
  });

  it('a schema error (strength, unknown key) is a one-line config error naming the field', () => {
    expect(() => cfg({ match: { heads: ['1:3'], strength: 2 } })).toThrow(/config: interventions\.match\.strength: /);
    expect(() => cfg({ ablateHeads: ['1:3'] })).toThrow(/interventions.*ablateHeads/);
  });
});
