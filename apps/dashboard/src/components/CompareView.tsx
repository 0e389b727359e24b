'use client';
/**
 * Compare runs (?runs=a,b,c): their curves overlaid (e.g. the Fig. 5b clamp conditions, Fig. 4b single-head
 * runs) and learning time against the number of labels or classes (Fig. 6). Polls every second while
 * any selected run is running.
 */
import { learningTimeSpec, runComparisonSpec } from '@engine-figures';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { enc, getJson, si } from './api';
import { Figure, Note } from './Figure';
import type { CompareRun } from '../server/analysis';
import { useUrlState } from './useUrlState';

const SETS: [string, string][] = [
  ['fsl_train', 'train'],
  ['fsl_test_class', 'test (exemplars)'],
  ['fsl_val_rl', 'test (relabel)'],
  ['fsl_train_valex', 'train (held-out exemplars)'],
];

export function CompareView() {
  const [sp, set] = useUrlState();
  const ids = (sp.get('runs') ?? '').split(',').filter(Boolean);
  const evalSet = sp.get('set') ?? 'fsl_train';
  const metric = sp.get('metric') === 'acc' ? 'acc' : 'loss';
  const by = sp.get('x') === 'classes' ? 'classes' : 'labels';
  const groupParam = sp.get('g');
  const q = useQuery({
    queryKey: ['compare', ids.join(',')],
    queryFn: () => getJson<CompareRun[]>(`/api/compare?runs=${ids.map(enc).join(',')}`),
    enabled: ids.length > 0,
    refetchInterval: (s) => (s.state.data?.some((r) => r.status === 'running') ? 1000 : false),
  });
  const runs = q.data ?? [];
  const ok = runs.filter((r) => !r.error);
  const specs = useMemo(() => {
    if (!ok.length) return null;
    // Legend: the paper's condition labels when they name each run uniquely (Fig. 5b's "1, 2, 3qk, 4", ...),
    // else the presets when those do (fig15 runs differ only in strength), else the run ids.
    const unique = (xs: (string | null)[]) => xs.every((x) => x) && new Set(xs).size === xs.length;
    const legendBy = unique(ok.map((r) => r.legend)) ? 'legend' : unique(ok.map((r) => r.preset)) ? 'preset' : 'id';
    const label = (r: CompareRun) => (legendBy === 'id' ? r.id : r[legendBy]!);
    const Ls = [...new Set(ok.map((r) => r.labels))];
    const curves = runComparisonSpec(
      ok.map((r) => ({ label: label(r), rows: r.rows })),
      {
        set: evalSet,
        metric,
        yTitle: metric === 'acc' ? `${SETS.find((s) => s[0] === evalSet)?.[1] ?? evalSet} accuracy` : undefined,
        learningThreshold: metric === 'loss' && evalSet === 'fsl_train',
        numLabels: Ls.length === 1 && Ls[0] !== null ? Ls[0] : undefined,
        subtitle: metric === 'loss' ? `dashed: ln 2${evalSet === 'fsl_train' ? ', learning threshold 0.4·ln 2' : ''}${Ls.length === 1 ? ` and ln ${Ls[0]}` : ''}` : undefined,
        legendTitle: legendBy === 'legend' ? 'condition' : legendBy === 'preset' ? 'preset' : 'run',
      },
    );
    // Fig. 6 draws one line per clamp condition; without several conditions, one per value of the other variable.
    const group = groupParam === 'clamp' || groupParam === 'preset' || groupParam === 'other' ? groupParam : new Set(ok.map((r) => r.clamp)).size > 1 ? 'clamp' : 'other';
    const other = (r: CompareRun) => (by === 'labels' ? `${r.classes} classes` : `L = ${r.labels}`);
    const pts = ok
      .filter((r) => r.learningTime !== null && r.labels !== null && r.classes !== null)
      .map((r) => ({
        x: (by === 'labels' ? r.labels : r.classes)!,
        seqs: r.learningTime!,
        learned: r.learned,
        group: group === 'clamp' ? r.clamp : group === 'preset' ? (r.preset ?? r.id) : other(r),
        run: r.id,
      }));
    const lt = pts.length
      ? learningTimeSpec(pts, {
          xTitle: by === 'labels' ? '# labels' : '# training classes',
          legendTitle: group === 'clamp' ? 'clamp' : group === 'preset' ? 'preset' : by === 'labels' ? 'classes' : 'labels',
          title: `Learning time vs # ${by === 'labels' ? 'labels' : 'classes'}`,
        })
      : null;
    return { curves, lt, group };
  }, [ok, evalSet, metric, by, groupParam]);

  if (!ids.length)
    return (
      <>
        <h1>Compare</h1>
        <Note>
          No runs selected. Tick runs in the <Link href="/">runs table</Link> and press “Compare”, or open <code>/compare?runs=a,b,c</code>.
        </Note>
      </>
    );
  return (
    <>
      <h1>Compare {ids.length} runs</h1>
      <div className="filters">
        <label>
          eval set
          <select value={evalSet} onChange={(e) => set({ set: e.target.value === 'fsl_train' ? null : e.target.value })}>
            {SETS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          metric
          <select value={metric} onChange={(e) => set({ metric: e.target.value === 'loss' ? null : e.target.value })}>
            <option value="loss">loss</option>
            <option value="acc">accuracy</option>
          </select>
        </label>
        <label>
          learning time against
          <select value={by} onChange={(e) => set({ x: e.target.value === 'labels' ? null : e.target.value })} data-testid="lt-axis">
            <option value="labels"># labels</option>
            <option value="classes"># classes</option>
          </select>
        </label>
        <label>
          one line per
          <select value={specs?.group ?? 'other'} onChange={(e) => set({ g: e.target.value })} data-testid="lt-group">
            <option value="other">{by === 'labels' ? '# classes' : '# labels'}</option>
            <option value="clamp">clamp condition</option>
            <option value="preset">preset</option>
          </select>
        </label>
      </div>
      {q.error && <Note kind="error">{(q.error as Error).message}</Note>}
      {runs
        .filter((r) => r.error)
        .map((r) => (
          <Note key={r.id} kind="error">
            {r.id}: {r.error}
          </Note>
        ))}
      {specs && (
        <div className="figures">
          <Figure spec={specs.curves} name="compare-curves" testId="fig-compare" />
          {specs.lt ? <Figure spec={specs.lt} name={`learning-time-vs-${by}`} testId="fig-learning-time" /> : <Note>No learning times yet (the runs have no eval rows).</Note>}
        </div>
      )}
      <h2>Runs</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>run</th>
            <th>status</th>
            <th>preset</th>
            <th>clamp</th>
            <th>classes</th>
            <th>labels</th>
            <th>learning time</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/runs/${enc(r.id)}`}>{r.id}</Link>
              </td>
              <td>
                <span className={`badge ${r.status}`}>{r.status}</span>
              </td>
              <td>{r.preset ?? '–'}</td>
              <td className="mono">{r.clamp}</td>
              <td className="num">{r.classes ?? '–'}</td>
              <td className="num">{r.labels ?? '–'}</td>
              <td className="num">{r.learningTime === null ? '–' : `${si(r.learningTime)}${r.learned ? '' : ' (not learned)'}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
