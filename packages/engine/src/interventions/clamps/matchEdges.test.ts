/**
 * The match clamp's weights and rules (match.ts) worked out by hand: s shared by the candidates carrying the
 * target, 1 − s by the rest, 1/n each when none or all carry it; its head uses, its place after a
 * previous-token clamp and its schema's bounds.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../../params.js';
import { parseInterventionSpec } from '../spec.js';
import { match, matchWeights } from './match.js';

const w = (labels: number[], target: number, s: number) => Array.from(matchWeights(labels, target, s, new Float64Array(labels.length)));

describe('matchWeights', () => {
  it('one hit, several hits, none, all', () => {
    expect(w([1, 2], 1, 0.75)).toEqual([0.75, 0.25]);
    w([1, 1, 2], 1, 0.6).forEach((x, i) => expect(x).toBeCloseTo([0.3, 0.3, 0.4][i], 15));
    w([3, 1, 2], 1, 0.9).forEach((x, i) => expect(x).toBeCloseTo([0.05, 0.9, 0.05][i], 15));
    w([2, 3, 4, 5], 1, 0.9).forEach((x) => expect(x).toBe(0.25));
    w([1, 1], 1, 0.7).forEach((x) => expect(x).toBe(0.5));
    w([2, 1, 1, 3], 1, 0.8).forEach((x, i) => expect(x).toBeCloseTo([0.1, 0.4, 0.4, 0.1][i], 15));
  });
});

describe('the match clamp', () => {
  it('its heads are pattern writers at match.heads[i]', () => {
    const v = { heads: ['1:3', '1:0'], strength: 1 };
    expect(match.heads!(v as never, DEFAULT_MODEL)).toEqual([
      { at: 'match.heads[0]', owner: 'match', ref: '1:3', writes: 'pattern' },
      { at: 'match.heads[1]', owner: 'match', ref: '1:0', writes: 'pattern' },
    ]);
    expect(match.heads!(undefined as never, DEFAULT_MODEL)).toEqual([]);
  });

  it('sits after the previous-token clamp; needs a head; strength defaults to 1', () => {
    expect(() => parseInterventionSpec({ prevToken: { heads: ['1:1'] }, match: { heads: ['1:3'] } }, DEFAULT_MODEL)).toThrow(
      'interventions.match.heads[0]: head "1:3" is in layer 1, not after the previous-token clamp\'s layer 1 (prevToken.heads[0] "1:1"); the match reads what the previous-token head wrote, so it must sit in a later layer',
    );
    expect(parseInterventionSpec({ prevToken: { heads: ['0:1'] }, match: { heads: ['1:3', '1:2'] } }, DEFAULT_MODEL).match).toEqual({ heads: ['1:3', '1:2'], strength: 1 });
    expect(() => parseInterventionSpec({ match: { heads: [] } }, DEFAULT_MODEL)).toThrow(/match\.heads/);
  });
});
