/**
 * The rules interventions/spec.ts applies across clamps, each with its exact line and at its boundary: heads
 * at the last layer and head and one past, a head listed twice in one list but not across lists, one writer
 * per attention pattern, score edits under a written pattern, two wholesale replacements (the earlier layer
 * named), clamps in and just after a replaced layer, and the `where` prefix of every message.
 */
import { describe, expect, it } from 'vitest';
import { fewShotPositions, repeatPositions } from '../data/tasks/positions.js';
import { activeClamps, InterventionError, isEmptySpec, parseInterventionSpec, taskClampIssues } from './spec.js';

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
