/** Fig. 11 and Table 1: checklist claims 11-12 (wiring, Layer 1 → Layer 2). */
import { APPROX } from '../curves.js';
import { f3, f4 } from '../format.js';
import { GROUPS, HEADS, type ClaimDef } from '../claim.js';

/** z of the support test in claim 12 (one-sided, ≈ 1 false support in 700 noise-only pairs). */
export const SUPPORT_Z = 3;

/**
 * The smallest accuracy drop of the only-head-i model that counts as support in claim 12: 3 standard
 * errors of a difference of two accuracies `p` measured on `n` sequences each, √(2p(1 − p)/n) (an upper
 * bound for the paired difference), and never under 1 point. On the 4,000-sequence subsample and
 * p = 0.5 that is 3.4 points; on the full 78,400, 1 point.
 */
export function supportThreshold(p: number, n: number): number {
  return Math.max(0.01, SUPPORT_Z * Math.sqrt((2 * p * (1 - p)) / n));
}

export const WIRING_CLAIMS: ClaimDef[] = [
  {
    // "Value-preserving ablation of the PT heads (as a group) hurts accuracy substantially (≳ 0.2) while
    // pattern-preserving ablation of the same heads barely matters; the reverse holds for the remaining
    // Layer-1 heads (V-composition)."
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
    // "The one-head-per-layer matrix shows more than one Layer-1 head supporting a given IH and one
    // Layer-1 head supporting several IHs (many-to-many)." A Layer-1 head j supports L2 head i when
    // ablating j (value- or pattern-preserving) costs the only-i model more accuracy than noise can:
    // `supportThreshold` of its accuracy on the dense set's size.
    id: 12,
    group: GROUPS.wiring,
    title: 'The wiring is many-to-many: some IH relies on several Layer-1 heads, and some Layer-1 head supports several IHs (drops beyond 3 standard errors)',
    needs: ['main-analyses'],
    figures: ['fig11'],
    judge(e) {
      const { wiring: w, denseSize: n } = e.main!;
      const bar = HEADS.map((i) => supportThreshold(w.baseline[i], n));
      const supports = (i: number, j: number) => Math.max(-w.Mpv[i][j], -w.Mpp[i][j]) > bar[i];
      const perIh = HEADS.map((i) => HEADS.filter((j) => supports(i, j)).length);
      const perL1 = HEADS.map((j) => HEADS.filter((i) => supports(i, j)).length);
      return {
        ok: Math.max(...perIh) >= 2 && Math.max(...perL1) >= 2,
        measured: `Layer-1 heads supporting each L2 head (Δacc beyond 3 s.e. on ${n} sequences: ${bar.map(f3).join(', ')}): ${perIh.join(', ')}; L2 heads each L1 head supports: ${perL1.join(', ')}`,
        numbers: { maxSupportersOfOneIh: Math.max(...perIh), maxIhsOfOneL1: Math.max(...perL1), denseSize: n },
      };
    },
  },
];
