/** How the report writes numbers and heads in its measured text. */
import { headLabel } from '../interventions/heads.js';

/** Sequences as `250k` or `1.20M`. */
export const k = (seqs: number): string => (seqs >= 1e6 ? `${(seqs / 1e6).toFixed(2)}M` : `${Math.round(seqs / 1000)}k`);
export const f3 = (x: number): string => x.toFixed(3);
export const f4 = (x: number): string => x.toFixed(4);
/** A last-layer (Layer-2) head, as the paper names it. */
export const l2Head = (h: number): string => headLabel(1, h);
