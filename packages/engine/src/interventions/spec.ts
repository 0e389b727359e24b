/**
 * The intervention spec ("artificial optogenetics", spec section 4): one small, versioned JSON document
 * naming which activations are clamped, applied from step 0 by the same forward in training and in
 * evaluation, and stored in run.json so a run can be re-evaluated from its directory alone.
 *
 *   {
 *     "version": 1,
 *     "ablate":     ["1:0", "1:1"],                       // 4.2 head ablation (v = 0)
 *     "prevToken":  { "heads": ["0:2"], "strength": 1 },   // 4.4 previous-token attention clamp
 *     "match":      { "heads": ["1:3"], "strength": 1 },   // 4.5 induction (match) clamp, query row only
 *     "perfectCopy": { "head": "1:3" },                    // 4.6 logits read from that head's scores
 *     "perfectLayer1": true,                               // 4.7 (with perfectCopy: 4.8)
 *     "preserve":   { "patterns": true, "values": false }, // 4.3 preserved ablations (analyses)
 *     "graft":      { "checkpoint": "runs/x/checkpoints/seqs-0001000000.safetensors", "tillLayer": 0 } // 4.9
 *   }
 *
 * Heads are "layer:head", 0-indexed like the code (the paper's "L2H3" is "1:3").
 */
import { z } from 'zod';

export const INTERVENTION_VERSION = 1;

// Canonical decimal indices only ("01:3" would dodge the duplicate and contradiction checks).
const HEAD_REF = /^(0|[1-9]\d*):(0|[1-9]\d*)$/;
const headRef = z.string().regex(HEAD_REF, 'a head is "layer:head", e.g. "1:3"');
const strength = z.number().min(0, 'strength must be in [0, 1]').max(1, 'strength must be in [0, 1]');

export const InterventionSpecSchema = z
  .object({
    version: z.literal(INTERVENTION_VERSION).default(INTERVENTION_VERSION),
    ablate: z.array(headRef).default([]),
    prevToken: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
    match: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
    perfectCopy: z.object({ head: headRef }).strict().optional(),
    perfectLayer1: z.boolean().default(false),
    preserve: z.object({ patterns: z.boolean().default(false), values: z.boolean().default(false) }).strict().optional(),
    graft: z.object({ checkpoint: z.string().min(1), tillLayer: z.number().int().nonnegative().default(0) }).strict().optional(),
  })
  .strict();

export type InterventionSpec = z.output<typeof InterventionSpecSchema>;
export type InterventionSpecInput = z.input<typeof InterventionSpecSchema>;

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

/** Every head of `layer` except those in `keep`, as refs: the ablation list of an "only these heads" run. */
export function ablateAllBut(layer: number, nHeads: number, keep: readonly number[]): string[] {
  const out: string[] = [];
  for (let h = 0; h < nHeads; h++) if (!keep.includes(h)) out.push(`${layer}:${h}`);
  return out;
}

export class InterventionError extends Error {
  override name = 'InterventionError';
}

/** True when the spec changes nothing (a plain forward). */
export function isEmptySpec(s: InterventionSpec): boolean {
  return !s.ablate.length && !s.prevToken && !s.match && !s.perfectCopy && !s.perfectLayer1 && !s.preserve?.patterns && !s.preserve?.values && !s.graft;
}

/**
 * Check a parsed spec against the model it will run on. Throws one line naming the field at fault:
 * heads out of range, manipulations that only make sense for the 2-layer 5-token layout, and pairs of
 * manipulations that contradict each other on one site (two writers of one attention pattern, a clamp
 * upstream of an activation another manipulation replaces wholesale, ...).
 */
