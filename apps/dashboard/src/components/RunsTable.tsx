'use client';
/**
 * The runs table: filters, sort and page live in the URL; the server filters, sorts and pages (so 1,000
 * runs cost one page of rows); the list refreshes every 2 s so statuses and progress stay current.
 * Selected runs (?sel=) go to the compare view. Tags and notes (`opto runs tag|note`) show in their own
 * column; ?tag=key=value keeps the rows carrying that tag.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { enc, getJson, learningTimeText, si } from './api';
import { CsvButton, Note } from './Figure';
import type { RunPage, RunRow } from '../server/runs';
import { StaleBadge } from './StaleBadge';
import { useUrlState } from './useUrlState';

const PAGE = 50;
const COLUMNS: { key: keyof RunRow; label: string; num?: boolean }[] = [
  { key: 'id', label: 'run' },
  { key: 'status', label: 'status' },
  { key: 'preset', label: 'preset' },
  { key: 'clamp', label: 'clamp' },
  { key: 'classes', label: 'classes', num: true },
  { key: 'labels', label: 'labels', num: true },
  { key: 'seed', label: 'seed', num: true },
  { key: 'progress', label: 'progress', num: true },
  { key: 'learningTime', label: 'learning time', num: true },
  { key: 'updatedAt', label: 'updated' },
];

export function RunsTable() {
  const [sp, set] = useUrlState();
  const sort = sp.get('sort') ?? 'id';
  const desc = sp.get('dir') === 'desc';
  const page = Math.max(0, Number(sp.get('page') ?? 0) || 0);
  const sel = (sp.get('sel') ?? '').split(',').filter(Boolean);
  const filters = sp.getAll('f');
  // The free-text field filter is edited locally and applied on Enter / blur (one URL change per edit).
  const filterKey = filters.join(' ');
  const [fieldText, setFieldText] = useState(filterKey);
  useEffect(() => setFieldText(filterKey), [filterKey]);

  const api = new URLSearchParams();
  for (const k of ['preset', 'status', 'clamp', 'q', 'tag'] as const) if (sp.get(k)) api.set(k, sp.get(k)!);
  filters.forEach((f) => api.append('f', f));
  api.set('sort', sort);
  if (desc) api.set('dir', 'desc');
  api.set('offset', String(page * PAGE));
  api.set('limit', String(PAGE));
  const q = useQuery({
    queryKey: ['runs', api.toString()],
    queryFn: () => getJson<RunPage>(`/api/runs?${api}`),
    refetchInterval: 2000,
    placeholderData: keepPreviousData,
  });
  const d = q.data;
  const pages = d ? Math.max(1, Math.ceil(d.matched / PAGE)) : 1;
  const toggle = (id: string) => set({ sel: (sel.includes(id) ? sel.filter((s) => s !== id) : [...sel, id]).join(',') || null });
  const applyFields = () => set({ f: fieldText.split(/\s+/).filter(Boolean), page: null });

  return (
    <>
      <h1>Runs</h1>
      <div className="filters">
        {(
          [
            ['preset', 'preset', d?.presets],
            ['status', 'status', d?.statuses],
            ['tag', 'tag', d?.tags],
          ] as const
        ).map(([param, label, options]) => (
          <label key={param}>
            {label}
            <select value={sp.get(param) ?? ''} onChange={(e) => set({ [param]: e.target.value || null, page: null })} data-testid={`filter-${param}`}>
              <option value="">any</option>
              {options?.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
        ))}
        <label>
          clamp (text, or none)
          <input defaultValue={sp.get('clamp') ?? ''} onBlur={(e) => set({ clamp: e.target.value || null, page: null })} onKeyDown={(e) => e.key === 'Enter' && set({ clamp: e.currentTarget.value || null, page: null })} placeholder="match 1:3" data-testid="filter-clamp" />
        </label>
        <label>
          run id contains
          <input defaultValue={sp.get('q') ?? ''} onBlur={(e) => set({ q: e.target.value || null, page: null })} onKeyDown={(e) => e.key === 'Enter' && set({ q: e.currentTarget.value || null, page: null })} data-testid="filter-q" />
        </label>
        <label title={d ? `fields: ${d.fields.join(', ')}` : undefined}>
          config fields (field=value, field&gt;=n, field~text; space-separated)
          <input
            className="wide"
            list="config-fields"
            value={fieldText}
            onChange={(e) => setFieldText(e.target.value)}
            onBlur={applyFields}
            onKeyDown={(e) => e.key === 'Enter' && applyFields()}
            placeholder="task.numLabels=10 schedule.seqs>=100000"
            data-testid="filter-fields"
          />
          <datalist id="config-fields">
            {d?.fields.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </label>
        <Link className={`button primary${sel.length ? '' : ' disabled'}`} href={sel.length ? `/compare?runs=${sel.map(enc).join(',')}` : '#'} aria-disabled={!sel.length} data-testid="compare-link">
          Compare {sel.length} selected
        </Link>
        {sel.length > 0 && (
          <button type="button" onClick={() => set({ sel: null })}>
            clear selection
          </button>
        )}
        {/* The rows on this page, as shown (filters, sort and page apply). */}
        {d && d.rows.length > 0 && <CsvButton rows={d.rows} name="runs-page" />}
      </div>
      {q.error && <Note kind="error">Could not list runs: {(q.error as Error).message}</Note>}
      {d && (
        <div className="pager" data-testid="runs-count">
          <span>
            {d.matched === d.total ? `${d.total} runs` : `${d.matched} of ${d.total} runs match`}
          </span>
          <button type="button" disabled={page === 0} onClick={() => set({ page: page - 1 > 0 ? String(page - 1) : null })}>
            ‹ prev
          </button>
          <span>
            page {Math.min(page + 1, pages)} of {pages}
          </span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => set({ page: String(page + 1) })} data-testid="next-page">
            next ›
          </button>
        </div>
      )}
      {d && d.total === 0 && (
        <Note>
          No runs in this directory yet. Train one with <code>opto train --preset main --out &lt;runs&gt;/main</code> or a sweep with <code>opto sweep</code>.
        </Note>
      )}
      {d && d.rows.length > 0 && (
        <table className="grid" data-testid="runs-table">
          <thead>
            <tr>
              <th title="select every run on this page for comparison">
                <input
                  type="checkbox"
                  aria-label="select every run on this page"
                  checked={d.rows.every((r) => sel.includes(r.id))}
                  onChange={(e) => {
                    const page = d.rows.map((r) => r.id);
                    const next = e.target.checked ? [...sel, ...page.filter((id) => !sel.includes(id))] : sel.filter((id) => !page.includes(id));
                    set({ sel: next.join(',') || null });
                  }}
                />
              </th>
              {COLUMNS.map((c) => (
                <th key={c.key} onClick={() => set({ sort: c.key, dir: sort === c.key && !desc ? 'desc' : null, page: null })} aria-sort={sort === c.key ? (desc ? 'descending' : 'ascending') : undefined}>
                  {c.label} {sort === c.key ? (desc ? '▼' : '▲') : ''}
                </th>
              ))}
              <th>tags · note</th>
            </tr>
          </thead>
          <tbody>
            {d.rows.map((r) => (
              <tr key={r.id} data-testid="run-row">
                <td>
                  <input type="checkbox" checked={sel.includes(r.id)} onChange={() => toggle(r.id)} aria-label={`select ${r.id}`} />
                </td>
                <td>
                  <Link href={`/runs/${enc(r.id)}`}>{r.id}</Link>
                  {r.error && <div className="muted mono">{r.error}</div>}
                </td>
                <td>
                  <span className={`badge ${r.status}`}>{r.status}</span>
                  {r.stale && <StaleBadge stale={r.stale} />}
                </td>
                <td>{r.preset ?? '–'}</td>
                <td className="mono">{r.clamp}</td>
                <td className="num">{r.classes ?? '–'}</td>
                <td className="num">{r.labels ?? '–'}</td>
                <td className="num">{r.seed ?? '–'}</td>
                <td className="num">
                  {si(r.progress)} / {si(r.seqs)}
                </td>
                <td className="num">{learningTimeText(r.learningTime, r.learned)}</td>
                <td className="muted">{r.updatedAt ? r.updatedAt.replace('T', ' ').slice(0, 19) : '–'}</td>
                <td>
                  <span className="mono" data-testid="run-tags">
                    {Object.entries(r.tags ?? {})
                      .map(([k, v]) => `${k}=${v}`)
                      .join(' ')}
                  </span>
                  {r.note && (
                    <div className="muted" title={r.note} data-testid="run-note">
                      {r.note.length > 60 ? `${r.note.slice(0, 59)}…` : r.note}
                    </div>
                  )}
                  {r.tagsError && <div className="muted mono">{r.tagsError}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
