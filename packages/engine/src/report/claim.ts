/**
 * The shape of one checklist claim (paper spec section 11) and the helpers every figure module's claims
 * share. A claim names the catalog roles it reads; `judgeClaims` (claims.ts) makes it `missing` when one
 * is absent and otherwise calls `judge`.
 */
import type { Evidence, RunEvidence } from './evidence.js';
import { learnTime } from './curves.js';

export interface Verdict {
  ok: boolean;
  /**
   * The runs end before what the claim is about happens (a user's shorter run): no verdict either way;
   * the report lists the claim as missing, asking for the full runs.
   */
  undecided?: boolean;
  measured: string;
  numbers: Record<string, number | null>;
}

export interface ClaimDef {
  id: number;
  group: string;
  title: string;
  /** Catalog roles read; `main-analyses` / `fig10` mean the analyses of the main / fig5b:none run. */
  needs: string[];
  figures: string[];
  /**
   * The sequences of a role's run this claim needs to see (its window), when less than the catalog run's
   * length: a user's shorter run of that role is judged if it reaches this far (and marked so). Roles
   * not named need the catalog run's full length.
   */
  window?: Record<string, number>;
  judge(e: Evidence): Verdict;
}

export const GROUPS = {
  setup: 'Setup-level',
  heads: 'Induction heads: diversity, additivity, redundancy',
  wiring: 'Wiring (Layer 1 → Layer 2)',
  sub: 'Subcircuits and the phase change (single L2 head active)',
  data: 'Data dependence',
  other: 'Other clamps',
};

export const HEADS = [0, 1, 2, 3, 4, 5, 6, 7];
export const run = (e: Evidence, role: string): RunEvidence => e.runs[role];
/** Learning time (sequences) of a role's run. */
export const lt = (e: Evidence, role: string): number => learnTime(e.runs[role]).seqs;
export const series = (e: Evidence, roles: string[]): number[] => roles.map((x) => lt(e, x));
