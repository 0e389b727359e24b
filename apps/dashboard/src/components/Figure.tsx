'use client';
/**
 * One figure: a shared Vega-Lite spec from the engine (`@engine-figures`), drawn by vega-embed as SVG,
 * with SVG and PNG export buttons, and a CSV button for the figure's data (`data`: the rows it draws,
 * e.g. the aggregated points of a sweep). The view is rebuilt only when the spec's JSON changes.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import embed, { type Result } from 'vega-embed';
import { toCsv, type TopLevelSpec } from '@engine-figures';

export function Figure({ spec, name, testId, data }: { spec: TopLevelSpec; name: string; testId?: string; data?: readonly object[] }) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const json = useMemo(() => JSON.stringify(spec), [spec]);
  useEffect(() => {
    let cancelled = false;
    const target = el.current;
    if (!target) return;
    // ast: vega evaluates expressions with its interpreter instead of compiling them with Function(),
    // so the page's Content-Security-Policy needs no 'unsafe-eval' (server/access.ts).
    embed(target, JSON.parse(json), { renderer: 'svg', actions: false, logLevel: 0, ast: true })
      .then((r) => {
        if (cancelled) return r.finalize();
        view.current?.finalize();
        view.current = r;
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [json]);
  useEffect(() => () => view.current?.finalize(), []);
  const save = async (type: 'svg' | 'png') => {
    if (!view.current) return;
    const url = await view.current.view.toImageURL(type, type === 'png' ? 2 : 1);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.${type}`;
    a.click();
  };
  return (
    <figure className="figure" data-testid={testId ?? `fig-${name}`}>
      <div ref={el} className="figure-canvas" />
      {error && <p className="error">Figure could not be drawn: {error}</p>}
      <div className="figure-actions">
        <button type="button" onClick={() => void save('svg')} aria-label={`Export ${name} as SVG`}>
          SVG
        </button>
        <button type="button" onClick={() => void save('png')} aria-label={`Export ${name} as PNG`}>
          PNG
        </button>
        {data && <CsvButton rows={data} name={name} />}
      </div>
    </figure>
  );
}

/** A message in place of a figure (nothing to draw yet, or an error). */
export function Note({ kind = 'info', children, testId }: { kind?: 'info' | 'error' | 'warn'; children: React.ReactNode; testId?: string }) {
  return (
    <div className={`note note-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}

/** Download `rows` as `<name>.csv` (every table and every figure's data on the dashboard). */
export function CsvButton({ rows, name, columns }: { rows: readonly object[]; name: string; columns?: readonly string[] }) {
  const save = () => {
    const url = URL.createObjectURL(new Blob([toCsv(rows as readonly Record<string, unknown>[], columns)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <button type="button" onClick={save} aria-label={`Export ${name} as CSV`} data-testid={`csv-${name}`}>
      CSV
    </button>
  );
}
