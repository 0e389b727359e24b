/** Fig. 6 (data dependence: # labels, # classes): checklist claims 19-20. */
import { increasing, MODEST_DELAY, ratio, slowsDown, unchanged } from '../curves.js';
import { k } from '../format.js';
import { GROUPS, series, type ClaimDef } from '../claim.js';

export const FIG6_CLAIMS: ClaimDef[] = [
  {
    // "Increasing # labels 5 → 10 → 15 (50 classes) delays the phase change strongly and monotonically;
    // the subcircuit-C-only curves slow down with # labels while subcircuit-B-only curves are unchanged."
    // Strongly: strictly increasing and 15 labels at least 2× later than 5.
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
        ok: increasing(normal) && normal[2] / normal[0] >= 2 && slowsDown(c) && unchanged(b),
        measured: `learning times for 5/10/15 labels — normal ${normal.map(k).join(' / ')}; C only (match) ${c.map(k).join(' / ')}; B only (Layer 1 + copy) ${b.map(k).join(' / ')}`,
        numbers: { normal15over5: normal[2] / normal[0], c15over5: c[2] / c[0], bMaxOverMin: ratio(b) },
      };
    },
  },
  {
    // "Increasing # classes 50 → 100 → 200 (L=5) delays the phase change modestly; subcircuit-B-only curves
    // slow down with # classes while subcircuit-C-only curves are unchanged." Modestly: strictly increasing,
    // 200 classes 1.1-2× later than 50. "Slow down" and "unchanged" as in claim 19.
    id: 20,
    group: GROUPS.data,
    title: '# classes 50 → 100 → 200 delays the phase change modestly (monotone, 1.1–2×); subcircuit-B-only curves slow down (monotone, ≥ 1.5×), subcircuit-C-only curves are unchanged',
    needs: [...[50, 100, 200].map((c) => `fig6:normal:${c}:5`), 'fig5b:match', 'fig5b:layer1-copy', ...[100, 200].flatMap((c) => [`fig6:match:${c}:5`, `fig6:layer1-copy:${c}:5`])],
    figures: ['fig6'],
    judge(e) {
      const normal = series(e, [50, 100, 200].map((c) => `fig6:normal:${c}:5`));
      const b = series(e, ['fig5b:layer1-copy', 'fig6:layer1-copy:100:5', 'fig6:layer1-copy:200:5']);
      const c = series(e, ['fig5b:match', 'fig6:match:100:5', 'fig6:match:200:5']);
      const modest = normal[2] / normal[0];
      return {
        ok: increasing(normal) && modest >= MODEST_DELAY && modest < 2 && slowsDown(b) && unchanged(c),
        measured: `learning times for 50/100/200 classes — normal ${normal.map(k).join(' / ')} (${modest.toFixed(2)}×); B only (Layer 1 + copy) ${b.map(k).join(' / ')} (${(b[2] / b[0]).toFixed(2)}×); C only (match) ${c.map(k).join(' / ')}`,
        numbers: { normal200over50: modest, b200over50: b[2] / b[0], cMaxOverMin: ratio(c) },
      };
    },
  },
];
