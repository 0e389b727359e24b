/**
 * The issue-23 claim checks (analysis/taskChecks.ts) on six-point curves worked out by hand: every claim and
 * measured line written out, each threshold with a value exactly at it and one just past it, the plateau's
 * band edges, the mechanism's head search, and the refusals of missing curves.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/runDir.js';
import { BURSTY_BANDS, checkBurstyIcl, checkInductionPhaseChange, evalCurve, PHASE_BANDS } from './taskChecks.js';

const rows = (set: string, pts: [number, number][], metric = 'loss'): MetricRow[] => pts.map(([seqs, v]) => ({ kind: 'eval', seqs, step: seqs / 32, set, [metric]: v }) as MetricRow);
const level = Math.log(6); // n = 8, m = 2
const K = 1000;

function phase(xs: number[], rep: number[], shuf: number[], heads?: Parameters<typeof checkInductionPhaseChange>[3]) {
  return checkInductionPhaseChange(
    [
      ...rows(
        'repeat',
        xs.map((x, i) => [x, rep[i]]),
      ),
      ...rows(
        'repeat_shuffled',
        xs.map((x, i) => [x, shuf[i]]),
      ),
    ],
    8,
    2,
    heads,
  );
}

describe('evalCurve', () => {
  it('the eval rows of one set with a numeric metric, in row order', () => {
    const r = [
      { kind: 'eval', seqs: 0, step: 0, set: 'a', loss: 2 },
      { kind: 'train', seqs: 1, step: 1, set: 'a', loss: 9 },
      { kind: 'eval', seqs: 2, step: 2, set: 'b', loss: 9 },
      { kind: 'eval', seqs: 3, step: 3, set: 'a', loss: 'NaN' },
      { kind: 'eval', seqs: 4, step: 4, set: 'a', loss: 1, acc: 0.5 },
    ] as unknown as MetricRow[];
    expect(evalCurve(r, 'a')).toEqual([
      [0, 2],
      [4, 1],
    ]);
    expect(evalCurve(r, 'a', 'acc')).toEqual([[4, 0.5]]);
  });
});

describe('the phase-change check, worked by hand', () => {
  const xs = [0, 100, 200, 300, 350, 500].map((x) => x * K);

  it('a plateau of 40%, a drop of a quarter of it, a score that rises: every line', () => {
    const rep = [3.0, 1.8, 1.8, 1.8, 0.1, 0.05];
    const shuf = [3.1, 1.9, 1.9, 1.9, 3.0, 4.0];
    expect(phase(xs, rep, shuf)).toEqual([
      {
        claim: 'plateau: the repeat loss stays between 0.75 and 1.25 × ln(n − m) = 1.792 (the context-only level) for at least 20% of training',
        ok: true,
        measured: 'from 100k (loss 1.800) to 300k (loss 1.800): 40% of 500k',
      },
      {
        claim: "abrupt drop: from the plateau's end to a loss below 0.1 × ln(n − m) = 0.179 takes at most 0.333 of the plateau's length",
        ok: true,
        measured: '300k → 350k (loss 0.100): 50k against a 200k plateau',
      },
      {
        claim: 'the induction score (loss on repeat_shuffled − repeat) is below 0.25 × ln(n − m) on the plateau and above 1 × ln(n − m) at the end',
        ok: true,
        measured: `0.100 at 200k (mid-plateau); ${((0.1 + 2.9 + 3.95) / 3).toFixed(3)} at the end`,
      },
    ]);
  });

  it('no plateau: the loss never enters the band', () => {
    const rep = [3.0, 2.9, 2.8, 0.1, 0.05, 0.05];
    const v = phase(xs, rep, rep.map((y) => y + 3));
    expect(v[0]).toMatchObject({ ok: false, measured: 'no plateau at that level' });
    expect(v[1].ok).toBe(false);
    expect(v[1].measured).toBe('200k → 300k (loss 0.100): 100k against a 0k plateau');
    expect(v[2]).toMatchObject({ ok: false, measured: 'no plateau; 3.000 at the end' });
  });

  it('the band’s edges: exactly 1.25 × level is not in it, exactly 0.75 × level is not above its floor', () => {
    // entering exactly at the top edge: the plateau starts one eval later (at 200k), so it spans 100k = 20%
    const rep = [3.0, PHASE_BANDS.plateauHigh * level, 1.8, 1.8, 0.1, 0.05];
    const v = phase(xs, rep, rep.map((y, i) => (i < 4 ? y + 0.1 : 4)));
    expect(v[0].measured).toBe('from 200k (loss 1.800) to 300k (loss 1.800): 20% of 500k');
    expect(v[0].ok).toBe(true); // exactly 20% of training counts
    // leaving exactly at the floor: the plateau ends one eval earlier
    const rep2 = [3.0, 1.8, 1.8, PHASE_BANDS.plateauLow * level, 0.1, 0.05];
    expect(phase(xs, rep2, rep2.map((y) => y + 0.1))[0].measured).toBe('from 100k (loss 1.800) to 200k (loss 1.800): 20% of 500k');
  });

  it('a plateau just short of 20% fails', () => {
    const ys = [0, 100, 199, 300, 350, 500].map((x) => x * K);
    const rep = [3.0, 1.8, 1.8, 0.1, 0.05, 0.05];
    const v = phase(ys, rep, rep.map((y) => y + 0.1));
    expect(v[0]).toMatchObject({ ok: false, measured: 'from 100k (loss 1.800) to 199k (loss 1.800): 20% of 500k' });
  });

  it('the drop: exactly 0.1 × level is not solved; a drop longer than a third of the plateau fails', () => {
    const rep = [3.0, 1.8, 1.8, 1.8, PHASE_BANDS.solved * level, 0.05];
    const v = phase(xs, rep, rep.map((y) => y + 0.1));
    expect(v[1]).toMatchObject({ ok: false, measured: '300k → 500k (loss 0.050): 200k against a 200k plateau' });
    const never = [3.0, 1.8, 1.8, 1.8, 1.0, 0.5];
    expect(phase(xs, never, never)[1]).toMatchObject({ ok: false, measured: 'never below 0.179 (final 0.500)' });
    // a drop of exactly a third of the plateau passes; a little more fails
    const zs = [0, 100, 400, 500, 600, 700].map((x) => x * K);
    const third = [3.0, 1.8, 1.8, 1.8, 0.1, 0.05];
    expect(phase(zs, third, third.map((y) => y + 0.1))[1]).toMatchObject({ ok: true, measured: '500k → 600k (loss 0.100): 100k against a 400k plateau' });
    const ws = [0, 100, 400, 500, 634, 700].map((x) => x * K);
    expect(phase(ws, third, third.map((y) => y + 0.1))[1].ok).toBe(false);
  });

  it('the score: just above its plateau cut-off fails, just below passes; the end mean must exceed its cut-off', () => {
    const rep = [3.0, 1.8, 1.8, 1.8, 0.1, 0.05];
    const withMid = (d: number) => [3.1, 1.9, 1.8 + PHASE_BANDS.scoreBefore * level + d, 1.9, 3.0, 4.0];
    expect(phase(xs, rep, withMid(1e-9))[2].ok).toBe(false);
    expect(phase(xs, rep, withMid(-1e-9))[2].ok).toBe(true);
    // after: the mean of the last three scores just below, then just above ln(n − m)
    const withEnd = (d: number) => [3.1, 1.9, 1.9, 1.8 + level + d, 0.1 + level + d, 0.05 + level + d];
    expect(phase(xs, rep, withEnd(-1e-9))[2].ok).toBe(false);
    expect(phase(xs, rep, withEnd(1e-9))[2].ok).toBe(true);
  });

  it('needs both curves, of one length, of at least 3 points', () => {
    const r = rows('repeat', [
      [0, 1],
      [1, 1],
    ]);
    expect(() => checkInductionPhaseChange([...r, ...rows('repeat_shuffled', [[0, 1], [1, 1]])], 8, 2)).toThrow(
      'the phase-change check needs the repeat and repeat_shuffled eval curves of a repeatTokens run (found 2 and 2 points)',
    );
    const r3 = rows('repeat', [
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(() => checkInductionPhaseChange([...r3, ...rows('repeat_shuffled', [[0, 1], [1, 1]])], 8, 2)).toThrow('(found 3 and 2 points)');
    expect(checkInductionPhaseChange([...r3, ...rows('repeat_shuffled', [[0, 1], [1, 1], [2, 1]])], 8, 2)).toHaveLength(3);
  });
});

describe('the mechanism claim', () => {
  const xs = [0, 100, 200, 300, 350, 500].map((x) => x * K);
  const rep = [3.0, 1.8, 1.8, 1.8, 0.1, 0.05];
  const shuf = [3.1, 1.9, 1.9, 1.9, 3.0, 4.0];
  const claim = `mechanism: a previous-token head and, in a later layer, an induction head whose query attention reaches the answer's token (directly or through that previous-token head), each scoring ≥ 0.5 at the end`;

  it('without answer attention: the best previous-token head outside the last layer, the best prefix matching after it', () => {
    const heads = {
      prevToken: [
        [0.2, 0.7],
        [0.6, 0.1],
        [0.99, 0],
      ],
      prefixMatching: [
        [0.9, 0],
        [0.1, 0.3],
        [0.5, 0.4],
      ],
    };
    expect(phase(xs, rep, shuf, heads)[3]).toEqual({ claim, ok: true, measured: 'best previous-token head L1H1 0.700; best answer attention L3H0 0.500' });
  });

  it('each score exactly 0.5 passes; just under fails', () => {
    const h = (pt: number, pm: number) => ({ prevToken: [[pt], [0]], prefixMatching: [[0], [pm]] });
    expect(phase(xs, rep, shuf, h(0.5, 0.5))[3].ok).toBe(true);
    expect(phase(xs, rep, shuf, h(0.4999, 0.9))[3].ok).toBe(false);
    expect(phase(xs, rep, shuf, h(0.9, 0.4999))[3].ok).toBe(false);
  });

  it('with answer attention and a hop: the hop head is the previous-token head, and the direct part is named', () => {
    const heads = {
      prevToken: [
        [0.9, 0.95],
        [0, 0],
      ],
      prefixMatching: [
        [0, 0],
        [0.2, 0.1],
      ],
      answer: [
        [0, 0],
        [0.3, 0.8],
      ],
      hop: { layer: 0, head: 0 },
    };
    expect(phase(xs, rep, shuf, heads)[3]).toEqual({
      claim,
      ok: true,
      measured: 'best previous-token head L1H0 0.900; best answer attention L2H1 0.800 (prefix matching, the direct part alone: best L2H0 0.200)',
    });
  });
});

describe('the bursty check, worked by hand', () => {
  const run = (icl: number[], iwl: number[]) => [
    ...rows(
      'icl_holdout',
      icl.map((y, i) => [i, y]),
      'in_context_acc',
    ),
    ...rows(
      'iwl_common',
      iwl.map((y, i) => [i, y]),
      'acc',
    ),
  ];

  it('every line, from the mean of the last three evals', () => {
    expect(BURSTY_BANDS).toEqual({ iclPresent: 0.8, iclAbsent: 0.65, iwlLearned: 0.8 });
    // the first eval (0) is outside the last three: the means are 0.9, 0.5, 0.95 and 0.2
    const v = checkBurstyIcl(run([0, 0.8, 0.9, 1.0], [0, 0.1, 0.2, 0.3]), run([1, 0.4, 0.5, 0.6], [0, 0.9, 0.95, 1.0]));
    expect(v).toEqual([
      { claim: 'bursty training: in-context accuracy on held-out classes (icl_holdout, chance 0.5) ≥ 0.8', ok: true, measured: '0.900 (mean of the last 3 evals)' },
      { claim: 'non-bursty training: in-context accuracy on held-out classes ≤ 0.65', ok: true, measured: '0.500' },
      {
        claim: 'the non-bursty model learned the common classes in its weights (iwl_common accuracy ≥ 0.8): its missing ICL is not a failure to learn',
        ok: true,
        measured: 'non-bursty 0.950; bursty 0.200',
      },
    ]);
  });

  it('each threshold: exactly at it passes, just past it fails', () => {
    // one eval each, so the mean is the value itself, exactly
    const at = checkBurstyIcl(run([0.8], [0.5]), run([0.65], [0.8]));
    expect(at.map((x) => x.ok)).toEqual([true, true, true]);
    const past = checkBurstyIcl(run([0.79, 0.79, 0.79], [0.5, 0.5, 0.5]), run([0.66, 0.66, 0.66], [0.79, 0.79, 0.79]));
    expect(past.map((x) => x.ok)).toEqual([false, false, false]);
    // fewer than three evals: the mean of those there are
    expect(checkBurstyIcl(run([0.7, 0.9], [0.5]), run([0.5], [0.9]))[0].measured).toBe('0.800 (mean of the last 3 evals)');
  });

  it('names the set and the run that lacks it', () => {
    const good = run([0.9], [0.9]);
    expect(() => checkBurstyIcl(rows('x', [[0, 1]]), good)).toThrow('the bursty check needs the icl_holdout eval set of a bursty-task run in the bursty run');
    expect(() => checkBurstyIcl(good, rows('icl_holdout', [[0, 0.5]], 'in_context_acc'))).toThrow('the bursty check needs the iwl_common eval set of a bursty-task run in the non-bursty run');
    expect(() => checkBurstyIcl(rows('icl_holdout', [[0, 0.5]], 'in_context_acc'), good)).toThrow('the bursty check needs the iwl_common eval set of a bursty-task run in the bursty run');
  });
});
