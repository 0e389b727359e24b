/**
 * An analysis spec S evaluated "on top of" a base spec B (the run's own clamp spec, the model it trained):
 * the model that the analysis manipulates is the B model, not the bare one.
 *
 * - The final pass applies B's clamps and S's; ablations combine (the union of both lists).
 * - Preservation (4.3) takes its patterns/values from the B model: the `clean` pass runs under B's hooks.
 * - Where S preserves patterns, the preserved patterns already carry B's pattern clamps (and its score
 *   edits), so those are not applied a second time in the final pass: the final pass has one writer per
 *   pattern, as validation demands of any spec, by meaning and not by loosening the rule.
 * - A B that traces reference passes of its own (perfectLayer1, graft, graftOut, preserve) is refused: the
 *   clean pass would need those passes under a second set of names, and "the B model with a first-layer head
 *   path-ablated" is not defined by the paper for a replaced Layer 1.
 *
 * `specOnBase` is the final pass's spec (checked by the ordinary validation); passes.ts compiles it with the
 * clean pass under B's hooks (`compilePasses(spec, params, { base })`).
 */
import { InterventionError, type ModelShape } from './clamps/clamp.js';
import { activeClamps, isEmptySpec, validateSpec, type InterventionSpec } from './spec.js';

/** The spec of the final pass of `spec` on `base` (see the module docstring); throws one line on a clash. */
export function specOnBase(base: InterventionSpec, spec: InterventionSpec, model: ModelShape, where = 'analysis spec'): InterventionSpec {
  if (isEmptySpec(base)) return spec;
  const merged: Record<string, unknown> = { ...spec };
  const own = new Set(activeClamps(spec).map((c) => c.clamp.key as string));
  const preservesPatterns = !!spec.preserve?.patterns;
  for (const { clamp, value } of activeClamps(base)) {
    const key = clamp.key as string;
    if (key === 'ablate') {
      merged.ablate = [...new Set([...(base.ablate ?? []), ...(spec.ablate ?? [])])];
      continue;
    }
    const uses = (clamp as { heads?: (v: unknown, m: ModelShape) => { writes?: string }[] }).heads?.(value, model) ?? [];
    const editsPatterns = uses.length > 0 && uses.every((u) => u.writes === 'pattern' || u.writes === 'scores');
    if (preservesPatterns && editsPatterns) continue; // carried by the preserved patterns of the B model
    if (own.has(key)) throw new InterventionError(`${where}.${key}: the run's own clamp spec sets ${key} already; an analysis on top of it cannot set it again`);
    merged[key] = value;
  }
  const out = merged as InterventionSpec;
  validateSpec(out, model, `${where} on the run's clamp spec`);
  return out;
}

/** One line refusing a base clamp that traces reference passes of its own. */
export function baseNeedsPasses(key: string, passes: readonly string[]): InterventionError {
  return new InterventionError(
    `the run's clamp '${key}' traces reference passes of its own (${passes.join(', ')}): an analysis on top of the run's clamp spec (the wiring matrix) is undefined for it; analyse the checkpoint unclamped instead`,
  );
}
