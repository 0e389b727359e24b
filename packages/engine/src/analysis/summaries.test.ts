/**
 * Every analysis prints a readable terminal summary (no raw JSON): each case feeds a small result written out by
 * hand in the stored shape and checks the lines a reader relies on, values placed under their heads.
 */
import { describe, expect, it } from 'vitest';
import { ANALYSIS_NAMES, summarizeAnalysis } from './registry.js';
import { thin } from './summaries.js';
import { parseInterventionSpec } from '../interventions/spec.js';

/** A spec as the wiring result stores it: parsed against the paper's model. */
const stored = (input: object) => parseInterventionSpec({ version: 1, ...input }, { nLayers: 2, nHeads: 8 });

const la = (loss: number, acc: number) => ({ loss, acc });

describe('analysis terminal summaries', () => {
  it('every analysis of the registry has its own summary, not the stored JSON', () => {
    const samples: Record<string, unknown> = {
      strength: [{ seqs: 0, strength: [0.1, 0.2] }],
      ablation: { full: la(0.5, 0.8), strength: [0.1, 0.9], ablateOne: [la(0.6, 0.7), la(1.2, 0.3)], onlyOne: [la(1.5, 0.2), la(0.7, 0.75)] },
      redundancy: { computed: { reference: 1, perfectMatch: false, referenceMistakes: 4, rows: [] }, perfectMatch: { reference: 1, perfectMatch: true, referenceMistakes: 0, rows: [] } },
      additivity: { fromStrongest: { order: [1], steps: [], full: la(0.5, 0.8) }, withoutStrongest: { order: [], steps: [], full: la(0.5, 0.8) } },
      wiring: { matrices: { baseline: [0.5], Mpv: [[0]], Mpp: [[0]], Npv: [[0]], Npp: [[0]] }, composition: { q: [[0]], k: [[0]], v: [[0]] }, clamp: 'run', spec: stored({}) },
      'layer-output': [{ seqs: 0, clean: 1, noL1Direct: 1, noL2: 1, dNoL1Direct: 0, dNoL2: 0, loggedTrainLoss: 1, dNoL1DirectVsLogged: 0, dNoL2VsLogged: 0 }],
      progress: [{ seqs: 0, values: { clamped: la(1, 0.5) } }],
      'induction-score': [{ seqs: 0, repeat: 1, shuffled: 2, score: 1 }],
      'prefix-matching': [{ seqs: 0, prefixMatching: [[0.1]], prevToken: [[0.2]] }],
    };
    expect([...ANALYSIS_NAMES].sort()).toEqual(Object.keys(samples).sort());
    for (const name of ANALYSIS_NAMES) {
      const text = summarizeAnalysis(name, samples[name]);
      expect(text, name).not.toContain('{');
      expect(text.length, name).toBeGreaterThan(0);
    }
  });

  it('wiring: the baseline, then M^pv, M^pp and K-composition with readers as rows and writers as columns', () => {
    const text = summarizeAnalysis('wiring', {
      matrices: { baseline: [0.25, 0.875], Mpv: [[-0.125, 0], [0.5, -0.75]], Mpp: [[0.0625, 0.1], [0, 0]], Npv: [[0, 0], [0, 0]], Npp: [[0, 0], [0, 0]] },
      composition: { q: [[0, 0], [0, 0]], k: [[0.3, 0.4], [0.5, 0.6]], v: [[0, 0], [0, 0]] },
      clamp: 'none',
      spec: stored({}),
      layers: { prevToken: 1, induction: 2 },
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('wiring of layer 2 (writers, columns) into layer 3 (readers, rows), model: the checkpoint unclamped');
    expect(lines[1]).toBe('acc(only reader h): 0.250 0.875');
    expect(lines[2]).toBe('M^pv: Δacc, ablating writer j with values preserved');
    expect(lines[3].trim().split(/\s+/)).toEqual(['w0', 'w1']);
    expect(lines[4].trim().split(/\s+/)).toEqual(['r0', '-0.125', '0.000']);
    expect(lines[5].trim().split(/\s+/)).toEqual(['r1', '0.500', '-0.750']);
    expect(lines[7].trim().split(/\s+/)).toEqual(['w0', 'w1']);
    expect(lines[8].trim().split(/\s+/)).toEqual(['r0', '0.063', '0.100']);
    expect(lines[10]).toBe('K-composition (weights)');
    expect(lines[13].trim().split(/\s+/)).toEqual(['r1', '0.500', '0.600']);
    // columns line up: each value ends under its column head
    expect(lines[4].indexOf('-0.125') + '-0.125'.length).toBe(lines[3].indexOf('w0') + 2);
  });

  it("wiring of a run's own model without --layers names the first and last layers", () => {
    const text = summarizeAnalysis('wiring', { matrices: { baseline: [1], Mpv: [[0]], Mpp: [[0]], Npv: [[0]], Npp: [[0]] }, composition: { q: [[0]], k: [[0]], v: [[0]] }, clamp: 'run', spec: stored({ match: { heads: ['1:3'], strength: 0 } }) });
    expect(text.split('\n')[0]).toBe("wiring of the first layer (writers, columns) into the last layer (readers, rows), model: the run's own clamps");
    const bare = summarizeAnalysis('wiring', { matrices: { baseline: [1], Mpv: [[0]], Mpp: [[0]], Npv: [[0]], Npp: [[0]] }, composition: { q: [[0]], k: [[0]], v: [[0]] }, clamp: 'run', spec: stored({}) });
    expect(bare.split('\n')[0]).toBe('wiring of the first layer (writers, columns) into the last layer (readers, rows), model: the run as trained (no clamps)');
  });

  it("redundancy: both tables, each head's accuracy, mistakes and share of the reference's mistakes fixed", () => {
    const row = (head: number, acc: number, mistakes: number, fixedFraction: number) => ({ head, acc, loss: 1, mistakes, fixedFraction, perLabelAcc: [], mistakesByTarget: [], mistakesByPrediction: [] });
    const text = summarizeAnalysis('redundancy', {
      computed: { reference: 3, perfectMatch: false, referenceMistakes: 12, rows: [row(0, 0.5, 40, 0.25), row(3, 0.9, 12, NaN)] },
      perfectMatch: { reference: 3, perfectMatch: true, referenceMistakes: 2, rows: [row(0, 0.625, 30, 0.5)] },
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('computed match (Table 2): reference head 3 (12 mistakes)');
    expect(lines[2].trim().split(/\s+/)).toEqual(['0', '0.5000', '40', '0.250']);
    expect(lines[3].trim().split(/\s+/)).toEqual(['3', '0.9000', '12', '-']);
    expect(lines[5]).toBe('perfect match (Table 3): reference head 3 (2 mistakes)');
    expect(lines[7].trim().split(/\s+/)).toEqual(['0', '0.6250', '30', '0.500']);
  });

  it('additivity: each curve with its order and every step', () => {
    const text = summarizeAnalysis('additivity', {
      fromStrongest: { order: [3, 1], steps: [{ heads: [3], ...la(0.75, 0.5) }, { heads: [3, 1], ...la(0.5, 0.875) }], full: la(0.25, 0.9375) },
      withoutStrongest: { order: [1], steps: [{ heads: [1], ...la(1.5, 0.25) }], full: la(0.25, 0.9375) },
    });
    expect(text.split('\n')).toEqual([
      'from the strongest (order 3 1; all heads: loss 0.2500, acc 0.9375)',
      '  heads 3                loss 0.7500  acc 0.5000',
      '  heads 3,1              loss 0.5000  acc 0.8750',
      'without the strongest (order 1; all heads: loss 0.2500, acc 0.9375)',
      '  heads 1                loss 1.5000  acc 0.2500',
    ]);
  });

  it('layer-output and progress: one line per shown checkpoint, with the loss changes', () => {
    const lo = summarizeAnalysis('layer-output', [{ seqs: 30000, clean: 0.5, noL1Direct: 0.75, noL2: 1.5, dNoL1Direct: 0.25, dNoL2: 1, loggedTrainLoss: 0.5, dNoL1DirectVsLogged: 0.25, dNoL2VsLogged: 1 }]).split('\n');
    expect(lo[1].trim().split(/\s+/)).toEqual(['30000', '0.5000', '0.2500', '1.0000']);
    const pr = summarizeAnalysis('progress', [{ seqs: 5000, values: { clamped: la(0.5, 0.75), clean: la(0.25, 1) } }]);
    expect(pr).toBe('     5000  clamped loss 0.5000 acc 0.7500  clean loss 0.2500 acc 1.0000');
  });

  it('thin keeps about ten points, evenly, and always the last', () => {
    expect(thin([1, 2, 3])).toEqual([1, 2, 3]);
    const xs = Array.from({ length: 25 }, (_, i) => i);
    expect(thin(xs)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    const ys = Array.from({ length: 31 }, (_, i) => i);
    expect(thin(ys)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(thin([])).toEqual([]);
  });

  it('an unknown analysis name falls back to the JSON', () => {
    expect(summarizeAnalysis('nope', { a: 1 })).toBe('{"a":1}');
  });
});
