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
 * Each field is one clamp of the registry (`clamps/`), which owns its schema and rules; this module
 * composes them and applies the rules they share (heads in range and listed once, one writer per
 * attention pattern, nothing upstream of a wholesale replacement). Heads are "layer:head", 0-indexed
 * like the code (the paper's "L2H3" is "1:3").
 */
import '../zodSetup.js';
import { z } from 'zod';
import { InterventionError, type HeadUse, type ModelShape, type ValidateContext } from './clamps/clamp.js';
import { CLAMPS, type AnyClamp } from './clamps/index.js';
import { parseHead } from './heads.js';
import type { TaskPositions } from '../data/tasks/positions.js';

export { InterventionError } from './clamps/clamp.js';
export { ablateAllBut, headKey, headLabel, keepOnlyHead, parseHead, parseHeadRef, type Head } from './heads.js';

export const INTERVENTION_VERSION = 1;

type ClampShape = { [C in AnyClamp as C['key']]: C['schema'] };
const clampShape = Object.fromEntries(CLAMPS.map((c) => [c.key, c.schema])) as ClampShape;

export const InterventionSpecSchema = z
  .object({ version: z.literal(INTERVENTION_VERSION).default(INTERVENTION_VERSION), ...clampShape })
  .strict();

export type InterventionSpec = z.output<typeof InterventionSpecSchema>;
export type InterventionSpecInput = z.input<typeof InterventionSpecSchema>;

/** A clamp's field of a parsed spec (the registry's functions take it). */
const valueOf = (s: InterventionSpec, c: AnyClamp): never => (s as Record<string, unknown>)[c.key] as never;

/** The clamps a spec switches on, in registry order, with their values. */
export function activeClamps(s: InterventionSpec): { clamp: AnyClamp; value: never }[] {
  return CLAMPS.filter((c) => c.active(valueOf(s, c))).map((clamp) => ({ clamp, value: valueOf(s, clamp) }));
}

/** True when the spec changes nothing (a plain forward). */
export function isEmptySpec(s: InterventionSpec): boolean {
  return activeClamps(s).length === 0;
}

/**
 * Check a parsed spec against the model it will run on. Throws one line naming the field at fault:
 * heads out of range or listed twice, two writers of one attention pattern, a clamp upstream of an
 * activation another manipulation replaces wholesale (it would have no effect), then each clamp's own rules.
 */
export function validateSpec(s: InterventionSpec, model: ModelShape, where = 'interventions'): void {
  const fail = (field: string, msg: string): never => {
    throw new InterventionError(`${where}.${field}: ${msg}`);
  };
  const active = activeClamps(s);
  const uses: HeadUse[] = active.flatMap(({ clamp, value }) => clamp.heads?.(value, model) ?? []);

  const seen = new Set<string>();
  for (const u of uses) {
    const h = parseHead(u.ref);
    if (h.layer >= model.nLayers) fail(u.at, `head "${u.ref}": layer ${h.layer} out of range (the model has layers 0..${model.nLayers - 1})`);
    if (h.head >= model.nHeads) fail(u.at, `head "${u.ref}": head ${h.head} out of range (layers have heads 0..${model.nHeads - 1})`);
    const list = u.at.replace(/\[\d+\]$/, '');
    if (seen.has(`${list} ${u.ref}`)) fail(list, `head "${u.ref}" listed twice`);
    seen.add(`${list} ${u.ref}`);
  }

  // Two writers of one head's attention pattern; score edits under a written pattern do nothing.
  const patternWriters = new Map<string, string>();
  for (const u of uses.filter((x) => x.writes === 'pattern')) {
    const other = patternWriters.get(u.ref);
    if (other) fail(u.owner, `contradicts ${other}: both set the attention pattern of head "${u.ref}"`);
    patternWriters.set(u.ref, u.owner);
  }
  for (const { clamp, value } of active) {
    const all = clamp.writesAllPatterns?.(value);
    const clamped = all ? [...patternWriters.entries()][0] : undefined;
    if (all && clamped) fail(all, `contradicts ${clamped[1]}: both set the attention pattern of head "${clamped[0]}"`);
  }
  for (const u of uses.filter((x) => x.writes === 'scores')) {
    const other = patternWriters.get(u.ref);
    if (other) fail(u.owner, `has no effect on head "${u.ref}": ${other} sets its attention pattern`);
  }

  for (const { clamp, value } of active) {
    const v: ValidateContext = { spec: s, model, fail };
    clamp.validate?.(value, v);
  }

  // Nothing upstream of a wholesale replacement of the residual stream.
  const replacements = active.flatMap(({ clamp, value }) => clamp.replaces?.(value) ?? []);
  for (const [i, r] of replacements.entries()) {
    const other = replacements[i + 1];
    if (other) fail(r.field, `contradicts ${other.field}: both replace the residual stream after layer ${Math.min(r.throughLayer, other.throughLayer)}`);
    for (const u of uses) {
      const layer = parseHead(u.ref).layer;
      if (layer <= r.throughLayer)
        fail(u.owner, `head "${u.ref}" is in layer ${layer}, whose output ${r.name} replaces (layers 0..${r.throughLayer}); the clamp would have no effect`);
      if (r.setsLaterPatterns && (u.writes === 'pattern' || u.writes === 'scores')) fail(u.owner, `contradicts ${r.field}: both set the attention pattern of head "${u.ref}"`);
    }
  }
}

/**
 * The per-clamp task checks: for each active clamp that cannot apply on the task at `positions`, its
 * field and what the task lacks (config.ts reports them as config issues).
 */
export function taskClampIssues(s: InterventionSpec, positions: TaskPositions): [string, string][] {
  return activeClamps(s).flatMap(({ clamp, value }) => {
    const issue = (clamp.taskIssue as ((v: unknown, p: TaskPositions) => string | null) | undefined)?.(value, positions);
    return issue ? [[clamp.key, issue] as [string, string]] : [];
  });
}

/** Parse (zod) and validate a spec; throws one line naming the field at fault. */
export function parseInterventionSpec(input: unknown, model: ModelShape, where = 'interventions'): InterventionSpec {
  const r = InterventionSpecSchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InterventionError(`${where}${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
  }
  validateSpec(r.data, model, where);
  return r.data;
}
