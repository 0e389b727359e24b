/** Fig. 5b (single L2 head active, subcircuit clamps) and App. Fig. 10: checklist claims 13-16 and 18. */
import { APPROX, curveOf, learnTime, learningTimeOf, LONG_PLATEAU, NO_PLATEAU, onPlateauAtEnd, plateau, settledBelow, type Point } from '../curves.js';
import { learningTime } from '../../metrics.js';
import { f3, k } from '../format.js';
import { GROUPS, run, type ClaimDef, type Verdict } from '../claim.js';

interface Drop {
  /** The curve has entered its drop before its last eval. */
  dropped: boolean;
  /** Where it leaves its plateau (its last plateau eval), or where it learned if it had none; else its last eval. */
  at: number;
  /** Its plateau's length (0: none). */
  plateau: number;
}

/** When a curve's drop comes: where it leaves its plateau, or its learning time if it has none; still to come at its end otherwise. */
function dropOf(c: Point[]): Drop {
  const p = plateau(c);
  const end = c.at(-1)?.seqs ?? 0;
  if (p.length > 0) return onPlateauAtEnd(c) ? { dropped: false, at: end, plateau: p.length } : { dropped: true, at: p.to, plateau: p.length };
  const t = learningTime(c);
  return { dropped: t.learned, at: t.seqs, plateau: 0 };
}

/** "solves / < 0.1": the loss level claims 14-16 call converged. */
const CONVERGED = 0.1;

/** "< 0.1 within ≈ bound, no plateau" for claims 14 and 15. */
function noPlateauBelow(c: Point[], bound: number): Verdict {
  const p = plateau(c);
  const below = c.find((x) => x.loss < CONVERGED)?.seqs ?? Infinity;
  return {
    ok: p.length < NO_PLATEAU && below <= APPROX * bound,
    measured: `plateau ${k(p.length)}; loss < 0.1 from ${Number.isFinite(below) ? k(below) : 'never'}`,
    numbers: { plateau: p.length, below01: Number.isFinite(below) ? below : null },
  };
}

