/**
 * Clamps on the tasks beyond the paper (issue 23 item 3): the positions each task gives the clamps, the
 * clamped patterns and logits on k shots, bursty contexts and repeated tokens against rows built here
 * directly from the batch's tokens (not from data/tasks/positions.ts), and the validation errors of
 * clamps anywhere (layers, heads, the per-clamp task checks of config.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkHeadLayers } from '../analysis/heads.js';
import { parseRunConfig } from '../config.js';
import { fewShotPositions, repeatPositions, taskPositions } from '../data/tasks/positions.js';
import { tokenLabel } from '../data/types.js';
import { SMALL } from '../testing/clampConformance.js';
import { makeRig, twin, type Rig } from '../testing/clampRig.js';
import { expectRows } from '../testing/clampSuites.js';
import { parseInterventionSpec } from './spec.js';

const K4 = { numLabels: 8, kind: 'fewShot' as const, shots: 4 };
const BURSTY = { numLabels: 8, kind: 'bursty' as const, bursty: { contextPairs: 4, burstiness: 2, pBursty: 1, zipfExponent: 0, trainClasses: 6, commonClasses: 2, holdoutClasses: 2, exemplars: 1 } };
const REPEAT = { numLabels: 8, kind: 'repeatTokens' as const, repeat: { prefixLength: 6, repeatLength: 1 } };
const opts = (task: object) => ({ cfg: SMALL, task, B: 6, dataSeed: 3 }) as const;

/** Token j of sequence b of the rig's batch (general layout). */
const tok = (rig: Rig, b: number, j: number) => rig.batch.layout!.tokens[b * rig.batch.layout!.seqLen + j];

describe('task positions', () => {
  it("the paper's, k shots, bursty and repeated tokens", () => {
    expect(taskPositions({ numLabels: 5 })).toEqual(fewShotPositions(5));
    expect(fewShotPositions(5)).toMatchObject({ seqLen: 5, query: 4, candidates: [1, 3], exemplars: [0, 2] });
    expect(taskPositions(K4)).toMatchObject({ seqLen: 9, query: 8, candidates: [1, 3, 5, 7], exemplars: [0, 2, 4, 6] });
    expect(taskPositions(BURSTY)).toMatchObject({ kind: 'bursty', seqLen: 9, query: 8, candidates: [1, 3, 5, 7] });
    expect(taskPositions(REPEAT)).toEqual(repeatPositions(6, 1));
    expect(repeatPositions(6, 2)).toMatchObject({ seqLen: 8, query: 7, candidates: [0, 1, 2, 3, 4, 5], exemplars: null });
  });
});

describe('clamped rows on k shots, bursty and repeated tokens, built from the tokens', () => {
  it('match on 4 shots: the query row is s on the label position holding the target, (1 − s)/3 on each other label position', () => {
    const s = 0.7;
    expectRows({ match: { heads: ['1:2'], strength: s } }, 'blocks.1.attn.pattern', (b, h, t, A0, rig) => {
      if (h !== 2 || t !== 8) return A0;
      return A0.map((_, j) => (j % 2 === 1 && j < 8 ? (tokenLabel(tok(rig, b, j)) === rig.batch.target[b] ? s : (1 - s) / 3) : 0));
    }, opts(K4));
  });

  it('match on bursty contexts: s shared by the label positions holding the target (a bursty context repeats it), 1 − s by the rest', () => {
    const s = 0.8;
    let shared = 0;
    expectRows({ match: { heads: ['1:0'], strength: s } }, 'blocks.1.attn.pattern', (b, h, t, A0, rig) => {
      if (h !== 0 || t !== 8) return A0;
      const labels = [1, 3, 5, 7].map((j) => tokenLabel(tok(rig, b, j)));
      const hit = labels.filter((l) => l === rig.batch.target[b]).length;
      if (hit > 1) shared++;
      return A0.map((_, j) => (j % 2 === 1 && j < 8 ? (tokenLabel(tok(rig, b, j)) === rig.batch.target[b] ? s / hit : (1 - s) / (4 - hit)) : 0));
    }, opts(BURSTY));
    expect(shared).toBeGreaterThan(0); // the repeated-label case was exercised
  });

  it('match on repeated tokens (s = 1): the query attends to the token after the earlier occurrence of its own token', () => {
    expectRows({ match: { heads: ['1:3'] } }, 'blocks.1.attn.pattern', (b, h, t, A0, rig) => {
      if (h !== 3 || t !== 6) return A0;
      const p = [0, 1, 2, 3, 4, 5].find((j) => tok(rig, b, j) === tok(rig, b, 6))!;
      return A0.map((_, j) => (j === p + 1 ? 1 : 0));
    }, opts(REPEAT));
  });

  it('silenceNonLabel on 4 shots and on repeated tokens: the query row renormalised over the label positions (the prefix)', () => {
    const renorm = (A0: number[], keep: (j: number) => boolean) => {
      const z = A0.reduce((a, x, j) => a + (keep(j) ? x : 0), 0);
      return A0.map((x, j) => (keep(j) ? x / z : 0));
    };
    expectRows({ silenceNonLabel: { heads: ['1:1'] } }, 'blocks.1.attn.pattern', (_b, h, t, A0) => (h === 1 && t === 8 ? renorm(A0, (j) => j % 2 === 1) : A0), opts(K4));
    expectRows({ silenceNonLabel: { heads: ['0:1'] } }, 'blocks.0.attn.pattern', (_b, h, t, A0) => (h === 1 && t === 6 ? renorm(A0, (j) => j < 6) : A0), opts(REPEAT));
  });

  it('prevTokenLabels on 4 shots: rows 1, 3, 5, 7 attend to the preceding exemplar (s) and themselves; other rows unclamped', () => {
    expectRows({ prevTokenLabels: { heads: ['0:3'], strength: 0.9 } }, 'blocks.0.attn.pattern', (_b, h, t, A0) =>
      h === 3 && t % 2 === 1 ? A0.map((_, j) => (j === t - 1 ? 0.9 : j === t ? 0.1 : 0)) : A0,
    opts(K4));
  });

  it('perfectCopy on 4 shots: the query logit of each context label is the head score to its position, every other label −1e9', () => {
    const spec = { perfectCopy: { head: '1:2' } };
    const rig = makeRig({ ...opts(K4), spec, training: false });
    rig.forward();
    const clean = twin(rig, { keep: ['blocks.1.attn.scores'], training: false });
    clean.forward();
    const S = clean.read('blocks.1.attn.scores'); // query-only: [B, H, 1, T]
    const logits = rig.queryLogits();
    const [H, T, L] = [SMALL.nHeads, 9, SMALL.numLabels];
    for (let b = 0; b < 6; b++) {
      const want = new Array<number>(L).fill(-1e9);
      for (const j of [1, 3, 5, 7]) want[tokenLabel(tok(rig, b, j))] = S[(b * H + 2) * T + j];
      for (let l = 0; l < L; l++) expect(logits[b * L + l], `b${b} label ${l}`).toBeCloseTo(want[l], 5);
    }
  });
});

