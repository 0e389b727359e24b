/**
 * The reproduction checklist (paper spec section 11) as checks on measured evidence. Each claim names
 * the catalog roles it reads; if one is absent or unfinished the claim is `missing` with the command that
 * trains it. Otherwise it is `pass` or `fail` with the numbers.
 *
 * Reading the checklist's words as numbers (stated once here, used everywhere):
 * - learning time = first eval with `fsl_train` loss < 0.4·ln 2 (spec 5.9);
 * - "≈ x" for a time or ratio bound means at most 1.5·x;
 * - a plateau near ln 2 is the longest stretch of consecutive evals with loss in [ln 2 − 0.15, ln 2 + 0.2]
 *   and within 0.1 of each other (flat), measured in sequences from its first to its last eval;
 * - "no plateau" means that stretch is shorter than 2.5·10⁴ sequences; a "brief shoulder" is one shorter
 *   than half the unclamped run's plateau;
 * - "unchanged" across a data sweep means max/min learning time ≤ 1.5; "slows down" means strictly
 *   increasing and last/first ≥ 1.5; "slightly slower" means the last is later than the first.
 */
import * as path from 'node:path';
import { LEARNED_LOSS, LN2, learningTime } from '../metrics.js';
import type { MetricRow } from '../store/runDir.js';
import { itersToFraction } from '../toy/toyModel.js';
import type { Evidence, RunEvidence } from './evidence.js';
import { presetForRole } from './find.js';
import { dataFlags } from '../sweep/data.js';
import type { ClaimResult, ClaimStatus } from './types.js';
import { headLabel } from '../interventions/heads.js';

export { LN2 };
export const LEARNED = LEARNED_LOSS;
export const APPROX = 1.5;
export const PLATEAU_BAND: [number, number] = [LN2 - 0.15, LN2 + 0.2];
export const NO_PLATEAU = 25_000;
export const PLATEAU_FLATNESS = 0.1;

export interface Point {
  seqs: number;
  loss: number;
  acc: number;
}

/** The eval curve of one set (default `fsl_train`), sorted by sequences. */
export function curveOf(run: RunEvidence, set = 'fsl_train'): Point[] {
  return run.rows
    .filter((r: MetricRow) => r.set === set && typeof r.loss === 'number')
    .map((r) => ({ seqs: r.seqs, loss: Number(r.loss), acc: Number(r.acc) }))
    .sort((a, b) => a.seqs - b.seqs);
}

export function learnTime(run: RunEvidence): { seqs: number; learned: boolean } {
  return learningTime(curveOf(run));
}

/**
 * Longest stretch (in sequences) of consecutive points with loss inside `band` and flat: within
 * `PLATEAU_FLATNESS` of each other, so a smooth decay that merely passes through the band is no plateau.
 */
