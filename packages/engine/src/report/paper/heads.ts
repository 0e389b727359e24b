/** Fig. 3b, 4a, 4b, 14 and 16: checklist claims 5-10 (induction heads: diversity, additivity, redundancy). */
import { APPROX, lastLoss, ratio, spearman } from '../curves.js';
import { f3, f4, k, l2Head } from '../format.js';
import { GROUPS, HEADS, lt, run, type ClaimDef } from '../claim.js';

export const HEADS_CLAIMS: ClaimDef[] = [
  {
    // "Several (≥ 3) Layer-2 heads reach induction strength > 0.5 by the end; strengths are graded, and
    // their rise coincides in time with the loss drop (within ±10⁵ sequences)."
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
        measured: `final strengths ${final.map(f3).join(', ')}; ${strong.length} heads > 0.5 (${strong.map(l2Head).join(', ')}); spread ${f3(graded)}; they reach half their final strength at ${rise.map(k).join(', ')} vs learning time ${k(drop)} (largest gap ${k(Math.max(...off, 0))})`,
        numbers: { headsAboveHalf: strong.length, spread: graded, learningTime: drop, largestRiseGap: Math.max(...off, 0) },
      };
    },
  },
  {
    // "Ablating any single Layer-2 head at the end leaves accuracy ≥ 0.97 (typically ≈ 1.0)." Read on the
    // full dense set.
    id: 6,
    group: GROUPS.heads,
    title: 'Ablating any single Layer-2 head at the end leaves accuracy ≥ 0.97',
    needs: ['main-analyses'],
    figures: ['fig4a'],
    judge(e) {
      const accs = e.main!.fullSet.ablateOne.map((x) => x.acc);
      const min = Math.min(...accs);
      return { ok: min >= 0.97, measured: `accuracy with one head ablated: ${accs.map(f4).join(', ')} (min ${f4(min)}, ${l2Head(accs.indexOf(min))}) on the ${e.main!.fullSet.denseSet}`, numbers: { minAcc: min } };
    },
  },
  {
    // "Keeping only one Layer-2 head: accuracy increases with that head's induction strength (rank
    // correlation ≥ 0.7 across the 8 heads); the strongest head alone reaches ≥ 0.9 accuracy."
    id: 7,
    group: GROUPS.heads,
    title: 'Keeping only one Layer-2 head: accuracy rises with its strength (rank correlation ≥ 0.7); the strongest alone reaches ≥ 0.9',
    needs: ['main-analyses'],
    figures: ['fig4a'],
    judge(e) {
      const a = e.main!.ablation;
      const accs = a.onlyOne.map((x) => x.acc);
      const rho = spearman(a.strength, accs);
      const strongest = a.strength.indexOf(Math.max(...a.strength));
      return {
        ok: rho >= 0.7 && accs[strongest] >= 0.9,
        measured: `only-head accuracy ${accs.map(f3).join(', ')}; Spearman ρ(strength, accuracy) = ${f3(rho)}; strongest head ${l2Head(strongest)} alone: ${f4(accs[strongest])}`,
        numbers: { spearman: rho, strongestHead: strongest, strongestAlone: accs[strongest] },
      };
    },
  },
  {
    // "Activating heads cumulatively in order of strength decreases loss monotonically (additivity)."
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
    // "Training with only one Layer-2 head active (others ablated throughout), every head eventually solves
    // the task (loss < 0.1 by 10⁶ sequences), with learning times differing by up to ≈ 2×."
    // "Differing by up to ≈ 2×": slowest/fastest ≈ 2, i.e. within [2/1.5, 2·1.5]: equal times fail.
    id: 9,
    group: GROUPS.heads,
    title: 'Trained with only one Layer-2 head active, every head solves the task (loss < 0.1 by 10⁶), learning times differing by up to ≈ 2× (slowest/fastest in [1.33, 3])',
    needs: HEADS.map((h) => `only:${h}`),
    figures: ['fig4b'],
    judge(e) {
      const fin = HEADS.map((h) => lastLoss(run(e, `only:${h}`)));
      const times = HEADS.map((h) => lt(e, `only:${h}`));
      const rt = ratio(times);
      return {
        ok: fin.every((x) => x < 0.1) && rt >= 2 / APPROX && rt <= 2 * APPROX,
        measured: `final loss ${fin.map(f3).join(', ')}; learning times ${times.map(k).join(', ')} (slowest/fastest ${rt.toFixed(2)}×; asked ≈ 2×: ${(2 / APPROX).toFixed(2)}–${(2 * APPROX).toFixed(2)})`,
        numbers: { worstFinalLoss: Math.max(...fin), slowestOverFastest: rt },
      };
    },
  },
  {
    // "Heads with a perfected match still differ in accuracy and err on different labels (copy circuits
    // are label-specific and complementary)."
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
];
