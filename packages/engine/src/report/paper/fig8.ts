/** App. Fig. 8 (previous-token attention clamps on Layer 1): checklist claim 21. */
import { SPEED_MARGIN } from '../curves.js';
import { k } from '../format.js';
import { GROUPS, lt, type ClaimDef } from '../claim.js';

export const FIG8_CLAIMS: ClaimDef[] = [
  {
    // "Clamping all eight Layer-1 heads to previous-token attention slows learning versus standard
    // training; clamping the true PT heads ({1,2,5} for seed 5, or their analogue) speeds it up." Slows /
    // speeds up: learning time at least 1.2× later / earlier than the unclamped run.
    id: 21,
    group: GROUPS.other,
    title: 'Clamping all eight Layer-1 heads to previous-token attention slows learning (≥ 1.2× later); clamping the true PT heads speeds it up (≥ 1.2× earlier)',
    needs: ['fig8:all', 'fig8:ptgroup', 'fig5b:none'],
    figures: ['fig8'],
    judge(e) {
      const [all, pt, none] = [lt(e, 'fig8:all'), lt(e, 'fig8:ptgroup'), lt(e, 'fig5b:none')];
      const ptHeads = e.main?.ptHeads;
      return {
        ok: all >= SPEED_MARGIN * none && pt * SPEED_MARGIN <= none,
        measured: `learning time: all eight clamped ${k(all)} (${(all / none).toFixed(2)}× unclamped), the previous-token group clamped ${k(pt)} (${(pt / none).toFixed(2)}×), unclamped ${k(none)}${ptHeads ? ` (Table 1's group on the dense set: L1 ${ptHeads.join(',')})` : ''}`,
        numbers: { allEight: all, ptGroup: pt, unclamped: none },
      };
    },
  },
];
