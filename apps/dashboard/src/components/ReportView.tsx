'use client';
/** The claim table written by `opto report --runs <dir>` (<runs>/report/report.json), or how to generate it. */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { enc, getJson } from './api';
import { Note } from './Figure';

interface Claim {
  id: number;
  title: string;
  group: string;
  status: 'pass' | 'fail' | 'missing';
  measured: string;
  runs: string[];
  commands: string[];
  figures: string[];
}
interface ReportView {
  available: boolean;
  command: string;
  report?: { generatedAt: string; claims: Claim[]; figures: { id: string; title: string; file: string; runs: string[] }[]; summary: { pass: number; fail: number; missing: number } };
}

export function ReportView() {
  const q = useQuery({ queryKey: ['report'], queryFn: () => getJson<ReportView>('/api/report'), refetchInterval: 5000 });
  if (q.error) return <Note kind="error" testId="report-error">Report: {(q.error as Error).message}</Note>;
  if (!q.data) return <p className="muted">Loading…</p>;
  const { report, command } = q.data;
  if (!report)
    return (
      <>
        <h1>Report</h1>
        <Note testId="report-missing">
          No report in this runs directory yet. Generate it with <code>{command}</code>; this page shows its claim table once it exists.
        </Note>
      </>
    );
  return (
    <>
      <h1>Report</h1>
      <p className="muted" data-testid="report-summary">
        {report.summary.pass} pass, {report.summary.fail} fail, {report.summary.missing} missing; generated {report.generatedAt.replace('T', ' ').slice(0, 19)} by <code>{command}</code>
      </p>
      <table className="grid" data-testid="claims-table">
        <thead>
          <tr>
            <th>#</th>
            <th>group</th>
            <th>claim</th>
            <th>status</th>
            <th>measured</th>
            <th>figures</th>
            <th>runs / to do</th>
          </tr>
        </thead>
        <tbody>
          {report.claims.map((c) => (
            <tr key={c.id}>
              <td className="num">{c.id}</td>
              <td>{c.group}</td>
              <td>{c.title}</td>
              <td>
                <span className={`badge ${c.status}`}>{c.status}</span>
              </td>
              <td>{c.measured}</td>
              <td>
                {c.figures.map((f) => (
                  <div key={f}>
                    <a href={`#figure-${f}`}>{f}</a>
                  </div>
                ))}
              </td>
              <td>
                {c.runs.map((r) => (
                  <div key={r}>
                    <Link href={`/runs/${enc(r)}`}>{r}</Link>
                  </div>
                ))}
                {c.commands.map((cmd) => (
                  <div key={cmd}>
                    <code>{cmd}</code>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.figures.length > 0 && (
        <>
          <h2>Figures</h2>
          <p className="muted">The report&apos;s SVG renders of the same Vega-Lite specs the rest of the dashboard draws.</p>
          <div className="figures" data-testid="report-figures">
            {report.figures.map((f) => (
              <figure key={f.id} id={`figure-${f.id}`} className="figure">
                <figcaption>
                  <b>{f.id}</b>: {f.title}
                </figcaption>
                {/* An SVG file, drawn as an image so nothing in it runs. */}
                <img src={`/api/report/figure/${enc(f.id)}`} alt={f.title} style={{ maxWidth: '100%' }} />
              </figure>
            ))}
          </div>
        </>
      )}
    </>
  );
}
