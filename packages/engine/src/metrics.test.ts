import { describe, expect, it } from 'vitest';
import { allocBatch, allocLayoutBatch, labelToken } from './data/types.js';
import { evalMetrics, LEARNED_LOSS, learningTime, LN2, METRIC_NAMES } from './metrics.js';

describe('eval metrics (spec 3.3) on a hand-computed example', () => {
  it('computes loss, acc, prob and the in/out-of-context variants', () => {
    const b = allocBatch(2);
    // Sequence 0: context labels {1, 3}, target 1. Sequence 1: context {0, 2}, target 2.
    b.contextLabel.set([1, 3, 0, 2]);
    b.target.set([1, 2]);
    const L = 4;
    const logits = [
      0, Math.log(3), 0, Math.log(2), // softmax = [1,3,1,2]/7; argmax 1 = target
      Math.log(4), 0, Math.log(2), 0, // softmax = [4,1,2,1]/8; argmax 0 ≠ target 2
    ];
    const m = evalMetrics(logits, b, L);
    expect(m.loss).toBeCloseTo((-Math.log(3 / 7) - Math.log(2 / 8)) / 2, 12);
    expect(m.acc).toBe(0.5);
    expect(m.prob).toBeCloseTo((3 / 7 + 2 / 8) / 2, 12);
    // In context: seq 0 over {1,3}: [3,2] → p(1) = 3/5, correct; seq 1 over {0,2}: [4,2] → p(2) = 1/3, wrong.
    expect(m.in_context_prob).toBeCloseTo((3 / 5 + 1 / 3) / 2, 12);
    expect(m.in_context_acc).toBe(0.5);
    // The target is always in context, so out-of-context metrics are 0 by construction.
    expect(m.out_context_prob).toBe(0);
    expect(m.out_context_acc).toBe(0);
    expect(m.use_context_prob).toBeCloseTo((5 / 7 + 6 / 8) / 2, 12);
  });

  it('learning time is the first eval below 0.4·ln 2, else the last eval', () => {
    const t = 0.4 * Math.LN2;
    expect(learningTime([{ seqs: 0, loss: 2 }, { seqs: 5024, loss: t + 1e-9 }, { seqs: 10016, loss: t - 1e-9 }, { seqs: 15008, loss: 0 }])).toEqual({ seqs: 10016, learned: true });
    expect(learningTime([{ seqs: 0, loss: 2 }, { seqs: 5024, loss: 0.7 }])).toEqual({ seqs: 5024, learned: false });
    // Exactly at the threshold is not below it (spec 5.9: "< 0.4 ln 2"); the threshold is 0.4 ln 2 itself,
    // not a rounded 0.277.
    expect(learningTime([{ seqs: 0, loss: 0.4 * 0.6931471805599453 }, { seqs: 32, loss: 0.277 }, { seqs: 64, loss: 0.2772588 }])).toEqual({ seqs: 32, learned: true });
    expect(learningTime([{ seqs: 0, loss: 2 }, { seqs: 32, loss: 0.4 * 0.6931471805599453 }])).toEqual({ seqs: 32, learned: false });
  });

  it('a target outside the context (the in-weights sets): in-context metrics 0, out-of-context over the other labels', () => {
    const b = allocBatch(1);
    b.contextLabel.set([0, 2]);
    b.target.set([3]);
    // softmax over 4 labels = [1,2,3,4]/10; argmax 3 = target.
    const m = evalMetrics([0, Math.log(2), Math.log(3), Math.log(4)], b, 4);
    expect(m.loss).toBeCloseTo(-Math.log(4 / 10), 12);
    expect([m.acc, m.in_context_acc, m.in_context_prob, m.out_context_acc]).toEqual([1, 0, 0, 1]);
    // Outside C = {1, 3}: [2, 4] → p(3) = 4/6.
    expect(m.out_context_prob).toBeCloseTo(4 / 6, 12);
    expect(m.prob).toBeCloseTo(4 / 10, 12);
    expect(m.use_context_prob).toBeCloseTo((1 + 3) / 10, 12);
    // Target 2, inside C = {0, 2}: [1, 3] → in-context argmax 2 with p = 3/4; nothing outside C can be right.
    b.target.set([2]);
    const n = evalMetrics([0, Math.log(2), Math.log(3), Math.log(4)], b, 4);
    expect([n.acc, n.in_context_acc, n.out_context_acc, n.out_context_prob]).toEqual([0, 1, 0, 0]);
    expect(n.in_context_prob).toBeCloseTo(3 / 4, 12);
  });

  it('a tie goes to the lower label (argmax takes the first maximum)', () => {
    const b = allocBatch(2);
    b.contextLabel.set([0, 1, 0, 1]);
    b.target.set([1, 0]);
    const m = evalMetrics([2, 2, 0, 2, 2, 0], b, 3);
    expect([m.acc, m.in_context_acc]).toEqual([0.5, 0.5]);
    expect(m.loss).toBeCloseTo(-Math.log(Math.exp(2) / (2 * Math.exp(2) + 1)), 12);
  });

  it('the general layout: C is every label token before the query, the query token itself excluded', () => {
    // T = 4: item, label 2, label 4, query item; then item, label 1, item, query.
    const b = allocLayoutBatch(2, 4);
    b.layout.tokens.set([0, labelToken(2), labelToken(4), 1, 0, labelToken(1), 2, labelToken(3)]);
    b.target.set([2, 3]);
    // Row 0: softmax = [1,1,5,1,2]/10 → C = {2,4}: [5,2] → p(2) = 5/7. Row 1: [1,1,1,3,1]/7, C = {1} (the
    // label 3 is the query token, not context): in-context prob of target 3 is 0; outside {0,2,3,4}: 3/6.
    const logits = [0, 0, Math.log(5), 0, Math.log(2), 0, 0, 0, Math.log(3), 0];
    const m = evalMetrics(logits, b, 5);
    expect(m.in_context_prob).toBeCloseTo((5 / 7 + 0) / 2, 12);
    expect(m.in_context_acc).toBe(0.5);
    expect(m.out_context_prob).toBeCloseTo((0 + 3 / 6) / 2, 12);
    expect(m.out_context_acc).toBe(0.5);
    expect(m.use_context_prob).toBeCloseTo((7 / 10 + 1 / 7) / 2, 12);
    expect(m.acc).toBe(1);
  });

  it('every metric is a mean over the batch, in the order the store writes them', () => {
    expect([...METRIC_NAMES]).toEqual(['loss', 'acc', 'prob', 'in_context_acc', 'in_context_prob', 'out_context_acc', 'out_context_prob', 'use_context_prob']);
    const b = allocBatch(3);
    b.contextLabel.set([0, 1, 0, 1, 0, 1]);
    b.target.set([0, 0, 1]);
    const m = evalMetrics([0, 0, 0, 0, 0, 0], b, 2);
    expect(m).toEqual({ loss: Math.LN2, acc: 2 / 3, prob: 0.5, in_context_acc: 2 / 3, in_context_prob: 0.5, out_context_acc: 0, out_context_prob: 0, use_context_prob: 1 });
  });

  it('no evals: learning time 0, not learned; the constants are ln 2 and 0.4 ln 2', () => {
    expect(learningTime([])).toEqual({ seqs: 0, learned: false });
    expect(LN2).toBe(0.6931471805599453);
    expect(LEARNED_LOSS).toBe(0.4 * 0.6931471805599453);
  });

  it('the general layout counts label 0 as a context label like any other', () => {
    // T = 3: label 0, item, query; the target 0 is in context. softmax = [3,1,1,1]/6 → in C = {0}: p(0) = 1.
    const b = allocLayoutBatch(1, 3);
    b.layout.tokens.set([labelToken(0), 5, 7]);
    b.target.set([0]);
    const m = evalMetrics([Math.log(3), 0, 0, 0], b, 4);
    expect([m.in_context_acc, m.in_context_prob, m.out_context_acc, m.out_context_prob]).toEqual([1, 1, 0, 0]);
    expect(m.use_context_prob).toBeCloseTo(3 / 6, 12);
  });
});