export function validateSpec(s: InterventionSpec, model: { nLayers: number; nHeads: number }, where = 'interventions'): void {
  const fail = (field: string, msg: string): never => {
    throw new InterventionError(`${where}.${field}: ${msg}`);
  };
  const check = (field: string, ref: string) => {
    const h = parseHead(ref);
    if (h.layer >= model.nLayers) fail(field, `head "${ref}": layer ${h.layer} out of range (the model has layers 0..${model.nLayers - 1})`);
    if (h.head >= model.nHeads) fail(field, `head "${ref}": head ${h.head} out of range (layers have heads 0..${model.nHeads - 1})`);
    return h;
  };
  const dupes = (field: string, refs: string[]) => {
    const seen = new Set<string>();
    for (const r of refs) {
      if (seen.has(r)) fail(field, `head "${r}" listed twice`);
      seen.add(r);
    }
  };
  s.ablate.forEach((r, i) => check(`ablate[${i}]`, r));
  dupes('ablate', s.ablate);
  s.prevToken?.heads.forEach((r, i) => check(`prevToken.heads[${i}]`, r));
  if (s.prevToken) dupes('prevToken.heads', s.prevToken.heads);
  s.match?.heads.forEach((r, i) => check(`match.heads[${i}]`, r));
  if (s.match) dupes('match.heads', s.match.heads);
  if (s.perfectCopy) check('perfectCopy.head', s.perfectCopy.head);

  // Two writers of one head's attention pattern.
  const patternWriters = new Map<string, string>();
  const writePattern = (field: string, ref: string) => {
    const other = patternWriters.get(ref);
    if (other) fail(field, `contradicts ${other}: both set the attention pattern of head "${ref}"`);
    patternWriters.set(ref, field);
  };
  s.prevToken?.heads.forEach((r) => writePattern('prevToken', r));
  s.match?.heads.forEach((r) => writePattern('match', r));
  if (s.preserve?.patterns) {
    const clamped = [...patternWriters.entries()][0];
    if (clamped) fail('preserve.patterns', `contradicts ${clamped[1]}: both set the attention pattern of head "${clamped[0]}"`);
  }

  if (s.perfectLayer1) {
    if (model.nLayers !== 2) fail('perfectLayer1', `needs the paper's 2-layer model (this one has ${model.nLayers} layers)`);
    if (s.graft) fail('perfectLayer1', 'contradicts graft: both replace the residual stream after layer 0');
    if (s.preserve?.patterns) fail('perfectLayer1', 'contradicts preserve.patterns: both set every layer-1 attention pattern');
    if (s.preserve?.values) fail('perfectLayer1', "contradicts preserve.values: the clean pass's values come from the real layer 0");
    if (s.perfectCopy && parseHead(s.perfectCopy.head).layer === 0)
      fail('perfectCopy.head', `head "${s.perfectCopy.head}" is in layer 0, whose output perfectLayer1 replaces`);
    for (const [field, refs] of [['prevToken', s.prevToken?.heads ?? []], ['match', s.match?.heads ?? []], ['ablate', s.ablate]] as const)
      for (const r of refs) {
        const h = parseHead(r);
        if (h.layer === 0) fail(field, `head "${r}" is in layer 0, whose output perfectLayer1 replaces (the clamp would have no effect)`);
        if (field !== 'ablate') fail(field, `contradicts perfectLayer1: both set the attention pattern of head "${r}"`);
      }
  }
  if (s.graft) {
    const t = s.graft.tillLayer;
    if (s.preserve?.patterns || s.preserve?.values) fail('graft', "contradicts preserve: the clean pass runs the model's own layers, not the donor's");
    if (t >= model.nLayers) fail('graft.tillLayer', `${t} out of range (the model has layers 0..${model.nLayers - 1})`);
    for (const [field, refs] of [['prevToken', s.prevToken?.heads ?? []], ['match', s.match?.heads ?? []], ['ablate', s.ablate]] as const)
      for (const r of refs)
        if (parseHead(r).layer <= t) fail(field, `head "${r}" is in a layer the graft replaces (layers 0..${t}); the clamp would have no effect`);
    if (s.perfectCopy && parseHead(s.perfectCopy.head).layer <= t)
      fail('perfectCopy.head', `head "${s.perfectCopy.head}" is in a grafted layer (0..${t}); its scores come from the frozen donor`);
  }
}

/** Parse (zod) and validate a spec; throws one line naming the field at fault. */
export function parseInterventionSpec(input: unknown, model: { nLayers: number; nHeads: number }, where = 'interventions'): InterventionSpec {
  const r = InterventionSpecSchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InterventionError(`${where}${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
  }
  validateSpec(r.data, model, where);
  return r.data;
}
