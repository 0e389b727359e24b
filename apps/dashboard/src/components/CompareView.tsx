'use client';
/**
 * Compare runs (?runs=a,b,c), read the way the paper's figures read: the runs grouped by any config fields
 * (?by=clamp,labels) or automatically by every field they differ in except the seeds (?by=auto, the
 * default), one line per group with the mean over its seeds and a band (?band=std|minmax), named by the
 * paper's condition labels where they apply; learning time per group (mean ± std, each seed a point) and
 * against the number of labels or classes (Fig. 6); a parallel-coordinates view of config fields against
 * outcomes; the runs and groups as tables. Axes, smoothing and x (sequences or wall time) are shared with
 * every curve (CurveControls). The server aggregates (/api/sweep); every figure and table exports CSV.
 * Polls every second while any selected run is running.
 */
import {
  evalSetLabel,
  groupCurveRows,
  groupCurvesSpec,
  groupLearningTimeRows,
  groupLearningTimeSpec,
  learningTimeSpec,
  LN2,
  parallelCoordsSpec,
  type GroupLearningTimes,
  type RefLine,
} from '@engine-figures';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { enc, getJson, learningTimeText, si } from './api';
import { CurveControls, useCurveAxes } from './CurveControls';
import { CsvButton, Figure, Note } from './Figure';
import type { SweepAnswer, SweepRun } from '../server/sweep';
import { useUrlState } from './useUrlState';

const SETS = ['fsl_train', 'fsl_test_class', 'fsl_val_rl', 'fsl_train_valex'];
/** What the curve shows: an eval set's metric, or the train window's loss or gradient norm. */
const METRICS: [string, string][] = [
  ['loss', 'loss'],
  ['acc', 'accuracy'],
  ['train_loss', 'train-window loss'],
  ['grad_norm', 'gradient norm'],
];

