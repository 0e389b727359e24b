/**
 * The task selection (data/tasks/schema.ts) and where things sit in its sequences (positions.ts), written out
 * by hand: sequence lengths, the paper-task test, every task issue with its path and line at its boundary,
 * the positions of each kind, and tokens read from both batch forms.
 */
import { describe, expect, it } from 'vitest';
import { allocBatch, allocLayoutBatch, labelToken } from '../types.js';
import { candidateLabels, fewShotPositions, repeatPositions, taskPositions, tokenAt } from './positions.js';
import { BurstySchema, burstyOf, isPaperTask, repeatOf, TASK_FIELDS, taskIssues, taskKind, taskSeqLen } from './schema.js';

describe('task selection', () => {
  it('kind, sequence length and the paper test', () => {
    expect(taskKind({ numLabels: 5 })).toBe('fewShot');
    expect(taskSeqLen({ numLabels: 5 })).toBe(5);
    expect(taskSeqLen({ numLabels: 5, shots: 4 })).toBe(9);
    expect(taskSeqLen({ numLabels: 5, kind: 'bursty' })).toBe(17); // 8 pairs by default
    expect(taskSeqLen({ numLabels: 5, kind: 'bursty', bursty: { contextPairs: 3 } })).toBe(7);
    expect(taskSeqLen({ numLabels: 5, kind: 'repeatTokens' })).toBe(17); // 16 + 1
    expect(taskSeqLen({ numLabels: 5, kind: 'repeatTokens', repeat: { prefixLength: 6, repeatLength: 3 } })).toBe(9);
    expect(isPaperTask({ numLabels: 5 })).toBe(true);
    expect(isPaperTask({ numLabels: 5, kind: 'fewShot', shots: 2 })).toBe(true);
    expect(isPaperTask({ numLabels: 5, shots: 3 })).toBe(false);
    expect(isPaperTask({ numLabels: 5, kind: 'bursty', bursty: { contextPairs: 2 } })).toBe(false);
    expect(burstyOf({ numLabels: 5 })).toEqual({ contextPairs: 8, pBursty: 0.9, burstiness: 3, zipfExponent: 1, trainClasses: 1000, commonClasses: 10, holdoutClasses: 100, labelSeed: 0 });
    expect(repeatOf({ numLabels: 5 })).toEqual({ prefixLength: 16, repeatLength: 1 });
  });

  it('the bounds of the task fields, each just inside and just outside', () => {
    expect(Object.keys(TASK_FIELDS)).toEqual(['kind', 'shots', 'bursty', 'repeat']);
    const shots = TASK_FIELDS.shots;
    expect([2, 32].map((v) => shots.safeParse(v).success)).toEqual([true, true]);
    expect([1, 33, 2.5].map((v) => shots.safeParse(v).success)).toEqual([false, false, false]);
    const ok = (o: object) => BurstySchema.safeParse(o).success;
    expect([ok({ pBursty: 0 }), ok({ pBursty: 1 }), ok({ pBursty: -0.01 }), ok({ pBursty: 1.01 })]).toEqual([true, true, false, false]);
    expect([ok({ zipfExponent: 0 }), ok({ zipfExponent: 10 }), ok({ zipfExponent: -0.1 }), ok({ zipfExponent: 10.1 })]).toEqual([true, true, false, false]);
    expect([ok({ holdoutClasses: 2 }), ok({ holdoutClasses: 300 }), ok({ holdoutClasses: 1 })]).toEqual([true, true, false]);
    expect([ok({ contextPairs: 2 }), ok({ contextPairs: 32 }), ok({ contextPairs: 33 })]).toEqual([true, true, false]);
  });

  it('the shots-against-labels check is the few-shot task’s only', () => {
    expect(taskIssues({ numLabels: 2, kind: 'bursty', shots: 3 })).toEqual([[['task', 'shots'], "applies to task.kind 'fewShot' only, the task is 'bursty'"]]);
  });

  it('fields of another kind are named with the kind', () => {
    expect(taskIssues({ numLabels: 5, kind: 'bursty', shots: 3 })).toEqual([[['task', 'shots'], "applies to task.kind 'fewShot' only, the task is 'bursty'"]]);
    expect(taskIssues({ numLabels: 5, bursty: {} })).toEqual([[['task', 'bursty'], `set, but task.kind is 'fewShot' (add "kind": "bursty")`]]);
    expect(taskIssues({ numLabels: 5, kind: 'bursty', repeat: {} })).toEqual([[['task', 'repeat'], `set, but task.kind is 'bursty' (add "kind": "repeatTokens")`]]);
    expect(taskIssues({ numLabels: 5, kind: 'fewShot', shots: 3 })).toEqual([]);
  });

  it('k shots need k distinct labels: k = L passes, k = L + 1 does not', () => {
    expect(taskIssues({ numLabels: 4, shots: 4 })).toEqual([]);
    expect(taskIssues({ numLabels: 4, shots: 5 })).toEqual([[['task', 'shots'], '5 pairs need 5 distinct labels, task.numLabels is 4']]);
  });

  it('bursty: 2 × burstiness context pairs at most; common classes at most the training classes', () => {
    const b = (bursty: object) => taskIssues({ numLabels: 5, kind: 'bursty', bursty });
    expect(b({ contextPairs: 6, burstiness: 3 })).toEqual([]);
    expect(b({ contextPairs: 5, burstiness: 3 })).toEqual([[['task', 'bursty', 'burstiness'], "3 copies of the query's class and of a distractor need 6 context pairs, bursty.contextPairs is 5"]]);
    expect(b({ commonClasses: 20, trainClasses: 20 })).toEqual([]);
    expect(b({ commonClasses: 21, trainClasses: 20 })).toEqual([[['task', 'bursty', 'commonClasses'], '21 common classes, more than the 20 trainClasses']]);
    // a bursty field that does not parse is the schema's to report, not this check's
    expect(b({ contextPairs: 1 })).toEqual([]);
  });

  it('repeated tokens: at most n − 1 repeated, and a vocabulary of at least n', () => {
    const r = (repeat: object, numLabels = 32) => taskIssues({ numLabels, kind: 'repeatTokens', repeat });
    expect(r({ prefixLength: 8, repeatLength: 7 })).toEqual([]);
    expect(r({ prefixLength: 8, repeatLength: 8 })).toEqual([[['task', 'repeat', 'repeatLength'], '8 repeated tokens leave no next token in a prefix of 8; use at most 7']]);
    expect(r({ prefixLength: 8 }, 8)).toEqual([]);
    expect(r({ prefixLength: 8 }, 7)).toEqual([[['task', 'repeat', 'prefixLength'], '8 distinct tokens need a vocabulary (task.numLabels) of at least 8, it is 7']]);
    expect(r({ prefixLength: 2 })).toEqual([]);
  });
});

