/** App. Fig. 7 (grafting a frozen trained Layer 1): checklist claim 22. */
import { APPROX, curveOf, LN2, NO_PLATEAU, plateau } from '../curves.js';
import { f3, k } from '../format.js';
import { GROUPS, lt, run, type ClaimDef } from '../claim.js';

/** Lower end of the checklist's untrained loss (claim 1): "starts near the untrained loss". */
const UNTRAINED_LOW = 1.6;

export const FIG7_CLAIMS: ClaimDef[] = [
  {
    // "Grafting a frozen trained Layer 1 from the same seed removes the plateau and learns fastest (loss
    // starts ≈ ln 2); from a different seed, learning has no plateau but is much slower than the same-seed
    // graft (it starts near the untrained loss and ends up comparable in time to standard training)."
    // Much slower: ≥ 2×; comparable in time: within a factor 1.5 of standard training.
    id: 22,
    group: GROUPS.other,
    title: 'A frozen Layer 1 grafted from the same seed removes the plateau and learns fastest (starts ≈ ln 2); from another seed no plateau, starts near the untrained loss, much slower, comparable in time to standard training',
    needs: ['graft:5', 'graft:6', 'graft:7', 'main'],
    figures: ['fig7'],
    judge(e) {
      const g = [5, 6, 7].map((s) => curveOf(run(e, `graft:${s}`)));
      const t = [5, 6, 7].map((s) => lt(e, `graft:${s}`));
      const pl = g.map((c) => plateau(c).length);
      const starts = g.map((c) => c[0].loss);
      const main = lt(e, 'main');
      const others = [t[1], t[2]];
      const comparable = others.every((x) => x / main <= APPROX && main / x <= APPROX);
      const ok =
        pl.every((p) => p < NO_PLATEAU) &&
        starts[0] >= LN2 - 0.2 &&
        starts[0] <= LN2 + 0.2 &&
        starts[1] >= UNTRAINED_LOW &&
        starts[2] >= UNTRAINED_LOW &&
        t[0] < Math.min(...others, main) &&
        Math.min(...others) >= 2 * t[0] &&
        comparable;
      return {
        ok,
        measured: `grafts from seeds 5/6/7: start ${starts.map(f3).join(' / ')}, plateau ${pl.map(k).join(' / ')}, learning time ${t.map(k).join(' / ')}; standard training (seed 5) ${k(main)} (other-seed grafts at ${others.map((x) => (x / main).toFixed(2)).join(' / ')}× of it)`,
        numbers: { sameSeed: t[0], otherSeed6: t[1], otherSeed7: t[2], sameSeedStart: starts[0], standard: main },
      };
    },
  },
];