export function CompareView() {
  const [sp, set] = useUrlState();
  const ids = (sp.get('runs') ?? '').split(',').filter(Boolean);
  const evalSet = sp.get('set') ?? 'fsl_train';
  const metricParam = sp.get('metric') ?? 'loss';
  const metric = METRICS.some(([m]) => m === metricParam) ? metricParam : 'loss';
  const by = sp.get('by') ?? 'auto';
  const band = sp.get('band') === 'minmax' ? 'minmax' : 'std';
  const ltBy = sp.get('x') === 'classes' ? 'classes' : 'labels';
  const groupParam = sp.get('g');
  const axes = useCurveAxes();
  const kind = metric === 'train_loss' || metric === 'grad_norm' ? 'train' : 'eval';
  const apiUrl = `/api/sweep?runs=${ids.map(enc).join(',')}&by=${enc(by)}&kind=${kind}&set=${enc(evalSet)}&metric=${metric === 'train_loss' ? 'loss' : metric}&x=${axes.x}`;
  const q = useQuery({
    queryKey: ['sweep', apiUrl],
    queryFn: () => getJson<SweepAnswer>(apiUrl),
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
    refetchInterval: (s) => (s.state.data?.runs.some((r) => r.status === 'running') ? 1000 : false),
  });
  const data = q.data;
  const byList = data?.by ?? [];

  const yTitle = metric === 'loss' ? `${evalSetLabel(evalSet)} loss` : metric === 'acc' ? `${evalSetLabel(evalSet)} accuracy` : metric === 'train_loss' ? 'train-window loss' : 'gradient norm';
  const figs = useMemo(() => {
    if (!data?.groups.length) return null;
    const series = data.groups.map((g) => ({ label: g.legend, points: g.points }));
    const Ls = [...new Set(data.runs.map((r) => r.labels))];
    const refs: RefLine[] = [];
    if (metric === 'loss') {
      refs.push({ y: LN2, label: 'ln 2' });
      if (Ls.length === 1 && Ls[0] !== null && Ls[0] > 2) refs.push({ y: Math.log(Ls[0]), label: `ln ${Ls[0]}` });
      if (evalSet === 'fsl_train') refs.push({ y: 0.4 * LN2, label: '0.4·ln 2' });
    }
    const legendTitle = data.labelledBy === 'paper' ? 'condition' : byList.length ? byList.join(', ') : 'runs';
    const curveRows = groupCurveRows(series, { band, smoothing: axes.smoothing });
    const curves = groupCurvesSpec(series, { ...axes, band, yTitle, legendTitle, refs, title: `${yTitle} by ${data.labelledBy === 'paper' ? 'condition' : 'group'}`, width: 520 });

    const ltGroups: GroupLearningTimes[] = data.groups.map((g) => ({
      label: g.legend,
      seeds: data.runs.filter((r) => r.group === g.legend && r.stats?.learningTime != null).map((r) => ({ run: r.id, seqs: r.stats!.learningTime!, learned: r.stats!.learned })),
    }));
    const ltRows = groupLearningTimeRows(ltGroups);
    const lt = ltRows.length ? groupLearningTimeSpec(ltGroups, { legendTitle, logY: axes.logY }) : null;
    const ltSeedRows = ltGroups.flatMap((g) => g.seeds.map((s) => ({ group: g.label, ...s })));

    // Fig. 6: one line per clamp condition; without several conditions, one per value of the other variable.
    const group = groupParam === 'clamp' || groupParam === 'preset' || groupParam === 'other' ? groupParam : new Set(data.runs.map((r) => r.clamp)).size > 1 ? 'clamp' : 'other';
    const other = (r: SweepRun) => (ltBy === 'labels' ? `${r.classes} classes` : `L = ${r.labels}`);
    const pts = data.runs
      .filter((r) => r.stats?.learningTime != null && r.labels !== null && r.classes !== null)
      .map((r) => ({
        x: (ltBy === 'labels' ? r.labels : r.classes)!,
        seqs: r.stats!.learningTime!,
        learned: r.stats!.learned,
        group: group === 'clamp' ? r.clamp : group === 'preset' ? (r.preset ?? r.id) : other(r),
        run: r.id,
      }));
    const fig6 = pts.length
      ? learningTimeSpec(pts, {
          xTitle: ltBy === 'labels' ? '# labels' : '# training classes',
          legendTitle: group === 'clamp' ? 'clamp' : group === 'preset' ? 'preset' : ltBy === 'labels' ? 'classes' : 'labels',
          title: `Learning time vs # ${ltBy === 'labels' ? 'labels' : 'classes'}`,
          logY: axes.logY,
        })
      : null;

    // Hyperparameters against outcomes: the grouped-by fields (or those that differ), then the results.
    const dims = [...(byList.length ? byList : []), 'learning time', 'final train loss', 'final test loss'];
    const hpRuns = data.runs.map((r) => {
      const g = data.groups.find((x) => x.legend === r.group);
      return {
        id: r.id,
        group: r.group,
        values: {
          ...(g?.values ?? {}),
          'learning time': r.stats?.learningTime ?? null,
          'final train loss': r.stats?.finalLoss.fsl_train ?? null,
          'final test loss': r.stats?.finalLoss.fsl_test_class ?? null,
        },
      };
    });
    const hp = data.runs.length > 1 ? parallelCoordsSpec(hpRuns, dims, { legendTitle }) : null;
    const hpRows = hpRuns.map((r) => ({ run: r.id, group: r.group, ...r.values }));
    return { curves, curveRows, lt, ltRows, ltSeedRows, fig6, fig6Rows: pts, group, hp, hpRows };
  }, [data, byList, metric, evalSet, band, axes, yTitle, groupParam, ltBy]);

  const runRows = useMemo(
    () =>
      (data?.runs ?? []).map((r) => ({
        run: r.id,
        group: r.group,
        status: r.status,
        preset: r.preset,
        clamp: r.clamp,
        classes: r.classes,
        labels: r.labels,
        seed: r.seed,
        learning_time: r.stats?.learningTime ?? null,
        learned: r.stats?.learned ?? null,
        final_train_loss: r.stats?.finalLoss.fsl_train ?? null,
        final_test_loss: r.stats?.finalLoss.fsl_test_class ?? null,
      })),
    [data],
  );

  if (!ids.length)
    return (
      <>
        <h1>Compare</h1>
        <Note>
          No runs selected. Tick runs in the <Link href="/">runs table</Link> and press “Compare”, or open <code>/compare?runs=a,b,c</code>.
        </Note>
      </>
    );
  const setBy = (fields: string[] | 'auto') => set({ by: fields === 'auto' ? null : fields.length ? fields.join(',') : 'id' });
  const explicit = by === 'auto' ? null : byList;
  return (
    <>
      <h1>
        Compare {ids.length} runs{data ? ` in ${data.groups.length} group${data.groups.length === 1 ? '' : 's'}` : ''}
      </h1>
      <div className="filters">
        <label>
          group by
          <span className="chips" data-testid="group-by">
            {by === 'auto' ? <span className="chip">auto: {byList.length ? byList.join(', ') : 'nothing differs'}</span> : null}
            {explicit?.map((f) => (
              <span key={f} className="chip">
                {f}
                <button type="button" aria-label={`stop grouping by ${f}`} onClick={() => setBy(explicit.filter((x) => x !== f))}>
                  ×
                </button>
              </span>
            ))}
          </span>
        </label>
        <label>
          add field
          <select
            value=""
            data-testid="group-by-add"
            onChange={(e) => {
              const v = e.target.value;
              if (v === 'auto') setBy('auto');
              else if (v) setBy([...(explicit ?? []).filter((x) => x !== 'id'), v]);
            }}
          >
            <option value="">choose…</option>
            <option value="auto">auto (every field that differs, except seeds)</option>
            <option value="id">none (one line per run)</option>
            {(data?.fields ?? []).map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <label>
          band
          <select value={band} onChange={(e) => set({ band: e.target.value === 'std' ? null : e.target.value })} data-testid="band">
            <option value="std">±1 std</option>
            <option value="minmax">min to max</option>
          </select>
        </label>
        <label>
          curve
          <select value={metric} onChange={(e) => set({ metric: e.target.value === 'loss' ? null : e.target.value })} data-testid="metric">
            {METRICS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          eval set
          <select value={evalSet} disabled={kind === 'train'} onChange={(e) => set({ set: e.target.value === 'fsl_train' ? null : e.target.value })}>
            {SETS.map((v) => (
              <option key={v} value={v}>
                {evalSetLabel(v)}
              </option>
            ))}
          </select>
        </label>
        <label>
          learning time against
          <select value={ltBy} onChange={(e) => set({ x: e.target.value === 'labels' ? null : e.target.value })} data-testid="lt-axis">
            <option value="labels"># labels</option>
            <option value="classes"># classes</option>
          </select>
        </label>
        <label>
          Fig. 6: one line per
          <select value={figs?.group ?? 'other'} onChange={(e) => set({ g: e.target.value })} data-testid="lt-group">
            <option value="other">{ltBy === 'labels' ? '# classes' : '# labels'}</option>
            <option value="clamp">clamp condition</option>
            <option value="preset">preset</option>
          </select>
        </label>
      </div>
      <CurveControls />
      {q.error && <Note kind="error">{(q.error as Error).message}</Note>}
      {data?.errors.map((r) => (
        <Note key={r.id} kind="error">
          {r.id}: {r.error}
        </Note>
      ))}
      {axes.x === 'wall_s' && data && data.groups.every((g) => !g.points.length) && <Note>These runs record no wall time per metric row (runs trained before it was recorded, or in the browser): choose x = sequences seen.</Note>}
      {figs && (
        <div className="figures">
          <Figure spec={figs.curves} name="compare-curves" testId="fig-compare" data={figs.curveRows} />
          {figs.lt ? <Figure spec={figs.lt} name="learning-time-per-group" testId="fig-group-learning-time" data={figs.ltSeedRows} /> : <Note>No learning times yet (the runs have no fsl_train evals).</Note>}
          {figs.fig6 && <Figure spec={figs.fig6} name={`learning-time-vs-${ltBy}`} testId="fig-learning-time" data={figs.fig6Rows} />}
          {figs.hp && <Figure spec={figs.hp} name="hyperparameters" testId="fig-hyperparameters" data={figs.hpRows} />}
        </div>
      )}
      {data && (
        <>
          <h2>
            Groups <CsvButton rows={groupTableRows(data, figs?.ltRows ?? [])} name="groups" />
          </h2>
          <table className="grid" data-testid="groups-table">
            <HeadRow cols={['group', 'seeds', 'finished', 'learning time (mean ± std)', 'learned']} />
            <tbody>
              {groupTableRows(data, figs?.ltRows ?? []).map((g) => (
                <tr key={g.group}>
                  <td>{g.group}</td>
                  <td className="num">{g.seeds}</td>
                  <td className="num">{g.finished}</td>
                  <td className="num">{g.learning_time_mean === null ? '–' : `${si(g.learning_time_mean)} ± ${si(g.learning_time_std)}`}</td>
                  <td className="num">{g.learned === null ? '–' : `${g.learned} of ${g.seeds}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>
        Runs <CsvButton rows={runRows} name="runs" />
      </h2>
      <table className="grid" data-testid="compare-runs">
        <HeadRow cols={['run', 'group', 'status', 'preset', 'clamp', 'classes', 'labels', 'seed', 'learning time', 'final train loss']} />
        <tbody>
          {runRows.map((r) => (
            <tr key={r.run}>
              <td>
                <Link href={`/runs/${enc(r.run)}`}>{r.run}</Link>
              </td>
              <td>{r.group}</td>
              <td>
                <span className={`badge ${r.status}`}>{r.status}</span>
              </td>
              <td>{r.preset ?? '–'}</td>
              <td className="mono">{r.clamp}</td>
              <td className="num">{r.classes ?? '–'}</td>
              <td className="num">{r.labels ?? '–'}</td>
              <td className="num">{r.seed ?? '–'}</td>
              <td className="num">{learningTimeText(r.learning_time, r.learned)}</td>
              <td className="num">{r.final_train_loss === null ? '–' : r.final_train_loss.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function groupTableRows(data: SweepAnswer, lt: readonly { group: string; mean: number; std: number; learned: number }[]) {
  return data.groups.map((g) => {
    const l = lt.find((x) => x.group === g.legend);
    return { group: g.legend, seeds: g.members.length, finished: g.finished, learning_time_mean: l?.mean ?? null, learning_time_std: l?.std ?? null, learned: l?.learned ?? null, ...g.values };
  });
}

function HeadRow({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th key={c}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}
