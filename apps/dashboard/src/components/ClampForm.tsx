'use client';
/**
 * The clamps of one run as a form: one field per clamp of the engine's registry (`CLAMPS`), rendered
 * by the kind of field the clamp declares. The intervention spec (JSON) is the single source of truth:
 * the controls read it and rewrite it, and it may also be edited by hand. Validation is the engine's own
 * parser, run by the caller, whose message names the field at fault.
 */
import { CLAMPS, headLabel, type FormField, type FormNumber, type InterventionSpecInput } from '@optoscope/engine/browser';

type Spec = InterventionSpecInput & Record<string, unknown>;
type Obj = Record<string, unknown>;

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

/** The value a field left behind is "off" when it has no heads, no switch on and no file: drop it, as the presets do. */
function isOff(field: FormField, v: unknown): boolean {
  if (v === undefined || v === false) return true;
  const o = (v ?? {}) as Obj;
  switch (field.kind) {
    case 'headsPerLayer':
      return Array.isArray(v) && v.length === 0;
    case 'heads':
      return ((o.heads as unknown[]) ?? []).length === 0;
    case 'head':
      return !o.head;
    case 'switch':
      return v !== true;
    case 'switches':
      return field.options.every((k) => !o[k]);
    case 'file':
      return !o[field.path];
  }
}

const toggle = (xs: readonly string[] | undefined, x: string, on: boolean): string[] => {
  const set = new Set(xs ?? []);
  if (on) set.add(x);
  else set.delete(x);
  return [...set].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
};

/** The form lists the clamps in the spec's order (4.2 ablation first), not the registry's hook order. */
const BY_SECTION = [...CLAMPS].sort((a, b) => a.section.localeCompare(b.section, 'en', { numeric: true }));

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

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
  const off = disabled || spec === null; // the controls cannot edit a spec that is not JSON
  const heads = (layer: number) => Array.from({ length: nHeads }, (_, h) => `${layer}:${h}`);
  const layerOf = (which: 'first' | 'last') => (which === 'first' ? 0 : nLayers - 1);
  // Any layer's heads (issue 23: clamps anywhere), the layer the clamp usually sits in first.
  const anyLayer = (which: 'first' | 'last') => [layerOf(which), ...Array.from({ length: nLayers }, (_, l) => l).filter((l) => l !== layerOf(which))].flatMap(heads);

  const fieldOf = (key: string, field: FormField) => {
    const value = s[key];
    const obj = (value ?? {}) as Obj;
    const id = kebab(key);
    const put = (next: unknown) => {
      const out: Spec = { ...s, [key]: next };
      if (isOff(field, next)) delete out[key];
      onText(JSON.stringify(out, null, 1).replace(/\n\s*/g, ' '));
    };
    const headBoxes = (testId: string, refs: string[], chosen: readonly string[] | undefined, onChange: (ref: string, on: boolean) => void) => (
      <span className="clamp-heads" data-testid={testId}>
        {refs.map((ref) => (
          <label key={ref} className="clamp-head">
            <input type="checkbox" disabled={off} checked={(chosen ?? []).includes(ref)} onChange={(e) => onChange(ref, e.target.checked)} aria-label={`${testId} ${ref}`} />
            {headLabel(ref)}
          </label>
        ))}
      </span>
    );
    const numbers = (ns: FormNumber[] | undefined) =>
      (ns ?? []).map((n) => (
        <label key={n.path} className="clamp-strength">
          {n.label}
          <input
            type="number"
            step={n.step}
            disabled={off || value === undefined}
            value={(obj[n.path] as number | undefined) ?? n.default}
            onChange={(e) => put({ ...obj, [n.path]: e.target.value === '' ? n.default : Number(e.target.value) })}
            data-testid={`${id}-${kebab(n.path)}`}
          />
        </label>
      ));
    const name = (
      <span className="clamp-name" title={field.title}>
        {field.label}
      </span>
    );

    switch (field.kind) {
      case 'headsPerLayer':
        return Array.from({ length: nLayers }, (_, layer) => (
          <div key={`${key}-${layer}`} className="clamp-row">
            <span className="clamp-name" title={field.title}>
              {field.label.replace('{layer}', String(layer + 1))}
            </span>
            {headBoxes(`${id}-${layer}`, heads(layer), value as string[] | undefined, (ref, on) => put(toggle(value as string[] | undefined, ref, on)))}
          </div>
        ));
      case 'heads':
        return (
          <div key={key} className="clamp-row">
            {name}
            {headBoxes(id, anyLayer(field.layer), obj.heads as string[] | undefined, (ref, on) => put({ ...obj, heads: toggle(obj.heads as string[] | undefined, ref, on) }))}
            {numbers(field.numbers)}
          </div>
        );
      case 'head':
        return (
          <div key={key} className="clamp-row">
            {name}
            <select disabled={off} value={(obj.head as string | undefined) ?? ''} data-testid={id} onChange={(e) => put(e.target.value ? { head: e.target.value } : undefined)}>
              <option value="">off</option>
              {anyLayer(field.layer).map((ref) => (
                <option key={ref} value={ref}>
                  {headLabel(ref)}
                </option>
              ))}
            </select>
          </div>
        );
      case 'switch':
        return (
          <div key={key} className="clamp-row">
            <label className="clamp-name" title={field.title}>
              <input type="checkbox" disabled={off} checked={value === true} onChange={(e) => put(e.target.checked)} data-testid={id} />
              {field.label}
            </label>
          </div>
        );
      case 'switches':
        return (
          <div key={key} className="clamp-row">
            {name}
            {field.options.map((o) => (
              <label key={o} className="clamp-head">
                <input type="checkbox" disabled={off} checked={obj[o] === true} onChange={(e) => put({ ...obj, [o]: e.target.checked })} data-testid={`${id}-${kebab(o)}`} />
                {o}
              </label>
            ))}
          </div>
        );
      case 'file':
        return (
          <div key={key} className="clamp-row">
            {name}
            <input
              type="text"
              disabled={off || field.nodeOnly}
              value={(obj[field.path] as string | undefined) ?? ''}
              placeholder={field.nodeOnly ? 'opto train only (reads a file)' : ''}
              onChange={(e) => put({ ...obj, [field.path]: e.target.value })}
              data-testid={id}
            />
            {numbers(field.numbers)}
          </div>
        );
    }
  };

  return (
    <fieldset className="clamp-form" data-testid="clamp-form">
      <legend>Clamps (artificial optogenetics)</legend>
      {BY_SECTION.map((c) => fieldOf(c.key, c.form))}
      <label className="clamp-json">
        Intervention spec (JSON; the form writes it, you may edit it)
        <textarea rows={2} disabled={disabled} value={text} onChange={(e) => onText(e.target.value)} data-testid="spec-json" spellCheck={false} />
      </label>
    </fieldset>
  );
}