describe('validation of clamps anywhere: one line naming the field', () => {
  const M3 = { nLayers: 3, nHeads: 4 };
  const err = (spec: unknown, model = M3) => {
    try {
      parseInterventionSpec(spec, model);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };

  it('a previous-token clamp in layer l and a match clamp in a later layer l′ parse; the match at or before l is refused', () => {
    expect(err({ prevToken: { heads: ['1:0'] }, match: { heads: ['2:3'] } })).toBeNull();
    expect(err({ prevToken: { heads: ['0:0'] }, match: { heads: ['1:3'] } })).toBeNull();
    expect(err({ prevToken: { heads: ['1:0'] }, match: { heads: ['2:1', '1:3'] } })).toBe(
      `interventions.match.heads[1]: head "1:3" is in layer 1, not after the previous-token clamp's layer 1 (prevToken.heads[0] "1:0"); the match reads what the previous-token head wrote, so it must sit in a later layer`,
    );
    expect(err({ prevTokenLabels: { heads: ['1:2'] }, featureMatch: { heads: ['0:1'] } })).toMatch(/^interventions\.featureMatch\.heads\[0\]: head "0:1" is in layer 0, not after .*prevTokenLabels\.heads\[0\] "1:2"/);
  });

  it('heads and layers the model lacks', () => {
    expect(err({ prevToken: { heads: ['3:0'] } })).toBe('interventions.prevToken.heads[0]: head "3:0": layer 3 out of range (the model has layers 0..2)');
    expect(err({ match: { heads: ['2:4'] } })).toBe('interventions.match.heads[0]: head "2:4": head 4 out of range (layers have heads 0..3)');
    expect(() => checkHeadLayers({ prevToken: 2, induction: 1 }, 3, '--layers')).toThrow(/^--layers\.induction: layer 1 must come after the previous-token layer 2$/);
    expect(() => checkHeadLayers({ prevToken: 0, induction: 3 }, 3, '--layers')).toThrow(/^--layers\.induction: layer 3 out of range \(the model has layers 0\.\.2\)$/);
  });

  it('config: clamps on every task, refused only where the task lacks what the clamp needs', () => {
    for (const task of [K4, BURSTY, REPEAT]) expect(() => parseRunConfig({ task, interventions: { prevToken: { heads: ['0:1'] }, match: { heads: ['1:3'] }, perfectCopy: { head: '1:2' } } })).not.toThrow();
    expect(() => parseRunConfig({ task: K4, interventions: { featureMatch: { heads: ['1:3'] } } })).not.toThrow();
    expect(() => parseRunConfig({ task: { ...REPEAT, numLabels: 32, repeat: { prefixLength: 8, repeatLength: 1 } }, interventions: { featureMatch: { heads: ['1:3'] } } })).toThrow(
      'config: interventions.featureMatch: needs exemplar features to compare with the query; repeatTokens (8 + 1 tokens) has none (every token is a label token)',
    );
  });
});
