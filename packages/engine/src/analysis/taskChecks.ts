/**
 * The qualitative claims the presets of issue 23 reproduce, judged on a run's metric rows the way the
 * report judges the paper's checklist (report/claim.ts `Verdict`): each claim, pass or fail, and the
 * numbers it was decided on. Pure functions of the rows, so tests can hand them curves of known shape.
 *
 * Olsson et al. 2022 (`olsson-induction`): on repeated random tokens, a 2-layer attention-only model's
 * loss sits on a plateau at the level of "the answer is one of the tokens in context" (≈ ln(n − m)), then
 * drops abruptly to near 0 as induction heads form, and the drop is the induction score's rise; the heads
 * behind it are a previous-token head in an earlier layer and, in a later one, a head whose query attention
 * reaches the answer's token, directly (Olsson's prefix matching) or through that previous-token head (the
 * circuit shifted by one that the 2-layer model learns here; analysis/induction.ts "answer attention").
 *
 * Chan et al. 2022, Reddy 2023 (`bursty-icl`, `nonbursty-icl`): in-context learning on held-out classes
 * appears when the training data is bursty and not when it is not, although the non-bursty model does
 * learn the training classes (in its weights).
 */
import type { MetricRow } from '../store/runDir.js';

export interface TaskVerdict {
  claim: string;
  ok: boolean;
  measured: string;
}

const f3 = (x: number) => x.toFixed(3);
const k = (x: number) => `${(x / 1000).toFixed(0)}k`;

/** [seqs, value] of one eval set's metric, in order. */
export function evalCurve(rows: readonly MetricRow[], set: string, metric = 'loss'): [number, number][] {
  return rows.filter((r) => r.kind === 'eval' && r.set === set && typeof r[metric] === 'number').map((r) => [r.seqs, r[metric] as number]);
}

/** Mean of the last `n` points (the final value with eval noise averaged). */
const finalMean = (c: readonly [number, number][], n = 3): number => {
  const tail = c.slice(-n);
  return tail.reduce((a, [, y]) => a + y, 0) / tail.length;
};

/** The loss thresholds of the phase-change claim, from the context-only level ln(n − m). */
export const PHASE_BANDS = { plateauLow: 0.75, plateauHigh: 1.25, solved: 0.1, minPlateauFraction: 0.2, maxDropFraction: 1 / 3, scoreBefore: 0.25, scoreAfter: 1, head: 0.5 } as const;

export interface InductionHeads {
  /** [layer][head] at the final checkpoint (analysis/induction.ts). */
  prefixMatching: number[][];
  prevToken: number[][];
  /** [layer][head] answer attention through `hop`, the best previous-token head outside the last layer. */
  answer?: number[][];
  hop?: { layer: number; head: number };
}

/**
 * Olsson et al.'s phase change on a repeatTokens run: `prefixLength` n and `repeatLength` m from its config,
 * `heads` the final checkpoint's head scores (the head claim is judged only when given).
 */