describe('task positions', () => {
  it('few-shot layouts: candidates at the labels, exemplars before them, the query last', () => {
    expect(fewShotPositions(5)).toEqual({ name: "the paper's task", kind: 'fewShot', seqLen: 5, query: 4, candidates: [1, 3], exemplars: [0, 2] });
    expect(fewShotPositions(7)).toEqual({ name: 'fewShot with 3 shots', kind: 'fewShot', seqLen: 7, query: 6, candidates: [1, 3, 5], exemplars: [0, 2, 4] });
    expect(fewShotPositions(3).candidates).toEqual([1]);
    for (const bad of [2, 4, 1]) expect(() => fewShotPositions(bad)).toThrow(`a few-shot layout has 2k + 1 tokens, got ${bad}`);
  });

  it('repeated tokens: the prefix positions, no exemplars', () => {
    expect(repeatPositions(4, 2)).toEqual({ name: 'repeatTokens (4 + 2 tokens)', kind: 'repeatTokens', seqLen: 6, query: 5, candidates: [0, 1, 2, 3], exemplars: null });
  });

  it('the positions of each kind a config selects', () => {
    expect(taskPositions({ numLabels: 5 })).toEqual(fewShotPositions(5));
    expect(taskPositions({ numLabels: 5, shots: 3 })).toEqual(fewShotPositions(7));
    expect(taskPositions({ numLabels: 5, kind: 'bursty', bursty: { contextPairs: 4 } })).toEqual({ ...fewShotPositions(9), name: 'bursty (4 pairs)', kind: 'bursty' });
    expect(taskPositions({ numLabels: 32, kind: 'repeatTokens', repeat: { prefixLength: 5, repeatLength: 2 } })).toEqual(repeatPositions(5, 2));
  });

  it('tokens and candidate labels from both batch forms', () => {
    const paper = allocBatch(2);
    paper.item.set([7, 8, 9, 10, 11, 12]);
    paper.contextLabel.set([1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map((p) => tokenAt(paper, 1, p))).toEqual([10, labelToken(3), 11, labelToken(4), 12]);
    const three = allocBatch(3);
    three.item.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    three.contextLabel.set([0, 1, 2, 3, 4, 0]);
    expect([0, 1, 2, 3, 4].map((p) => tokenAt(three, 2, p))).toEqual([7, labelToken(4), 8, labelToken(0), 9]);
    expect(Array.from(candidateLabels(fewShotPositions(5), paper, 0, new Int32Array(2)))).toEqual([1, 2]);
    const general = allocLayoutBatch(2, 5);
    general.layout.tokens.set([0, labelToken(0), 1, labelToken(1), 0, 5, labelToken(4), 6, labelToken(2), 6]);
    expect([0, 1, 2, 3, 4].map((p) => tokenAt(general, 1, p))).toEqual([5, labelToken(4), 6, labelToken(2), 6]);
    expect(Array.from(candidateLabels(fewShotPositions(5), general, 1, new Int32Array(2)))).toEqual([4, 2]);
    // a candidate holding an item token carries no label
    expect(Array.from(candidateLabels(repeatPositions(2, 3), general, 1, new Int32Array(2)))).toEqual([-1, 4]);
  });
});
