/**
 * Heads as the spec names them: "layer:head", 0-indexed like the code (the paper's "L2H3" is "1:3").
 * The one head-ref schema and the one label formatter (`headLabel`) every module uses.
 */
import { z } from 'zod';
import { InterventionError } from './errors.js';

// Canonical decimal indices only ("01:3" would dodge the duplicate and contradiction checks).
const HEAD_REF = /^(0|[1-9]\d*):(0|[1-9]\d*)$/;
export const headRef = z.string().regex(HEAD_REF, 'a head is "layer:head", e.g. "1:3"');
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

/**
 * The one head-string rule, for spec files and command-line flags alike: canonical "layer:head" (no
 * leading zeros, no signs, no spaces). Throws one line naming `where` and the string at fault.
 */
export function parseHeadRef(ref: string, where = 'head'): Head {
  if (!HEAD_REF.test(ref)) throw new InterventionError(`${where}: '${ref}' is not a head; write layer:head with plain indices, e.g. 1:3`);
  return parseHead(ref);
}

/**
 * The ablation list of "only head `ref` stays active in its layer" (single-head runs), merged with the
 * heads `ablate` already removes. Checked against the model, since every head of the layer is named:
 * a head the model lacks, or one that `ablate` also removes, would silently ablate the whole layer.
 */
export function keepOnlyHead(ref: string, model: { nLayers: number; nHeads: number }, ablate: readonly string[] = [], where = 'onlyHead'): string[] {
  const h = parseHeadRef(ref, where);
  if (h.layer >= model.nLayers) throw new InterventionError(`${where}: head "${ref}": layer ${h.layer} out of range (the model has layers 0..${model.nLayers - 1})`);
  if (h.head >= model.nHeads) throw new InterventionError(`${where}: head "${ref}": head ${h.head} out of range (layers have heads 0..${model.nHeads - 1})`);
  if (ablate.includes(ref)) throw new InterventionError(`${where}: head "${ref}" is kept active, but the ablation list also removes it`);
  return [...new Set([...ablate, ...ablateAllBut(h.layer, model.nHeads, [h.head])])];
}

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
