'use client';
/**
 * The clamps of one run as a form: ablated heads, the previous-token clamp, the match (induction) clamp
 * with its strength, perfect copy and perfect Layer 1. The intervention spec (JSON) is the single source
 * of truth: the controls read it and rewrite it, and it may also be edited by hand (for graft, preserve,
 * or a clamp strength of the previous-token clamp). Validation is the engine's own parser, run by the
 * caller, whose message names the field at fault.
 */
import type { InterventionSpecInput } from '@optoscope/engine/browser';

type Spec = InterventionSpecInput & Record<string, unknown>;

export function parseSpecText(text: string): { spec: Spec | null; error: string | null } {
  if (!text.trim()) return { spec: {}, error: null };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { spec: null, error: 'interventions: must be a JSON object' };
    return { spec: v as Spec, error: null };
  } catch (e) {
    return { spec: null, error: `interventions: not valid JSON (${(e as Error).message})` };
  }
}

/** Drop empty clamps so the spec reads like the presets' (an empty `heads` list is an error in the parser). */
function tidy(s: Spec): Spec {
  const out: Spec = { ...s };
  if (Array.isArray(out.ablate) && out.ablate.length === 0) delete out.ablate;
  if (out.prevToken && (out.prevToken.heads ?? []).length === 0) delete out.prevToken;
  if (out.match && (out.match.heads ?? []).length === 0) delete out.match;
  if (out.perfectLayer1 === false) delete out.perfectLayer1;
  return out;
}

const toggle = (xs: readonly string[] | undefined, x: string, on: boolean): string[] => {
  const set = new Set(xs ?? []);
  if (on) set.add(x);
  else set.delete(x);
  return [...set].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
};

export function ClampForm({
  text,
  onText,
  nLayers,
  nHeads,
  disabled,
}: {
  text: string;
  onText: (t: string) => void;
  nLayers: number;
  nHeads: number;
  disabled?: boolean;
}) {
  const { spec } = parseSpecText(text);
  const s: Spec = spec ?? {};
  const set = (next: Spec) => onText(JSON.stringify(tidy(next), null, 1).replace(/\n\s*/g, ' '));
  const heads = (layer: number) => Array.from({ length: nHeads }, (_, h) => `${layer}:${h}`);
  const label = (ref: string) => `L${Number(ref.split(':')[0]) + 1}H${ref.split(':')[1]}`;
  const off = disabled || spec === null; // the controls cannot edit a spec that is not JSON

  const headBoxes = (testId: string, refs: string[], chosen: readonly string[] | undefined, onChange: (ref: string, on: boolean) => void) => (
    <span className="clamp-heads" data-testid={testId}>
      {refs.map((ref) => (
        <label key={ref} className="clamp-head">
          <input type="checkbox" disabled={off} checked={(chosen ?? []).includes(ref)} onChange={(e) => onChange(ref, e.target.checked)} aria-label={`${testId} ${ref}`} />
          {label(ref)}
        </label>
      ))}
    </span>
  );

  return (
    <fieldset className="clamp-form" data-testid="clamp-form">
      <legend>Clamps (artificial optogenetics)</legend>
      {Array.from({ length: nLayers }, (_, layer) => (
        <div key={layer} className="clamp-row">
          <span className="clamp-name">Ablate layer-{layer + 1} heads</span>
          {headBoxes(`ablate-${layer}`, heads(layer), s.ablate, (ref, on) => set({ ...s, ablate: toggle(s.ablate, ref, on) }))}
        </div>
      ))}
      <div className="clamp-row">
        <span className="clamp-name" title="Clamp the head's attention to the previous token (step 1 of the circuit)">
          Previous-token clamp
        </span>
        {headBoxes('pt', heads(0), s.prevToken?.heads, (ref, on) => set({ ...s, prevToken: { ...(s.prevToken ?? {}), heads: toggle(s.prevToken?.heads, ref, on) } }))}
      </div>
      <div className="clamp-row">
        <span className="clamp-name" title="Clamp the head's query attention to the matching label token (steps 1, 2, 3qk, 4)">
          Match (IH) clamp
        </span>
        {headBoxes('match', heads(nLayers - 1), s.match?.heads, (ref, on) => set({ ...s, match: { ...(s.match ?? {}), heads: toggle(s.match?.heads, ref, on) } }))}
        <label className="clamp-strength">
          strength
          <input
            type="number"
            step="0.1"
            disabled={off || !s.match}
            value={s.match?.strength ?? 1}
            onChange={(e) => set({ ...s, match: { ...(s.match ?? { heads: [] }), strength: e.target.value === '' ? 1 : Number(e.target.value) } })}
            data-testid="match-strength"
          />
        </label>
      </div>
      <div className="clamp-row">
        <span className="clamp-name" title="The logits are the head's scores to the two label tokens (steps 3v, 5)">
          Perfect copy
        </span>
        <select
          disabled={off}
          value={s.perfectCopy?.head ?? ''}
          data-testid="perfect-copy"
          onChange={(e) => {
            const next: Spec = { ...s };
            if (e.target.value) next.perfectCopy = { head: e.target.value };
            else delete next.perfectCopy;
            set(next);
          }}
        >
          <option value="">off</option>
          {heads(nLayers - 1).map((ref) => (
            <option key={ref} value={ref}>
              {label(ref)}
            </option>
          ))}
        </select>
      </div>
      <div className="clamp-row">
        <label className="clamp-name">
          <input type="checkbox" disabled={off} checked={s.perfectLayer1 === true} onChange={(e) => set({ ...s, perfectLayer1: e.target.checked })} data-testid="perfect-layer1" />
          Perfect Layer 1 (steps 1, 2)
        </label>
      </div>
      <label className="clamp-json">
        Intervention spec (JSON; the form writes it, you may edit it)
        <textarea rows={2} disabled={disabled} value={text} onChange={(e) => onText(e.target.value)} data-testid="spec-json" spellCheck={false} />
      </label>
    </fieldset>
  );
}