export function plateau(points: readonly { seqs: number; loss: number }[], band: [number, number] = PLATEAU_BAND): { length: number; from: number; to: number } {
  let best = { length: 0, from: NaN, to: NaN };
  const inside = (x: number) => x >= band[0] && x <= band[1];
  for (let i = 0; i < points.length; i++) {
    if (!inside(points[i].loss)) continue;
    let lo = points[i].loss;
    let hi = lo;
    let j = i;
    while (j + 1 < points.length && inside(points[j + 1].loss) && Math.max(hi, points[j + 1].loss) - Math.min(lo, points[j + 1].loss) <= PLATEAU_FLATNESS) {
      j++;
      lo = Math.min(lo, points[j].loss);
      hi = Math.max(hi, points[j].loss);
    }
    const length = points[j].seqs - points[i].seqs;
    if (length > best.length || Number.isNaN(best.from)) best = { length, from: points[i].seqs, to: points[j].seqs };
  }
  return best;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  const rank = (v: readonly number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

export const k = (seqs: number): string => (seqs >= 1e6 ? `${(seqs / 1e6).toFixed(2)}M` : `${Math.round(seqs / 1000)}k`);
const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Verdict {
  ok: boolean;
  measured: string;
  numbers: Record<string, number | null>;
}

interface ClaimDef {
  id: number;
  group: string;
  title: string;
  /** Catalog roles read; `main-analyses` / `fig10` mean the analyses of the main / fig5b:none run. */
  needs: string[];
  figures: string[];
  judge(e: Evidence): Verdict;
}

const GROUPS = {
  setup: 'Setup-level',
  heads: 'Induction heads: diversity, additivity, redundancy',
  wiring: 'Wiring (Layer 1 → Layer 2)',
  sub: 'Subcircuits and the phase change (single L2 head active)',
  data: 'Data dependence',
  other: 'Other clamps',
};

const HEADS = [0, 1, 2, 3, 4, 5, 6, 7];
const r = (e: Evidence, role: string): RunEvidence => e.runs[role];
const lt = (e: Evidence, role: string): number => learnTime(r(e, role)).seqs;
const lastLoss = (run: RunEvidence, set = 'fsl_train'): number => curveOf(run, set).at(-1)?.loss ?? NaN;
/** Learning times of a data sweep's roles, with the verdict strings. */
const series = (e: Evidence, roles: string[]) => roles.map((x) => lt(e, x));
const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);
const ratio = (xs: number[]) => Math.max(...xs) / Math.min(...xs);

export const CLAIMS: ClaimDef[] = [
  {
    id: 1,
    group: GROUPS.setup,
    title: 'Untrained model: query loss ≈ 1.6–2.1 on fsl_train (L = 5)',
    needs: ['main'],
    figures: ['fig3a'],
    judge(e) {
      const first = curveOf(r(e, 'main'))[0];
      return { ok: first.seqs === 0 && first.loss >= 1.6 && first.loss <= 2.1, measured: `fsl_train loss at ${first.seqs} sequences: ${f3(first.loss)}`, numbers: { untrainedLoss: first.loss } };
    },
  },
  {
    id: 2,
    group: GROUPS.setup,
    title: 'Main run: plateau near ln 2 for ≥ 5×10⁴ sequences, then a drop to < 0.05 within 10⁶; held-out pairs and classes well below ln 2',
    needs: ['main'],
    figures: ['fig3a'],
    judge(e) {
      const c = curveOf(r(e, 'main'));
      const p = plateau(c);
      const fin = c.at(-1)!.loss;
      const rl = lastLoss(r(e, 'main'), 'fsl_val_rl');
      const tc = lastLoss(r(e, 'main'), 'fsl_test_class');
      return {
        ok: p.length >= 50_000 && fin < 0.05 && c.at(-1)!.seqs <= 1e6 && rl < LN2 / 2 && tc < LN2 / 2,
        measured: `plateau ${k(p.length)} (${k(p.from)}–${k(p.to)}); final fsl_train ${f4(fin)}; final fsl_val_rl ${f3(rl)}, fsl_test_class ${f3(tc)} (ln 2 = 0.693; "well below" read as < ln 2 / 2)`,
        numbers: { plateauSeqs: p.length, plateauFrom: p.from, plateauTo: p.to, finalTrain: fin, finalValRl: rl, finalTestClass: tc, learningTime: lt(e, 'main') },
      };
    },
  },
  {
    id: 3,
    group: GROUPS.setup,
    title: 'Final accuracy on the 78,400 training sequences ≥ 0.99',
    needs: ['main-analyses'],
    figures: [],
    judge(e) {
      const acc = e.main!.ablation.full.acc;
      return { ok: acc >= 0.99, measured: `accuracy ${f4(acc)} on the ${e.main!.denseSet}`, numbers: { acc } };
    },
  },
  {
    id: 4,
    group: GROUPS.setup,
    title: "Removing only Layer 1's direct path to the logits changes accuracy by < 0.5%",
    needs: ['main-analyses'],
    figures: [],
    judge(e) {
      const { full, noL1Direct } = e.main!.direct;
      const d = noL1Direct.acc - full.acc;
      return { ok: Math.abs(d) < 0.005, measured: `accuracy ${f4(full.acc)} → ${f4(noL1Direct.acc)} (Δ ${d.toFixed(4)})`, numbers: { acc: full.acc, accNoL1Direct: noL1Direct.acc, delta: d } };
    },
  },
  {
    id: 5,
    group: GROUPS.heads,
    title: '≥ 3 Layer-2 heads reach induction strength > 0.5, strengths are graded, and their rise coincides with the loss drop (±10⁵)',
    needs: ['main-analyses'],
    figures: ['fig3b'],
    judge(e) {
      const m = e.main!;
      const final = m.ablation.strength;
      const strong = HEADS.filter((h) => final[h] > 0.5);
      // A head's rise: the first checkpoint where its strength reaches half its final value.
      const rise = strong.map((h) => m.strengthCurve.find((p) => p.strength[h] >= final[h] / 2)?.seqs ?? NaN);
      const drop = lt(e, 'main');
      const off = rise.map((x) => Math.abs(x - drop));
      const graded = Math.max(...final) - Math.min(...final);
      return {
        ok: strong.length >= 3 && graded >= 0.2 && off.every((x) => x <= 1e5),
        measured: `final strengths ${final.map(f3).join(', ')}; ${strong.length} heads > 0.5 (${strong.map((h) => `${headLabel(1, h)}`).join(', ')}); spread ${f3(graded)}; they reach half their final strength at ${rise.map(k).join(', ')} vs learning time ${k(drop)} (largest gap ${k(Math.max(...off, 0))})`,
        numbers: { headsAboveHalf: strong.length, spread: graded, learningTime: drop, largestRiseGap: Math.max(...off, 0) },
      };
    },
  },
  {
    id: 6,
    group: GROUPS.heads,
    title: 'Ablating any single Layer-2 head at the end leaves accuracy ≥ 0.97',
    needs: ['main-analyses'],
    figures: ['fig4a'],
    judge(e) {
      const accs = e.main!.ablation.ablateOne.map((x) => x.acc);
      const min = Math.min(...accs);
      return { ok: min >= 0.97, measured: `accuracy with one head ablated: ${accs.map(f4).join(', ')} (min ${f4(min)}, ${headLabel(1, accs.indexOf(min))})`, numbers: { minAcc: min } };
    },
  },
  {
    id: 7,
    group: GROUPS.heads,
    title: "Keeping only one Layer-2 head: accuracy rises with its strength (rank correlation ≥ 0.7); the strongest alone reaches ≥ 0.9",
    needs: ['main-analyses'],
    figures: ['fig4a'],
    judge(e) {
      const a = e.main!.ablation;
      const accs = a.onlyOne.map((x) => x.acc);
      const rho = spearman(a.strength, accs);
      const strongest = a.strength.indexOf(Math.max(...a.strength));
      return {
        ok: rho >= 0.7 && accs[strongest] >= 0.9,
        measured: `only-head accuracy ${accs.map(f3).join(', ')}; Spearman ρ(strength, accuracy) = ${f3(rho)}; strongest head ${headLabel(1, strongest)} alone: ${f4(accs[strongest])}`,
        numbers: { spearman: rho, strongestHead: strongest, strongestAlone: accs[strongest] },
      };
    },
  },
  {
    id: 8,
    group: GROUPS.heads,
    title: 'Activating heads cumulatively in order of strength decreases loss monotonically (additivity)',
    needs: ['main-analyses'],
    figures: ['fig14'],
    judge(e) {
      const steps = e.main!.additivity.fromStrongest.steps.map((s) => s.loss);
      // Monotone up to float noise on losses of order 10⁻³.
      const ok = steps.every((x, i) => i === 0 || x <= steps[i - 1] + 1e-4);
      return { ok, measured: `loss with the k strongest heads active, k = 1..${steps.length}: ${steps.map(f4).join(', ')}`, numbers: { first: steps[0], last: steps.at(-1)! } };
    },
  },
  {
    id: 9,
    group: GROUPS.heads,
    title: 'Trained with only one Layer-2 head active, every head solves the task (loss < 0.1 by 10⁶), learning times differing up to ≈ 2×',
    needs: HEADS.map((h) => `only:${h}`),
    figures: ['fig4b'],
    judge(e) {
      const fin = HEADS.map((h) => lastLoss(r(e, `only:${h}`)));
      const times = HEADS.map((h) => lt(e, `only:${h}`));
      const rt = ratio(times);
      return {
        ok: fin.every((x) => x < 0.1) && rt <= 2 * APPROX,
        measured: `final loss ${fin.map(f3).join(', ')}; learning times ${times.map(k).join(', ')} (slowest/fastest ${rt.toFixed(2)}×)`,
        numbers: { worstFinalLoss: Math.max(...fin), slowestOverFastest: rt },
      };
    },
  },
  {
    id: 10,
    group: GROUPS.heads,
    title: 'Heads with a perfected match still differ in accuracy and err on different labels',
    needs: ['main-analyses'],
    figures: ['fig16'],
    judge(e) {
      const rows = e.main!.redundancyPerfect.rows;
      const accs = rows.map((x) => x.acc);
      const spread = Math.max(...accs) - Math.min(...accs);
      // The label each head gets wrong most often, among heads that make mistakes at all.
      const worst = rows.filter((x) => x.mistakes >= 5).map((x) => x.mistakesByTarget.indexOf(Math.max(...x.mistakesByTarget)));
      const distinct = new Set(worst).size;
      return {
        ok: spread >= 0.05 && distinct >= 2,
        measured: `perfected-match accuracy per head ${accs.map(f3).join(', ')} (spread ${f3(spread)}); most-missed label per head ${worst.join(', ')} (${distinct} distinct)`,
        numbers: { accSpread: spread, distinctWorstLabels: distinct },
      };
    },
  },
  {
    id: 11,
    group: GROUPS.wiring,
    title: 'Value-preserving ablation of the previous-token heads hurts (≳ 0.2) while pattern-preserving barely matters; the reverse for the other Layer-1 heads',
    needs: ['main-analyses'],
    figures: ['fig11'],
    judge(e) {
      const m = e.main!;
      const [pt, rest] = m.table1;
      const full = m.ablation.full.acc;
      const d = (x: number) => full - x;
      const ok = d(pt.valuePreserving) >= 0.2 * (1 / APPROX) && d(pt.patternPreserving) < 0.05 && d(rest.patternPreserving) >= 0.2 * (1 / APPROX) && d(rest.valuePreserving) < 0.05;
      return {
        ok,
        measured: `previous-token heads (score at labels ≥ half the best: L1 ${pt.heads.join(',')}): value-preserving ${f4(pt.valuePreserving)}, pattern-preserving ${f4(pt.patternPreserving)}; other heads (L1 ${rest.heads.join(',')}): value-preserving ${f4(rest.valuePreserving)}, pattern-preserving ${f4(rest.patternPreserving)}; unablated ${f4(full)}`,
        numbers: { ptValuePreserving: pt.valuePreserving, ptPatternPreserving: pt.patternPreserving, restValuePreserving: rest.valuePreserving, restPatternPreserving: rest.patternPreserving },
      };
    },
  },
  {
    id: 12,
    group: GROUPS.wiring,
    title: 'The wiring is many-to-many: some IH relies on several Layer-1 heads, and some Layer-1 head supports several IHs',
    needs: ['main-analyses'],
    figures: ['fig11'],
    judge(e) {
      const w = e.main!.wiring;
      // L1 head j supports L2 head i if ablating j (either preservation) costs the only-i model ≥ 1 point.
      const supports = (i: number, j: number) => Math.max(-w.Mpv[i][j], -w.Mpp[i][j]) >= 0.01;
      const perIh = HEADS.map((i) => HEADS.filter((j) => supports(i, j)).length);
      const perL1 = HEADS.map((j) => HEADS.filter((i) => supports(i, j)).length);
      return {
        ok: Math.max(...perIh) >= 2 && Math.max(...perL1) >= 2,
        measured: `Layer-1 heads supporting each L2 head (Δacc ≤ −0.01): ${perIh.join(', ')}; L2 heads each L1 head supports: ${perL1.join(', ')}`,
        numbers: { maxSupportersOfOneIh: Math.max(...perIh), maxIhsOfOneL1: Math.max(...perL1) },
      };
    },
  },
  {
    id: 13,
    group: GROUPS.sub,
    title: 'PT-attention clamp (step 1): still a plateau (≥ 5×10⁴), dropping no later than the unclamped single-head run',
    needs: ['fig5b:pt', 'fig5b:none'],
    figures: ['fig5b'],
    judge(e) {
      const p = plateau(curveOf(r(e, 'fig5b:pt')));
      const [pt, none] = [lt(e, 'fig5b:pt'), lt(e, 'fig5b:none')];
      return {
        ok: p.length >= 50_000 && pt <= none,
        measured: `PT clamp: plateau ${k(p.length)}, learning time ${k(pt)}; unclamped ${k(none)} (${k(none - pt)} earlier)`,
        numbers: { plateau: p.length, learningTime: pt, unclamped: none },
      };
    },
  },
  {
    id: 14,
    group: GROUPS.sub,
    title: 'Match clamp (only C learns): no plateau; loss < 0.1 within ≈ 5×10⁴',
    needs: ['fig5b:match'],
    figures: ['fig5b'],
    judge(e) {
      return noPlateauBelow(curveOf(r(e, 'fig5b:match')), 50_000);
    },
  },
  {
    id: 15,
    group: GROUPS.sub,
    title: 'Layer 1 + copy clamp (only B learns): no plateau; starts ≈ 0.7–0.8; < 0.1 within ≈ 5×10⁴',
    needs: ['fig5b:layer1-copy'],
    figures: ['fig5b'],
    judge(e) {
      const c = curveOf(r(e, 'fig5b:layer1-copy'));
      const v = noPlateauBelow(c, 50_000);
      const start = c[0].loss;
      return { ...v, ok: v.ok && start >= 0.6 && start <= 0.9, measured: `starts at ${f3(start)}; ${v.measured}`, numbers: { ...v.numbers, start } };
    },
  },
  {
    id: 16,
    group: GROUPS.sub,
    title: 'Layer-1 clamp (B + C learn) and copy clamp (A + B learn): at most a brief shoulder; both converge before the unclamped run leaves its plateau',
    needs: ['fig5b:layer1', 'fig5b:copy', 'fig5b:none'],
    figures: ['fig5b'],
    judge(e) {
      const none = plateau(curveOf(r(e, 'fig5b:none')));
      const [l1, cp] = ['fig5b:layer1', 'fig5b:copy'].map((x) => ({ p: plateau(curveOf(r(e, x))).length, t: lt(e, x) }));
      return {
        ok: l1.p < none.length / 2 && cp.p < none.length / 2 && l1.t <= none.to && cp.t <= none.to,
        measured: `unclamped plateau ${k(none.length)} (leaves it at ${k(none.to)}); Layer 1: shoulder ${k(l1.p)}, learned at ${k(l1.t)}; copy: shoulder ${k(cp.p)}, learned at ${k(cp.t)}`,
        numbers: { unclampedPlateau: none.length, unclampedLeaves: none.to, layer1Shoulder: l1.p, layer1Learned: l1.t, copyShoulder: cp.p, copyLearned: cp.t },
      };
    },
  },
  {
    id: 17,
    group: GROUPS.sub,
    title: 'Toy model: none → plateau then abrupt drop; clamp c → shorter plateau; clamp b,c → smooth decay from the start',
    needs: [],
    figures: ['fig5a'],
    judge(e) {
      // Before the loss first reaches 10% of its start: the plateau is the iterations where it moves by
      // less than 0.1% of the start per step, and the drop runs from the last of them to the 10% mark.
      const stats = (cond: string) => {
        const runs = e.toy.filter((t) => t.condition === cond);
        const one = (loss: number[]) => {
          const t10 = itersToFraction(loss, 0.1) ?? loss.length - 1;
          let slow = 0;
          let lastSlow = 0;
          for (let t = 0; t < t10; t++)
            if (Math.abs(loss[t + 1] - loss[t]) < 1e-3 * loss[0]) {
              slow++;
              lastSlow = t + 1;
            }
          return { plateau: slow, drop: t10 - lastSlow };
        };
        const each = runs.map((t) => one(t.loss));
        return { plateau: median(each.map((x) => x.plateau)), drop: median(each.map((x) => x.drop)) };
      };
      const [none, c, bc] = ['none', 'c', 'bc'].map(stats);
      return {
        ok: none.plateau >= 100 && none.drop < none.plateau && c.plateau < none.plateau && bc.plateau <= none.plateau / 20,
        measured: `median over toy seeds ${[...new Set(e.toy.map((t) => t.seed))].join(',')}: iterations on the plateau / in the drop — none ${none.plateau} / ${none.drop}, clamp c ${c.plateau} / ${c.drop}, clamp b,c ${bc.plateau} / ${bc.drop}`,
        numbers: { nonePlateau: none.plateau, noneDrop: none.drop, cPlateau: c.plateau, bcPlateau: bc.plateau },
      };
    },
  },
  {
    id: 18,
    group: GROUPS.sub,
    title: 'Eval-time progress measures on the unclamped run (PT-clamped loss, match-clamped loss) still show a plateau, unlike the clamped training curves',
    needs: ['fig10', 'fig5b:pt', 'fig5b:match'],
    figures: ['fig10'],
    judge(e) {
      const pts = e.fig10!.points;
      // A plateau here: the measure stays above the learned level (0.4·ln 2) for ≥ 5×10⁴ sequences, where
      // training with the match clamp itself is learned far sooner.
      const stay = (key: 'composite' | 'copy') => learningTime(pts.map((p) => ({ seqs: p.seqs, loss: p[key] })));
      const [comp, copy] = [stay('composite'), stay('copy')];
      const trainedMatch = lt(e, 'fig5b:match');
      const when = (x: { seqs: number; learned: boolean }) => (x.learned ? `falls below 0.4·ln 2 at ${k(x.seqs)}` : `stays above 0.4·ln 2 to the last checkpoint (${k(x.seqs)})`);
      return {
        ok: comp.seqs >= 50_000 && copy.seqs >= 50_000 && copy.seqs > APPROX * trainedMatch,
        measured: `on the unclamped run's checkpoints the PT-clamped loss ${when(comp)} and the match-clamped loss ${when(copy)}; training with the match clamp learns at ${k(trainedMatch)}`,
        numbers: { ptClampedEval: comp.seqs, matchClampedEval: copy.seqs, matchClampedTraining: trainedMatch },
      };
    },
  },
  {
    id: 19,
    group: GROUPS.data,
    title: '# labels 5 → 10 → 15 delays the phase change strongly and monotonically; subcircuit-C-only curves slow down, subcircuit-B-only curves are unchanged',
    needs: [...[5, 10, 15].map((l) => `fig6:normal:50:${l}`), 'fig5b:match', 'fig5b:layer1-copy', ...[10, 15].flatMap((l) => [`fig6:match:50:${l}`, `fig6:layer1-copy:50:${l}`])],
    figures: ['fig6'],
    judge(e) {
      const normal = series(e, [5, 10, 15].map((l) => `fig6:normal:50:${l}`));
      const c = series(e, ['fig5b:match', 'fig6:match:50:10', 'fig6:match:50:15']);
      const b = series(e, ['fig5b:layer1-copy', 'fig6:layer1-copy:50:10', 'fig6:layer1-copy:50:15']);
      return {
        ok: increasing(normal) && normal[2] / normal[0] >= 2 && increasing(c) && c[2] / c[0] >= APPROX && ratio(b) <= APPROX,
        measured: `learning times for 5/10/15 labels — normal ${normal.map(k).join(' / ')}; C only (match) ${c.map(k).join(' / ')}; B only (Layer 1 + copy) ${b.map(k).join(' / ')}`,
        numbers: { normal15over5: normal[2] / normal[0], c15over5: c[2] / c[0], bMaxOverMin: ratio(b) },
      };
    },
  },
  {
    id: 20,
    group: GROUPS.data,
    title: '# classes 50 → 100 → 200 delays the phase change modestly; subcircuit-B-only curves slow down, subcircuit-C-only curves are unchanged',
    needs: [...[50, 100, 200].map((c) => `fig6:normal:${c}:5`), 'fig5b:match', 'fig5b:layer1-copy', ...[100, 200].flatMap((c) => [`fig6:match:${c}:5`, `fig6:layer1-copy:${c}:5`])],
    figures: ['fig6'],
    judge(e) {
      const normal = series(e, [50, 100, 200].map((c) => `fig6:normal:${c}:5`));
      const b = series(e, ['fig5b:layer1-copy', 'fig6:layer1-copy:100:5', 'fig6:layer1-copy:200:5']);
      const c = series(e, ['fig5b:match', 'fig6:match:100:5', 'fig6:match:200:5']);
      const modest = normal[2] / normal[0];
      return {
        ok: normal[2] > normal[0] && modest < 2 && b[2] > b[0] && ratio(c) <= APPROX,
        measured: `learning times for 50/100/200 classes — normal ${normal.map(k).join(' / ')} (${modest.toFixed(2)}×); B only (Layer 1 + copy) ${b.map(k).join(' / ')}; C only (match) ${c.map(k).join(' / ')}`,
        numbers: { normal200over50: modest, b200over50: b[2] / b[0], cMaxOverMin: ratio(c) },
      };
    },
  },
  {
    id: 21,
    group: GROUPS.other,
    title: 'Clamping all eight Layer-1 heads to previous-token attention slows learning; clamping the true PT heads speeds it up',
    needs: ['fig8:all', 'fig8:ptgroup', 'fig5b:none'],
    figures: ['fig8'],
    judge(e) {
      const [all, pt, none] = [lt(e, 'fig8:all'), lt(e, 'fig8:ptgroup'), lt(e, 'fig5b:none')];
      const ptHeads = e.main?.ptHeads;
      return {
        ok: all > none && pt < none,
        measured: `learning time: all eight clamped ${k(all)}, the previous-token group clamped ${k(pt)}, unclamped ${k(none)}${ptHeads ? ` (Table 1's group on the dense set: L1 ${ptHeads.join(',')})` : ''}`,
        numbers: { allEight: all, ptGroup: pt, unclamped: none },
      };
    },
  },
  {
    id: 22,
    group: GROUPS.other,
    title: 'A frozen Layer 1 grafted from the same seed removes the plateau and learns fastest (starts ≈ ln 2); from another seed no plateau but much slower',
    needs: ['graft:5', 'graft:6', 'graft:7', 'main'],
    figures: ['fig7'],
    judge(e) {
      const g = [5, 6, 7].map((s) => curveOf(r(e, `graft:${s}`)));
      const t = [5, 6, 7].map((s) => lt(e, `graft:${s}`));
      const pl = g.map((c) => plateau(c).length);
      const starts = g.map((c) => c[0].loss);
      const main = lt(e, 'main');
      const ok =
        pl.every((p) => p < NO_PLATEAU) && starts[0] >= LN2 - 0.2 && starts[0] <= LN2 + 0.2 && t[0] < Math.min(t[1], t[2], main) && Math.min(t[1], t[2]) >= 2 * t[0];
      return {
        ok,
        measured: `grafts from seeds 5/6/7: start ${starts.map(f3).join(' / ')}, plateau ${pl.map(k).join(' / ')}, learning time ${t.map(k).join(' / ')}; standard training (seed 5) ${k(main)}`,
        numbers: { sameSeed: t[0], otherSeed6: t[1], otherSeed7: t[2], sameSeedStart: starts[0], standard: main },
      };
    },
  },
  {
    id: 23,
    group: GROUPS.other,
    title: 'Match-clamp strength sweep: every strength fits train; 2s − 1 < 0 fails on held-out pairs (> ln 2), 2s − 1 > 0 generalizes, better with larger s; s ≈ 0.5 shows the plateau',
    needs: Array.from({ length: 16 }, (_, i) => `fig15:${i}`),
    figures: ['fig15'],
    judge(e) {
      const s = Array.from({ length: 16 }, (_, i) => 1 - i / 15);
      const runs = s.map((_, i) => r(e, `fig15:${i}`));
      const train = runs.map((x) => lastLoss(x));
      const rl = runs.map((x) => lastLoss(x, 'fsl_val_rl'));
      const times = runs.map((x) => learnTime(x).seqs);
      const pos = s.flatMap((x, i) => (x > 0.5 ? [i] : []));
      const neg = s.flatMap((x, i) => (x < 0.5 ? [i] : []));
      const rho = spearman(pos.map((i) => s[i]), pos.map((i) => rl[i]));
      const slowest = times.indexOf(Math.max(...times));
      const middle = [7, 8]; // s = 8/15 and 7/15, the two closest to 0.5
      return {
        ok: train.every((x) => x < 0.1) && neg.every((i) => rl[i] > LN2) && pos.every((i) => rl[i] < LN2) && rho <= -0.7 && middle.includes(slowest),
        measured: `final fsl_train loss ≤ ${f3(Math.max(...train))}; final fsl_val_rl for s = 1 … 0: ${rl.map(f3).join(', ')}; ρ(s, val_rl loss | s > 0.5) = ${f3(rho)}; slowest to fit: s = ${s[slowest].toFixed(3)} (${k(times[slowest])})`,
        numbers: { worstTrain: Math.max(...train), spearmanPositive: rho, slowestStrength: s[slowest] },
      };
    },
  },
];

/** "< 0.1 within ≈ bound, no plateau" for claims 14 and 15. */
function noPlateauBelow(c: Point[], bound: number): Verdict {
  const p = plateau(c);
  const below = c.find((x) => x.loss < 0.1)?.seqs ?? Infinity;
  return {
    ok: p.length < NO_PLATEAU && below <= APPROX * bound,
    measured: `plateau ${k(p.length)}; loss < 0.1 from ${Number.isFinite(below) ? k(below) : 'never'}`,
    numbers: { plateau: p.length, below01: Number.isFinite(below) ? below : null },
  };
}

/** Roles whose config depends on the clamped heads. */
export const CLAMP_ROLE = /^(fig5b|fig6|fig8|fig15):/;

export type HeadsChoice = 'paper' | 'data';

/**
 * The evidence as seen with one choice of clamped heads: head-independent runs, plus the clamp runs on
 * seed 5's heads ('paper') or on this data's ('data'). A claim never mixes the two.
 */
export function evidenceView(e: Evidence, choice: HeadsChoice): Evidence {
  if (choice === 'paper') return e;
  const shared = Object.fromEntries(Object.entries(e.runs).filter(([role]) => !CLAMP_ROLE.test(role)));
  return { ...e, runs: { ...shared, ...e.dataRuns }, fig10: e.fig10Data };
}

function describeHeads(e: Evidence, choice: HeadsChoice): string {
  const h = choice === 'data' ? e.heads.data! : e.heads.paper;
  return `${choice === 'data' ? "this data's heads, from its main run" : "seed 5's heads (the paper's)"}: IH ${h.ih}, PT ${h.pt}, group {${h.ptGroup.join(', ')}}`;
}

/**
 * Judge every claim on `e`; `runsDir` goes into the commands for missing runs. A claim that reads clamp
 * runs is judged on this data's heads when all its runs exist with them (pitfall 10), else on seed 5's;
 * when both sets are complete the other verdict is added to the measured text.
 */
export function judgeClaims(e: Evidence, runsDir = e.runsDir): ClaimResult[] {
  return CLAIMS.map((c) => {
    const base = { id: c.id, title: c.title, group: c.group, figures: c.figures };
    const dependent = c.needs.some((n) => n === 'fig10' || CLAMP_ROLE.test(n));
    const choices: HeadsChoice[] = dependent && e.heads.data ? ['data', 'paper'] : ['paper'];
    const complete = choices.filter((ch) => c.needs.every((n) => available(evidenceView(e, ch), n)));
    if (!complete.length) return { ...base, ...missingResult(c, evidenceView(e, choices[0]), runsDir, choices[0] === 'data') };
    const judged = complete.map((ch) => ({ ch, view: evidenceView(e, ch), v: c.judge(evidenceView(e, ch)) }));
    const [primary, other] = judged;
    const note = dependent ? ` [${describeHeads(e, primary.ch)}]` : '';
    const alt = other ? ` · with ${describeHeads(e, other.ch)}: ${other.v.ok ? 'pass' : 'fail'}, ${other.v.measured}` : '';
    return {
      ...base,
      runs: runsRead(c, primary.view),
      status: (primary.v.ok ? 'pass' : 'fail') as ClaimStatus,
      measured: primary.v.measured + note + alt,
      numbers: primary.v.numbers,
      commands: [],
    };
  });
}

/** Run IDs a claim read in a view. */
function runsRead(c: ClaimDef, e: Evidence): string[] {
  const ids = c.needs.flatMap((n) => (n === 'main-analyses' ? (e.main ? [e.main.run] : []) : n === 'fig10' ? (e.fig10 ? [e.fig10.run] : []) : e.runs[n] ? [e.runs[n].id] : []));
  return [...new Set(ids)];
}

/** A `missing` verdict: which runs are absent or unfinished in `e`, and the commands that train them. */
function missingResult(c: ClaimDef, e: Evidence, runsDir: string, headsFromMain: boolean) {
  const absent: string[] = [];
  const reasons: string[] = [];
  const commands = new Set<string>();
  for (const need of c.needs.filter((n) => !available(e, n))) {
    const role = need === 'main-analyses' ? 'main' : need === 'fig10' ? 'fig5b:none' : need;
    const run = e.runs[role];
    if (run?.status === 'finished') {
      // The run is there; only its analyses are not (gathered with analyses off).
      reasons.push(`the analyses of ${run.id} were skipped (--no-analyses)`);
      commands.add(`opto report --runs ${runsDir}${dataFlags(e.data)}`);
      continue;
    }
    if (run) reasons.push(`unfinished: ${role} (${run.id}, ${k(run.seqs)} of ${k(run.totalSeqs)})`);
    else absent.push(role);
    // With the main run done, clamp runs should use its heads (pitfall 10).
    const headsFrom = headsFromMain && CLAMP_ROLE.test(role) && e.runs.main ? ` --heads-from ${path.join(runsDir, e.runs.main.id)}` : '';
    commands.add(`opto sweep ${presetForRole(role)} --runs ${runsDir} --resume${dataFlags(e.data)}${headsFrom}`);
  }
  if (absent.length) reasons.unshift(`no finished run for ${absent.join(', ')}`);
  return { status: 'missing' as ClaimStatus, runs: runsRead(c, e), measured: reasons.join('; '), numbers: {}, commands: [...commands] };
}

/** Is the evidence `need` present (a finished run, or the named analyses)? */
function available(e: Evidence, need: string): boolean {
  if (need === 'main-analyses') return e.main !== undefined;
  if (need === 'fig10') return e.fig10 !== undefined;
  const run = e.runs[need];
  return run !== undefined && run.status === 'finished';
}