export function checkInductionPhaseChange(rows: readonly MetricRow[], n: number, m: number, heads?: InductionHeads): TaskVerdict[] {
  const rep = evalCurve(rows, 'repeat');
  const shuf = evalCurve(rows, 'repeat_shuffled');
  if (rep.length < 3 || shuf.length !== rep.length) throw new Error(`the phase-change check needs the repeat and repeat_shuffled eval curves of a repeatTokens run (found ${rep.length} and ${shuf.length} points)`);
  const level = Math.log(n - m);
  const total = rep[rep.length - 1][0];
  const B = PHASE_BANDS;
  // The plateau: from the first eval below 1.25·level to the last above 0.75·level.
  const iIn = rep.findIndex(([, y]) => y < B.plateauHigh * level);
  let iOut = -1;
  for (let i = rep.length - 1; i >= 0; i--) if (rep[i][1] > B.plateauLow * level) { iOut = i; break; }
  const iSolved = iOut < 0 ? -1 : rep.findIndex(([x, y]) => x > rep[iOut][0] && y < B.solved * level);
  const out: TaskVerdict[] = [];
  const plateauLen = iIn >= 0 && iOut > iIn ? rep[iOut][0] - rep[iIn][0] : 0;
  out.push({
    claim: `plateau: the repeat loss stays between ${B.plateauLow} and ${B.plateauHigh} × ln(n − m) = ${f3(level)} (the context-only level) for at least ${B.minPlateauFraction * 100}% of training`,
    ok: plateauLen >= B.minPlateauFraction * total,
    measured: iIn >= 0 && iOut > iIn ? `from ${k(rep[iIn][0])} (loss ${f3(rep[iIn][1])}) to ${k(rep[iOut][0])} (loss ${f3(rep[iOut][1])}): ${((100 * plateauLen) / total).toFixed(0)}% of ${k(total)}` : 'no plateau at that level',
  });
  const dropLen = iSolved > 0 ? rep[iSolved][0] - rep[iOut][0] : Infinity;
  out.push({
    claim: `abrupt drop: from the plateau's end to a loss below ${B.solved} × ln(n − m) = ${f3(B.solved * level)} takes at most ${f3(B.maxDropFraction)} of the plateau's length`,
    ok: plateauLen > 0 && dropLen <= B.maxDropFraction * plateauLen,
    measured: iSolved > 0 ? `${k(rep[iOut][0])} → ${k(rep[iSolved][0])} (loss ${f3(rep[iSolved][1])}): ${k(dropLen)} against a ${k(plateauLen)} plateau` : `never below ${f3(B.solved * level)} (final ${f3(rep[rep.length - 1][1])})`,
  });
  const score = (i: number) => shuf[i][1] - rep[i][1];
  const iMid = iIn >= 0 && iOut > iIn ? Math.floor((iIn + iOut) / 2) : -1;
  const after = finalMean(rep.map(([x], i) => [x, score(i)] as [number, number]));
  out.push({
    claim: `the induction score (loss on repeat_shuffled − repeat) is below ${B.scoreBefore} × ln(n − m) on the plateau and above ${B.scoreAfter} × ln(n − m) at the end`,
    ok: iMid >= 0 && score(iMid) < B.scoreBefore * level && after > B.scoreAfter * level,
    measured: `${iMid >= 0 ? `${f3(score(iMid))} at ${k(rep[iMid][0])} (mid-plateau)` : 'no plateau'}; ${f3(after)} at the end`,
  });
  if (heads) {
    const L = heads.prefixMatching.length;
    const best = (m2: number[][], layers: number[]) =>
      layers.reduce((b, l) => m2[l].reduce((bb, x, h) => (x > bb.x ? { x, l, h } : bb), b), { x: -Infinity, l: -1, h: -1 });
    const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
    const pt = heads.hop ? { x: heads.prevToken[heads.hop.layer][heads.hop.head], l: heads.hop.layer, h: heads.hop.head } : best(heads.prevToken, range(0, L - 1));
    const later = range(pt.l + 1, L);
    const pm = best(heads.prefixMatching, later);
    const ans = heads.answer ? best(heads.answer, later) : pm;
    const name = (b: { l: number; h: number }) => `L${b.l + 1}H${b.h}`;
    out.push({
      claim: `mechanism: a previous-token head and, in a later layer, an induction head whose query attention reaches the answer's token (directly or through that previous-token head), each scoring ≥ ${B.head} at the end`,
      ok: pt.x >= B.head && ans.x >= B.head,
      measured: `best previous-token head ${name(pt)} ${f3(pt.x)}; best answer attention ${name(ans)} ${f3(ans.x)}${heads.answer ? ` (prefix matching, the direct part alone: best ${name(pm)} ${f3(pm.x)})` : ''}`,
    });
  }
  return out;
}

/** Thresholds of the bursty claim: in_context_acc on icl_holdout (chance ½) and acc on iwl_common. */
export const BURSTY_BANDS = { iclPresent: 0.8, iclAbsent: 0.65, iwlLearned: 0.8 } as const;

/** Chan/Reddy's claim on a bursty run and a non-bursty run of the same task otherwise. */
export function checkBurstyIcl(bursty: readonly MetricRow[], nonBursty: readonly MetricRow[]): TaskVerdict[] {
  const curve = (rows: readonly MetricRow[], set: string, metric: string, who: string) => {
    const c = evalCurve(rows, set, metric);
    if (!c.length) throw new Error(`the bursty check needs the ${set} eval set of a bursty-task run in the ${who} run`);
    return c;
  };
  const iclB = finalMean(curve(bursty, 'icl_holdout', 'in_context_acc', 'bursty'));
  const iclN = finalMean(curve(nonBursty, 'icl_holdout', 'in_context_acc', 'non-bursty'));
  const iwlN = finalMean(curve(nonBursty, 'iwl_common', 'acc', 'non-bursty'));
  const iwlB = finalMean(curve(bursty, 'iwl_common', 'acc', 'bursty'));
  const B = BURSTY_BANDS;
  return [
    { claim: `bursty training: in-context accuracy on held-out classes (icl_holdout, chance 0.5) ≥ ${B.iclPresent}`, ok: iclB >= B.iclPresent, measured: `${f3(iclB)} (mean of the last 3 evals)` },
    { claim: `non-bursty training: in-context accuracy on held-out classes ≤ ${B.iclAbsent}`, ok: iclN <= B.iclAbsent, measured: `${f3(iclN)}` },
    {
      claim: `the non-bursty model learned the common classes in its weights (iwl_common accuracy ≥ ${B.iwlLearned}): its missing ICL is not a failure to learn`,
      ok: iwlN >= B.iwlLearned,
      measured: `non-bursty ${f3(iwlN)}; bursty ${f3(iwlB)}`,
    },
  ];
}