export const FIG5B_CLAIMS: ClaimDef[] = [
  {
    // "Clamping only the PT attention pattern (step 1) still shows a plateau (≥ 5×10⁴ sequences); its drop
    // comes no later than (for seed 5: ≈10⁵ earlier than) the unclamped single-head run." The drop comes
    // where the curve leaves its plateau (`dropOf`), so a run that has entered its drop before a shorter
    // run's end decides the order while the other is still on its plateau.
    id: 13,
    group: GROUPS.sub,
    title: 'PT-attention clamp (step 1): still a plateau (≥ 5×10⁴), dropping no later than the unclamped single-head run',
    needs: ['fig5b:pt', 'fig5b:none'],
    figures: ['fig5b'],
    // A run of 2×10⁵ shows the PT-clamped plateau (≈ 5×10⁴ to 1.5×10⁵ here) and, where the PT-clamped
    // run has left it while the unclamped one is still on its own, the order of the drops.
    window: { 'fig5b:pt': 200_000, 'fig5b:none': 200_000 },
    judge(e) {
      const [ptRun, noneRun] = [run(e, 'fig5b:pt'), run(e, 'fig5b:none')];
      const p = plateau(curveOf(ptRun));
      const [pt, none] = [dropOf(curveOf(ptRun)), dropOf(curveOf(noneRun))];
      // Each part is true, false, or open (a longer run decides it).
      const longPlateau = p.length >= LONG_PLATEAU ? true : pt.dropped ? false : undefined;
      const noLater =
        pt.dropped && none.dropped ? pt.at <= none.at : pt.dropped ? (none.at >= pt.at ? true : undefined) : none.dropped ? (pt.at >= none.at ? false : undefined) : undefined;
      const parts = [longPlateau, noLater];
      const [ptLt, noneLt] = [learnTime(ptRun), learnTime(noneRun)];
      const drop = (d: Drop) => (d.dropped ? `leaves it at ${k(d.at)}` : `still on it at ${k(d.at)}`);
      const learned = (t: { seqs: number; learned: boolean }) => (t.learned ? `learns at ${k(t.seqs)}` : `not learned by ${k(t.seqs)}`);
      return {
        ok: parts.every((x) => x === true),
        undecided: !parts.includes(false) && parts.includes(undefined),
        measured:
          `PT clamp: plateau ${k(p.length)} (${k(p.from)}–${k(p.to)}, median loss ${f3(p.level)}), ${drop(pt)}, ${learned(ptLt)}; ` +
          `unclamped: ${none.plateau > 0 ? `plateau ${k(none.plateau)}, ${drop(none)}` : 'no plateau'}, ${learned(noneLt)}` +
          (pt.dropped && none.dropped ? ` (the PT-clamped drop ${k(Math.abs(none.at - pt.at))} ${none.at >= pt.at ? 'earlier' : 'later'})` : ''),
        numbers: {
          plateau: p.length,
          ptDrop: pt.dropped ? pt.at : null,
          unclampedDrop: none.dropped ? none.at : null,
          learningTime: ptLt.seqs,
          unclamped: noneLt.seqs,
        },
      };
    },
  },
  {
    // "Match clamp (only C learns): no plateau; loss < 0.1 within ≈ 5×10⁴ sequences."
    id: 14,
    group: GROUPS.sub,
    title: 'Match clamp (only C learns): no plateau; loss < 0.1 within ≈ 5×10⁴',
    needs: ['fig5b:match'],
    figures: ['fig5b'],
    window: { 'fig5b:match': 100_000 },
    judge(e) {
      return noPlateauBelow(curveOf(run(e, 'fig5b:match')), 50_000);
    },
  },
  {
    // "Layer-1 + copy clamp (only B learns): no plateau; starts ≈ 0.7–0.8, < 0.1 within ≈ 5×10⁴."
    id: 15,
    group: GROUPS.sub,
    title: 'Layer 1 + copy clamp (only B learns): no plateau; starts ≈ 0.7–0.8; < 0.1 within ≈ 5×10⁴',
    needs: ['fig5b:layer1-copy'],
    figures: ['fig5b'],
    window: { 'fig5b:layer1-copy': 100_000 },
    judge(e) {
      const c = curveOf(run(e, 'fig5b:layer1-copy'));
      const v = noPlateauBelow(c, 50_000);
      const start = c[0].loss;
      return { ...v, ok: v.ok && start >= 0.6 && start <= 0.9, measured: `starts at ${f3(start)}; ${v.measured}`, numbers: { ...v.numbers, start } };
    },
  },
  {
    // "Layer-1 clamp (B + C learn) and copy clamp (A + B learn): at most a brief shoulder, far shorter than
    // the unclamped plateau; both converge before the unclamped run leaves its plateau." Converge: the
    // loss is below 0.1 from then on to the end of the run.
    id: 16,
    group: GROUPS.sub,
    title: 'Layer-1 clamp (B + C learn) and copy clamp (A + B learn): at most a brief shoulder; both converge (< 0.1 to the end) before the unclamped run leaves its plateau',
    needs: ['fig5b:layer1', 'fig5b:copy', 'fig5b:none'],
    figures: ['fig5b'],
    // Where the unclamped run is still on its plateau at a shorter run's end, it leaves it later still; a
    // clamped run not yet below 0.1 at its end, before the unclamped run has left its plateau, leaves the
    // claim open (undecided, so missing) rather than failed.
    window: { 'fig5b:layer1': 100_000, 'fig5b:copy': 100_000, 'fig5b:none': 100_000 },
    judge(e) {
      const noneCurve = curveOf(run(e, 'fig5b:none'));
      const none = plateau(noneCurve);
      const leaves = dropOf(noneCurve);
      // Each part is true, false, or open (undefined: a longer run decides it).
      const [l1, cp] = ['fig5b:layer1', 'fig5b:copy'].map((x) => {
        const c = curveOf(run(e, x));
        const t = settledBelow(c, CONVERGED);
        const end = c.at(-1)?.seqs ?? 0;
        const p = plateau(c).length;
        // Before the unclamped run leaves its plateau: decided once this run converged (by then, or after
        // the unclamped run left), or reached past where the unclamped run left without converging.
        const beforeNone = Number.isFinite(t) ? (t <= leaves.at ? true : leaves.dropped ? false : undefined) : leaves.dropped && end >= leaves.at ? false : undefined;
        // A shoulder under half the unclamped plateau, which can only grow while the run is still on it.
        const brief = p < none.length / 2 ? true : leaves.dropped ? false : undefined;
        return { p, t, parts: [brief, beforeNone] };
      });
      const parts = [none.length > 0 ? true : leaves.dropped ? false : undefined, ...l1.parts, ...cp.parts];
      const at = (t: number) => (Number.isFinite(t) ? k(t) : 'never');
      return {
        ok: parts.every((x) => x === true),
        undecided: !parts.includes(false) && parts.includes(undefined),
        measured: `unclamped plateau ${k(none.length)} (${leaves.dropped ? 'leaves it at' : 'still on it at'} ${k(leaves.at)}); Layer 1: shoulder ${k(l1.p)}, < 0.1 from ${at(l1.t)}; copy: shoulder ${k(cp.p)}, < 0.1 from ${at(cp.t)}`,
        numbers: { unclampedPlateau: none.length, unclampedLeaves: leaves.dropped ? leaves.at : null, layer1Shoulder: l1.p, layer1Converged: Number.isFinite(l1.t) ? l1.t : null, copyShoulder: cp.p, copyConverged: Number.isFinite(cp.t) ? cp.t : null },
      };
    },
  },
  {
    // "Eval-time progress measures on the unclamped trajectory (PT-clamped loss, match-clamped loss) still
    // show a plateau, unlike the corresponding clamped training curves." Both measures have a plateau
    // (≥ 5×10⁴); match-clamped training has none (< 2.5×10⁴), and the PT-clamped measure stays on its
    // plateau past the point where PT-clamped training leaves its own.
    id: 18,
    group: GROUPS.sub,
    title: 'Eval-time progress measures on the unclamped run (PT-clamped loss, match-clamped loss) still show a plateau, unlike the clamped training curves',
    needs: ['fig10', 'fig5b:pt', 'fig5b:match'],
    figures: ['fig10'],
    judge(e) {
      const pts = e.fig10!.points;
      const measure = (key: 'composite' | 'copy') => plateau(pts.map((p) => ({ seqs: p.seqs, loss: p[key] })));
      const [comp, copy] = [measure('composite'), measure('copy')];
      const ptTrain = plateau(curveOf(run(e, 'fig5b:pt')));
      const matchTrain = plateau(curveOf(run(e, 'fig5b:match')));
      const span = (p: { length: number; from: number; to: number }) => (p.length > 0 ? `${k(p.length)} (${k(p.from)}–${k(p.to)})` : 'none');
      return {
        ok: comp.length >= LONG_PLATEAU && copy.length >= LONG_PLATEAU && matchTrain.length < NO_PLATEAU && comp.to > ptTrain.to,
        measured: `on the unclamped run's checkpoints: PT-clamped loss plateau ${span(comp)}, match-clamped loss plateau ${span(copy)}; training with the PT clamp: plateau ${span(ptTrain)}, with the match clamp: ${span(matchTrain)} (match-clamped training learns at ${k(learningTimeOf(curveOf(run(e, 'fig5b:match'))))})`,
        numbers: { ptClampedEvalPlateau: comp.length, ptClampedEvalLeaves: comp.to, matchClampedEvalPlateau: copy.length, ptClampedTrainingLeaves: ptTrain.to, matchClampedTrainingPlateau: matchTrain.length },
      };
    },
  },
];
