/**
 * The terminal summaries (summaries.ts) whose every character summaries.test.ts does not pin: the lines of
 * strength, ablation, progress, induction-score and prefix-matching written out by hand with their padding,
 * thin's choice of points at its boundaries, and the wiring heading for layers and for an unclamped model.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../params.js';
import { parseInterventionSpec } from '../interventions/spec.js';
import { summarizeAblation, summarizeInductionScore, summarizePrefixMatching, summarizeProgress, summarizeStrength, summarizeWiring, thin } from './summaries.js';

const la = (loss: number, acc: number) => ({ loss, acc });

describe('summaries, character by character', () => {
  it('thin: every point up to 19, every other from 20, and always the last', () => {
    const r = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(thin([])).toEqual([]);
    expect(thin(r(9))).toEqual(r(9));
    expect(thin(r(19))).toEqual(r(19));
    expect(thin(r(20))).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 19]);
    expect(thin(r(35))).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 34]);
    expect(thin(r(30))).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 29]);
  });

  it('strength', () => {
    expect(summarizeStrength([{ seqs: 500, strength: [0.1, 0.25] }, { seqs: 12000, strength: [0.5, -0.0004] }])).toBe('      500  0.100 0.250\n    12000  0.500 -0.000');
  });

  it('ablation', () => {
    expect(summarizeAblation({ full: la(0.5, 0.8), strength: [0.1, 0.95], ablateOne: [la(1, 0.7), la(1, 0.3)], onlyOne: [la(1, 0.25), la(1, 0.75)] })).toBe(
      [
        'unablated: loss 0.5000, acc 0.8000',
        'head  strength  acc(ablate only h)  acc(only h active)',
        '   0     0.100              0.7000              0.2500',
        '   1     0.950              0.3000              0.7500',
      ].join('\n'),
    );
  });

  it('progress: every named spec of each point', () => {
    expect(summarizeProgress([{ seqs: 10, values: { a: la(1.5, 0.25), b: la(0.125, 1) } }])).toBe('       10  a loss 1.5000 acc 0.2500  b loss 0.1250 acc 1.0000');
  });

  it('induction-score and prefix-matching: every point, not thinned', () => {
    const pts = Array.from({ length: 21 }, (_, i) => ({ seqs: i, repeat: 2, shuffled: 2.5, score: 0.5 }));
    const lines = summarizeInductionScore(pts).split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[3]).toBe('        3  repeat 2.000  shuffled 2.500  score 0.500');
    expect(summarizePrefixMatching([{ seqs: 7, prefixMatching: [[0.1, 0.2], [0.3, 0.4]], prevToken: [[0.5, 0.6], [0.7, 0.8]] }])).toBe(
      '        7  L1 pm 0.100 0.200 | pt 0.500 0.600  L2 pm 0.300 0.400 | pt 0.700 0.800',
    );
  });

  it('wiring: the layers asked for, the unclamped model, the matrices with their labels and signs', () => {
    const spec = parseInterventionSpec({ ablate: ['0:1'] }, DEFAULT_MODEL);
    const r = {
      matrices: { baseline: [0.5, 0.25], Mpv: [[0.1, -0.2], [0, 1]], Mpp: [[-1, 0], [0.5, 0.5]], Npv: [[0]], Npp: [[0]] },
      composition: { q: [[9]], k: [[0.25, 0.5], [0.75, 1]], v: [[9]] },
      clamp: 'none',
      spec,
      layers: { prevToken: 1, induction: 2 },
    };
    expect(summarizeWiring(r).split('\n')).toEqual([
      'wiring of layer 2 (writers, columns) into layer 3 (readers, rows), model: the checkpoint unclamped',
      'acc(only reader h): 0.500 0.250',
      'M^pv: Δacc, ablating writer j with values preserved',
      '          w0     w1',
      'r0     0.100 -0.200',
      'r1     0.000  1.000',
      'M^pp: Δacc, ablating writer j with patterns preserved',
      '          w0     w1',
      'r0    -1.000  0.000',
      'r1     0.500  0.500',
      'K-composition (weights)',
      '          w0     w1',
      'r0     0.250  0.500',
      'r1     0.750  1.000',
    ]);
    expect(summarizeWiring({ ...r, clamp: 'run', layers: undefined }).split('\n')[0]).toBe("wiring of the first layer (writers, columns) into the last layer (readers, rows), model: the run's own clamps");
  });
});
