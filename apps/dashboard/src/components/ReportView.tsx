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
interface Figure {
  id: string;
  title: string;
  file: string;
  runs: string[];
}
interface ReportView {
  command: string;
  live: { judgedAt: string; claims: Claim[]; summary: { pass: number; fail: number; missing: number }; data?: { description: string }; roles: Record<string, string>; rolesOutside: string[] };
  available: boolean;
  report?: { generatedAt: string; figures: Figure[] };
}

const time = (iso: string) => iso.replace('T', ' ').slice(0, 19);

export function ReportView() {
  const q = useQuery({ queryKey: ['report'], queryFn: () => getJson<ReportView>('/api/report'), refetchInterval: 5000 });
  if (q.error) return <Note kind="error" testId="report-error">Report: {(q.error as Error).message}</Note>;
  if (!q.data) return <p className="muted">Loading…</p>;
  const { live, report, command } = q.data;
  const figures = report?.figures ?? [];
  const roles = Object.entries(live.roles);
  return (
    <>
      <h1>Report</h1>
      <p className="muted" data-testid="report-summary">
        {live.summary.pass} pass, {live.summary.fail} fail, {live.summary.missing} missing: judged {time(live.judgedAt)} on the runs this directory holds, as <code>{command}</code> judges
        them{live.data ? `; data: ${live.data.description}` : ''}
        {roles.length > 0 && <> (roles assigned by its last run: {roles.map(([role, dir]) => `${role}=${dir}`).join(', ')})</>}.
      </p>
      {live.rolesOutside.length > 0 && (
        <Note testId="report-roles-outside">
          The last <code>opto report</code> assigned {live.rolesOutside.join(', ')} with --role to runs outside this runs directory, which the dashboard does not read; those roles are judged without
          them here.
        </Note>
      )}
      {!report && (
        <Note testId="report-missing">
          No report file in this runs directory yet: <code>{command}</code> renders the figures and computes the model analyses that the claims on the final model need (stored, then read here).
        </Note>
      )}
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
          {live.claims.map((c) => (
            <tr key={c.id} data-testid="claim-row" data-claim={c.id} data-status={c.status}>
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
                    {figures.some((x) => x.id === f) ? <a href={`#figure-${f}`}>{f}</a> : <span className="muted">{f}</span>}
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
      {report && figures.length > 0 && (
        <>
          <h2>Figures</h2>
          <p className="muted">
            The SVG renders of the same Vega-Lite specs the rest of the dashboard draws, as <code>opto report</code> wrote them at {time(report.generatedAt)}.
          </p>
          <div className="figures" data-testid="report-figures">
            {figures.map((f) => (
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
