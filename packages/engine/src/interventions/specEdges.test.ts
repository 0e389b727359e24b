/**
 * The rules interventions/spec.ts applies across clamps, each with its exact line and at its boundary: heads
 * at the last layer and head and one past, a head listed twice in one list but not across lists, one writer
 * per attention pattern, score edits under a written pattern, two wholesale replacements (the earlier layer
 * named), clamps in and just after a replaced layer, and the `where` prefix of every message.
 */
import { describe, expect, it } from 'vitest';
import { fewShotPositions, repeatPositions } from '../data/tasks/positions.js';
import { ablateAllBut, activeClamps, headKey, headLabel, InterventionError, isEmptySpec, keepOnlyHead, parseHeadRef, parseInterventionSpec, taskClampIssues, validateSpec } from './spec.js';

const M2 = { nLayers: 2, nHeads: 4 };
const M3 = { nLayers: 3, nHeads: 4 };

function err(spec: unknown, model = M2, where?: string): string {
  try {
    parseInterventionSpec(spec, model, where);
  } catch (e) {
    expect(e).toBeInstanceOf(InterventionError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(spec)}`);
}

describe('heads in range, listed once', () => {
  it('the last layer and head pass; one past each is named with the range', () => {
    expect(() => parseInterventionSpec({ ablate: ['1:3'] }, M2)).not.toThrow();
    expect(err({ ablate: ['0:0', '2:0'] })).toBe('interventions.ablate[1]: head "2:0": layer 2 out of range (the model has layers 0..1)');
    expect(err({ prevToken: { heads: ['0:4'] } })).toBe('interventions.prevToken.heads[0]: head "0:4": head 4 out of range (layers have heads 0..3)');
  });

  it('a head twice in one list is refused at the list; the same head in two lists is not a duplicate', () => {
    expect(err({ ablate: ['1:0', '1:2', '1:0'] })).toBe('interventions.ablate: head "1:0" listed twice');
    expect(err({ match: { heads: ['1:1', '1:1'] } })).toBe('interventions.match.heads: head "1:1" listed twice');
    expect(() => parseInterventionSpec({ ablate: ['1:1'], match: { heads: ['1:1'] } }, M2)).not.toThrow();
    // an eleventh entry repeating the first is still in the same list
    const M8 = { nLayers: 2, nHeads: 8 };
    const eleven = ['1:0', '1:1', '1:2', '1:3', '1:4', '1:5', '1:6', '1:7', '0:0', '0:1', '1:0'];
    expect(err({ ablate: eleven }, M8)).toBe('interventions.ablate: head "1:0" listed twice');
  });

  it('validateSpec names the spec "interventions" unless told otherwise', () => {
    const dup = { version: 1, ablate: ['1:0', '1:0'], perfectLayer1: false } as unknown as Parameters<typeof validateSpec>[0];
    expect(() => validateSpec(dup, M2)).toThrow('interventions.ablate: head "1:0" listed twice');
    expect(() => validateSpec(dup, M2, 'base')).toThrow('base.ablate: head "1:0" listed twice');
  });
});

describe('one writer per attention pattern', () => {
  it('two clamps on one head’s pattern: the later names the earlier', () => {
    expect(err({ prevToken: { heads: ['1:3'] }, match: { heads: ['1:3'] } })).toBe('interventions.match: contradicts prevToken: both set the attention pattern of head "1:3"');
    // different heads of one layer do not contradict
    expect(() => parseInterventionSpec({ prevToken: { heads: ['1:2'] }, uniformAttention: { heads: ['1:3'] } }, M2)).not.toThrow();
  });

  it('a clamp that sets every pattern names the first head another clamp sets', () => {
    expect(err({ preserve: { patterns: true }, prevToken: { heads: ['0:2'] }, match: { heads: ['1:1'] } })).toBe(
      'interventions.preserve.patterns: contradicts prevToken: both set the attention pattern of head "0:2"',
    );
    expect(() => parseInterventionSpec({ preserve: { patterns: true }, ablate: ['1:1'] }, M2)).not.toThrow();
  });

  it('a score edit under a written pattern has no effect', () => {
    expect(err({ prevToken: { heads: ['0:2'] }, forbidPrevToken: { heads: ['0:2'] } })).toBe('interventions.forbidPrevToken: has no effect on head "0:2": prevToken sets its attention pattern');
    expect(() => parseInterventionSpec({ prevToken: { heads: ['0:2'] }, forbidPrevToken: { heads: ['0:1'] } }, M2)).not.toThrow();
  });
});

describe('wholesale replacements of the residual stream', () => {
  it('two replacements: the earlier layer is named', () => {
    expect(err({ perfectLayer1: true, graft: { checkpoint: 'x', tillLayer: 1 } }, M3)).toBe('interventions.perfectLayer1: contradicts graft: both replace the residual stream after layer 0');
  });

  it('a clamp in a replaced layer has no effect; the first layer after it is fine', () => {
    expect(err({ graft: { checkpoint: 'x', tillLayer: 1 }, ablate: ['1:2'] }, M3)).toBe(
      'interventions.ablate: head "1:2" is in layer 1, whose output the graft replaces (layers 0..1); the clamp would have no effect',
    );
    expect(() => parseInterventionSpec({ graft: { checkpoint: 'x', tillLayer: 1 }, ablate: ['2:2'] }, M3)).not.toThrow();
  });

  it('perfectLayer1 sets every later pattern: a pattern or score clamp after it contradicts it, an ablation does not', () => {
    expect(err({ perfectLayer1: true, match: { heads: ['2:1'] } }, M3)).toBe('interventions.match: contradicts perfectLayer1: both set the attention pattern of head "2:1"');
    expect(err({ perfectLayer1: true, forbidPrevToken: { heads: ['1:1'] } }, M3)).toBe('interventions.forbidPrevToken: contradicts perfectLayer1: both set the attention pattern of head "1:1"');
    expect(() => parseInterventionSpec({ perfectLayer1: true, ablate: ['1:1'] }, M3)).not.toThrow();
    // the graft does not set later patterns: a clamp after it stays
    expect(() => parseInterventionSpec({ graft: { checkpoint: 'x', tillLayer: 0 }, match: { heads: ['1:1'] } }, M3)).not.toThrow();
  });
});

describe('messages and helpers', () => {
  it('every message starts with where the spec came from; schema errors carry their path', () => {
    expect(err({ ablate: ['1:0', '1:0'] }, M2, 'sweep.json member 3')).toBe('sweep.json member 3.ablate: head "1:0" listed twice');
    expect(err(5, M2, 'spec')).toMatch(/^spec: /);
    expect(err({ match: { heads: ['1:1'], strength: 2 } })).toMatch(/^interventions\.match\.strength: strength must be in \[0, 1\]$/);
  });

  it('activeClamps in registry order; an empty spec is empty; the task check names the clamp', () => {
    const s = parseInterventionSpec({ match: { heads: ['1:1'] }, ablate: ['1:0'] }, M2);
    const keys = activeClamps(s).map((c) => c.clamp.key);
    expect(keys.sort()).toEqual(['ablate', 'match']);
    expect(isEmptySpec(parseInterventionSpec({}, M2))).toBe(true);
    expect(isEmptySpec(s)).toBe(false);
    const fm = parseInterventionSpec({ featureMatch: { heads: ['1:1'] } }, M2);
    expect(taskClampIssues(fm, fewShotPositions(5))).toEqual([]);
    expect(taskClampIssues(fm, repeatPositions(6, 2))).toEqual([['featureMatch', 'needs exemplar features to compare with the query; repeatTokens (6 + 2 tokens) has none (every token is a label token)']]);
  });
});

describe('head refs (interventions/heads.ts)', () => {
  it('canonical "layer:head" with multi-digit indices; anything else is refused naming where', () => {
    expect(parseHeadRef('12:10')).toEqual({ layer: 12, head: 10 });
    expect(parseHeadRef('0:0', 'x')).toEqual({ layer: 0, head: 0 });
    expect(() => parseInterventionSpec({ ablate: ['12:3'] }, { nLayers: 13, nHeads: 4 })).not.toThrow();
    for (const bad of ['1x:3', '01:3', '1:03', '1:3 ', '-1:3', '1.0:3', ':'])
      expect(() => parseHeadRef(bad), bad).toThrow(new InterventionError(`head: '${bad}' is not a head; write layer:head with plain indices, e.g. 1:3`));
    expect(() => parseHeadRef('a', '--only-head')).toThrow("--only-head: 'a' is not a head");
    expect(err({ ablate: ['1x:3'] })).toBe('interventions.ablate.0: a head is "layer:head", e.g. "1:3"');
  });

  it('strength bounds name the range on both sides', () => {
    expect(err({ match: { heads: ['1:1'], strength: -0.5 } })).toBe('interventions.match.strength: strength must be in [0, 1]');
    expect(err({ match: { heads: ['1:1'], strength: 1.5 } })).toBe('interventions.match.strength: strength must be in [0, 1]');
  });

  it('headKey, headLabel in its three forms, ablateAllBut', () => {
    expect(headKey({ layer: 1, head: 3 })).toBe('1:3');
    expect(headLabel('1:3')).toBe('L2H3');
    expect(headLabel({ layer: 0, head: 7 })).toBe('L1H7');
    expect(headLabel(2, 5)).toBe('L3H5');
    expect(ablateAllBut(1, 4, [2])).toEqual(['1:0', '1:1', '1:3']);
    expect(ablateAllBut(0, 3, [])).toEqual(['0:0', '0:1', '0:2']);
    expect(ablateAllBut(0, 3, [0, 1, 2])).toEqual([]);
  });

  it('keepOnlyHead: every other head of its layer, merged with the ablation list; each bound named', () => {
    expect(keepOnlyHead('1:2', M2)).toEqual(['1:0', '1:1', '1:3']);
    expect(keepOnlyHead('1:3', M2, ['0:1', '1:0'])).toEqual(['0:1', '1:0', '1:1', '1:2']);
    expect(() => keepOnlyHead('2:0', M2)).toThrow(new InterventionError('onlyHead: head "2:0": layer 2 out of range (the model has layers 0..1)'));
    expect(() => keepOnlyHead('1:4', M2, [], '--only-head')).toThrow(new InterventionError('--only-head: head "1:4": head 4 out of range (layers have heads 0..3)'));
    expect(() => keepOnlyHead('1:1', M2, ['1:1'])).toThrow(new InterventionError('onlyHead: head "1:1" is kept active, but the ablation list also removes it'));
    expect(() => keepOnlyHead('x', M2)).toThrow("onlyHead: 'x' is not a head");
    expect(keepOnlyHead('0:0', { nLayers: 1, nHeads: 1 })).toEqual([]);
  });
});
