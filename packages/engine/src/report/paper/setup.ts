/** Fig. 3a and the final model: checklist claims 1-4 (setup-level). */
import { curveOf, lastLoss, LN2, plateau, LONG_PLATEAU, learnTime } from '../curves.js';
import { f3, f4, k } from '../format.js';
import { GROUPS, run, type ClaimDef } from '../claim.js';

/** "a plateau near ln 2 (≈0.7–0.8)": the plateau's median loss, with 0.05 either side for "≈". */
export const PLATEAU_LEVEL: [number, number] = [0.65, 0.85];

export const SETUP_CLAIMS: ClaimDef[] = [
  {
    // "Untrained model: query loss ≈ 1.6–2.1 on fsl_train (L=5)."
    id: 1,
    group: GROUPS.setup,
    title: 'Untrained model: query loss ≈ 1.6–2.1 on fsl_train (L = 5)',
    needs: ['main'],
    figures: ['fig3a'],
    judge(e) {
      const first = curveOf(run(e, 'main'))[0];
      return { ok: first.seqs === 0 && first.loss >= 1.6 && first.loss <= 2.1, measured: `fsl_train loss at ${first.seqs} sequences: ${f3(first.loss)}`, numbers: { untrainedLoss: first.loss } };
    },
  },
  {
    // "Main run (50 classes, L=5): loss falls quickly to a plateau near ln 2 (≈0.7–0.8), stays there for
    // ≥ 5×10⁴ sequences, then drops sigmoidally to < 0.05 within 10⁶ sequences; fsl_val_rl and
    // fsl_test_class also fall well below ln 2."
    id: 2,
    group: GROUPS.setup,
    title: 'Main run: plateau near ln 2 (≈ 0.7–0.8) for ≥ 5×10⁴ sequences, then a drop to < 0.05 within 10⁶; held-out pairs and classes well below ln 2',
    needs: ['main'],
    figures: ['fig3a'],
    judge(e) {
      const c = curveOf(run(e, 'main'));
      const p = plateau(c);
      const below = c.find((x) => x.seqs > p.to && x.loss < 0.05)?.seqs ?? Infinity;
      const rl = lastLoss(run(e, 'main'), 'fsl_val_rl');
      const tc = lastLoss(run(e, 'main'), 'fsl_test_class');
      const near = p.level >= PLATEAU_LEVEL[0] && p.level <= PLATEAU_LEVEL[1];
      return {
        ok: p.length >= LONG_PLATEAU && near && below <= 1e6 && rl < LN2 / 2 && tc < LN2 / 2,
        measured: `plateau ${k(p.length)} (${k(p.from)}–${k(p.to)}) at median loss ${f3(p.level)} (asked: ${PLATEAU_LEVEL.join('–')}); fsl_train < 0.05 from ${Number.isFinite(below) ? k(below) : 'never'}; final fsl_val_rl ${f3(rl)}, fsl_test_class ${f3(tc)} (ln 2 = 0.693; "well below" read as < ln 2 / 2)`,
        numbers: { plateauSeqs: p.length, plateauFrom: p.from, plateauTo: p.to, plateauLevel: p.level, below005: Number.isFinite(below) ? below : null, finalValRl: rl, finalTestClass: tc, learningTime: learnTime(run(e, 'main')).seqs },
      };
    },
  },
  {
    // "At the end, accuracy on the 78,400 training sequences ≥ 0.99." Read on the full dense set.
    id: 3,
    group: GROUPS.setup,
    title: 'Final accuracy on the 78,400 training sequences ≥ 0.99',
    needs: ['main-analyses'],
    figures: [],
    judge(e) {
      const { full, denseSet } = e.main!.fullSet;
      return { ok: full.acc >= 0.99, measured: `accuracy ${f4(full.acc)} on the ${denseSet}`, numbers: { acc: full.acc } };
    },
  },
  {
    // "Removing only Layer 1's direct path to the logits (patterns and values preserved) changes accuracy
    // by < 0.5%." Read on the full dense set.
    id: 4,
    group: GROUPS.setup,
    title: "Removing only Layer 1's direct path to the logits changes accuracy by < 0.5%",
    needs: ['main-analyses'],
    figures: [],
    judge(e) {
      const { full, noL1Direct, denseSet } = e.main!.fullSet;
      const d = noL1Direct.acc - full.acc;
      return { ok: Math.abs(d) < 0.005, measured: `accuracy ${f4(full.acc)} → ${f4(noL1Direct.acc)} (Δ ${d.toFixed(4)}) on the ${denseSet}`, numbers: { acc: full.acc, accNoL1Direct: noL1Direct.acc, delta: d } };
    },
  },
];
