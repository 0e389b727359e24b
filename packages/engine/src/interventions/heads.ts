/**
 * Heads as the spec names them: "layer:head", 0-indexed like the code (the paper's "L2H3" is "1:3").
 * The one head-ref schema and the one label formatter (`headLabel`) every module uses.
 */
import { z } from 'zod';

// Canonical decimal indices only ("01:3" would dodge the duplicate and contradiction checks).
export const headRef = z.string().regex(/^(0|[1-9]\d*):(0|[1-9]\d*)$/, 'a head is "layer:head", e.g. "1:3"');
export const strength = z.number().min(0, 'strength must be in [0, 1]').max(1, 'strength must be in [0, 1]');

export interface Head {
  layer: number;
  head: number;
}

export const parseHead = (ref: string): Head => {
  const [layer, head] = ref.split(':').map(Number);
  return { layer, head };
};
export const headKey = (h: Head): string => `${h.layer}:${h.head}`;

/** The paper's 1-indexed layer name of a head: "1:3" (or layer 1, head 3) is "L2H3". */
export function headLabel(ref: string | Head): string;
export function headLabel(layer: number, head: number): string;
export function headLabel(a: string | Head | number, b?: number): string {
  const h = typeof a === 'string' ? parseHead(a) : typeof a === 'number' ? { layer: a, head: b! } : a;
  return `L${h.layer + 1}H${h.head}`;
}

/** Every head of `layer` except those in `keep`, as refs: the ablation list of an "only these heads" run. */
export function ablateAllBut(layer: number, nHeads: number, keep: readonly number[]): string[] {
  const out: string[] = [];
  for (let h = 0; h < nHeads; h++) if (!keep.includes(h)) out.push(`${layer}:${h}`);
  return out;
}
