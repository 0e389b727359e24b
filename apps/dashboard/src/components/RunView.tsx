'use client';
/**
 * One run: loss and accuracy per eval set, per-head induction strength and previous-token score over
 * training, attention patterns at a checkpoint chosen with a slider (?ckpt= in the URL), the wiring
 * matrices when `opto analyze --what wiring` has stored them, and the config and clamp spec.
 *
 * Metric rows are fetched incrementally (only rows after those already here) every second while the run
 * is running; head scores are refetched when a new checkpoint appears. The server computes head scores and
 * attention patterns in a worker thread and answers with what is ready (`pending`): both are asked for
 * again until they are complete, so a run's first view fills in instead of waiting.
 */
import { attentionHeatmapSpec, headCurvesSpec, headMatrixSpec, lossCurvesSpec, type HeadPoint } from '@engine-figures';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { enc, getJson, si } from './api';
import { Figure, Note } from './Figure';
import type { WiringView as Wiring } from '../server/analysis';
import type { AttentionAt as Attention, HeadCurves } from '../server/heads';
import { StaleBadge } from './StaleBadge';
import { useUrlState } from './useUrlState';

type Row = { kind: 'eval' | 'train'; seqs: number; step: number; set?: string; [k: string]: number | string | undefined };
interface Detail {
  id: string;
  record: {
    status: string;
    config: { preset?: string; task: { numLabels: number; classSplit: number[] }; schedule: { seqs: number }; interventions?: unknown; model: { nHeads: number; nLayers: number } };
    progress: { seqs: number; step: number };
    summary?: { learning_time: number; learned: boolean; wall_s: number; ms_per_step: number };
    backend: { used: string };
    error?: string;
    created_at: string;
    updated_at: string;
  };
  clamp: string;
  checkpoints: number[];
  analyses: string[];
  stale: { lastSeen: string; host: string; resume: string } | null;
}
interface MetricsPage {
  status: string;
  total: number;
  after: number;
  rows: Row[];
  partial: boolean;
  reset?: boolean;
}
interface Accum {
  status: string;
  rows: Row[];
  partial: boolean;
}

const SETS = ['fsl_train', 'fsl_test_class', 'fsl_val_rl', 'fsl_train_valex'];

export function RunView({ id }: { id: string }) {
  const base = `/api/runs/${enc(id)}`;
  const qc = useQueryClient();
  const [sp, set] = useUrlState();

  const detail = useQuery({
    queryKey: ['run', id],
    queryFn: () => getJson<Detail>(base),
    refetchInterval: (q) => (q.state.data?.record.status === 'running' ? 2000 : false),
  });
  const running = detail.data?.record.status === 'running';

  // Incremental: ask only for rows after the ones already in the cache, append them.
  const metrics = useQuery({
    queryKey: ['metrics', id],
    queryFn: async (): Promise<Accum> => {
      const prev = qc.getQueryData<Accum>(['metrics', id]);
      const page = await getJson<MetricsPage>(`${base}/metrics?after=${prev?.rows.length ?? 0}`);
      const rows = page.reset || !prev ? page.rows : page.rows.length ? [...prev.rows, ...page.rows] : prev.rows;
      return { status: page.status, rows, partial: page.partial };
    },
    refetchInterval: (q) => (q.state.data?.status === 'running' || running ? 1000 : false),
  });

  const nCkpt = detail.data?.checkpoints.length ?? 0;
  const heads = useQuery({
    queryKey: ['heads', id, nCkpt],
    queryFn: () => getJson<HeadCurves>(`${base}/heads`),
    enabled: nCkpt > 0,
    placeholderData: keepPreviousData,
    // The server scores checkpoints in the background and answers with what is ready: ask until done.
    refetchInterval: (q) => ((q.state.data?.pending ?? 0) > 0 ? 1000 : false),
  });

  const checkpoints = detail.data?.checkpoints ?? [];
  const wanted = sp.get('ckpt') === null ? NaN : Number(sp.get('ckpt'));
  const ckpt = checkpoints.includes(wanted) ? wanted : checkpoints[checkpoints.length - 1];
  const attention = useQuery({
    queryKey: ['attention', id, ckpt],
    queryFn: () => getJson<Attention>(`${base}/attention?seqs=${ckpt}`),
    enabled: ckpt !== undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.pending ? 500 : false),
  });
  // The last complete patterns stay on screen while another checkpoint's are being computed.
  const attReady = attention.data && !attention.data.pending ? attention.data : undefined;
  const [attShown, setAttShown] = useState<Attention>();
  if (attReady && attReady !== attShown) setAttShown(attReady);
  const att = attReady ?? attShown;
  const wiring = useQuery({ queryKey: ['wiring', id, detail.data?.analyses.join(',')], queryFn: () => getJson<Wiring>(`${base}/wiring`), enabled: !!detail.data });

  const rec = detail.data?.record;
  const L = rec?.config.task.numLabels;
  const rows = metrics.data?.rows ?? [];
  const evalRows = useMemo(() => rows.filter((r) => r.kind === 'eval'), [rows]);
  const lossSpec = useMemo(() => lossCurvesSpec(evalRows, { sets: SETS, numLabels: L, width: 440, subtitle: `${id}: mean loss per eval set; dashed: ln 2 and ln ${L} (uniform guess)` }), [evalRows, L, id]);
  const accSpec = useMemo(() => lossCurvesSpec(evalRows, { sets: SETS, metric: 'acc', width: 440, yTitle: 'accuracy', title: 'Accuracy during training', subtitle: `${id}: query accuracy per eval set` }), [evalRows, id]);
  const headSpecs = useMemo(() => {
    const pts = heads.data?.points ?? [];
    if (!pts.length) return null;
    const last = pts[pts.length - 1];
    const ind: HeadPoint[] = pts.flatMap((p) => p.strength.map((v, h) => ({ seqs: p.seqs, head: `L2H${h}`, value: v })));
    const prev: HeadPoint[] = pts.flatMap((p) => p.prevToken.map((v, h) => ({ seqs: p.seqs, head: `L1H${h}`, value: v })));
    const argmax = (xs: number[]) => xs.reduce((b, x, i) => (x > xs[b] ? i : b), 0);
    const sub = `${pts.length} checkpoints; clean model on ${(heads.data!.denseSet ?? '').replace(/ \(seed.*$/, '')}`;
    return {
      ind: headCurvesSpec(ind, { width: 440, highlight: [`L2H${argmax(last.strength)}`], subtitle: sub }),
      prev: headCurvesSpec(prev, { width: 440, title: 'Previous-token score per head', yTitle: 'previous-token score', legendTitle: 'Layer-1 head', highlight: [`L1H${argmax(last.prevTokenAtLabels)}`], subtitle: sub }),
    };
  }, [heads.data]);
  const attSpec = useMemo(
    () => (att ? attentionHeatmapSpec(att.heads, { columns: 8, cell: 25, title: `Attention patterns at ${si(att.seqs)} sequences`, subtitle: 'mean over the dense set; top row Layer 1, bottom row Layer 2; rows: query position, columns: key position' }) : null),
    [att],
  );
  const wiringSpecs = useMemo(() => {
    const w = wiring.data;
    if (!w?.available || !w.matrices) return null;
    const m = w.matrices;
    const sub = `checkpoint ${si(w.checkpoint)}; rows: Layer-2 head i (only it active), columns: Layer-1 head j`;
    return {
      M: headMatrixSpec(
        [
          { label: 'M^pv (value-preserving)', matrix: m.Mpv },
          { label: 'M^pp (pattern-preserving)', matrix: m.Mpp },
        ],
        { title: 'Wiring: accuracy change when Layer-1 head j is ablated', subtitle: sub, colorTitle: 'Δ accuracy', diverging: true },
      ),
      N: headMatrixSpec(
        [
          { label: 'N^pv (value-preserving)', matrix: m.Npv },
          { label: 'N^pp (pattern-preserving)', matrix: m.Npp },
        ],
        { title: 'Wiring: accuracy with only Layer-1 head j', subtitle: sub, colorTitle: 'accuracy', domain: [0, 1] },
      ),
      C: w.composition
        ? headMatrixSpec(
            [
              { label: 'Q-composition', matrix: w.composition.q },
              { label: 'K-composition', matrix: w.composition.k },
              { label: 'V-composition', matrix: w.composition.v },
            ],
            { title: 'Composition scores (weights only)', subtitle: 'Layer-1 head j’s W_O against Layer-2 head i’s W_Q / W_K / W_V', colorTitle: 'score' },
          )
        : null,
    };
  }, [wiring.data]);

  if (detail.error) return <Note kind="error" testId="run-error">Run {id}: {(detail.error as Error).message}</Note>;
  if (!rec) return <p className="muted">Loading {id}…</p>;
  const pct = Math.min(100, (100 * rec.progress.seqs) / rec.config.schedule.seqs);
  const ckptIndex = ckpt === undefined ? 0 : checkpoints.indexOf(ckpt);

  return (
    <>
      <h1>
        {id} <span className={`badge ${rec.status}`} data-testid="run-status">{rec.status}</span>
        {detail.data!.stale && <StaleBadge stale={detail.data!.stale} full />}
      </h1>
      <div className="meta">
        <span>preset: {rec.config.preset ?? '–'}</span>
        <span>clamp: <code>{detail.data!.clamp}</code></span>
        <span>
          {rec.config.task.classSplit[0]} classes, L = {L}
        </span>
        <span>
          progress <span className="progress"><span style={{ width: `${pct}%` }} /></span> {si(rec.progress.seqs)} / {si(rec.config.schedule.seqs)} sequences
        </span>
        <span data-testid="row-count">{rows.length} metric rows</span>
        {rec.summary && (
          <span>
            learning time {si(rec.summary.learning_time)}
            {rec.summary.learned ? '' : ' (not learned)'}, {rec.summary.ms_per_step.toFixed(2)} ms/step on {rec.backend.used}
          </span>
        )}
      </div>
      {running && <Note testId="live-note">Live: this run is being written; new rows appear every second.</Note>}
      {rec.error && <Note kind="error">The run reported an error: {rec.error}</Note>}
      {metrics.error && <Note kind="error" testId="metrics-error">Metrics could not be read: {(metrics.error as Error).message}</Note>}
      {metrics.data?.partial && <Note kind="warn" testId="partial-note">The last line of metrics.jsonl is incomplete (being written, or cut off by a crash); it is ignored until it is complete.</Note>}

      <h2>Loss and accuracy</h2>
      {evalRows.length ? (
        <div className="figures">
          <Figure spec={lossSpec} name={`${id}-loss`} testId="fig-loss" />
          <Figure spec={accSpec} name={`${id}-accuracy`} testId="fig-accuracy" />
        </div>
      ) : (
        !metrics.error && <Note>No eval rows yet{metrics.isLoading ? ' (loading)' : ''}.</Note>
      )}

      <h2>Heads over training</h2>
      {nCkpt === 0 && <Note>No checkpoints yet: per-head scores are computed from checkpoints.</Note>}
      {nCkpt > 0 && (heads.isLoading || (heads.data?.pending ?? 0) > 0) && (
        <Note testId="heads-pending">
          Scoring checkpoints: {heads.data?.points.length ?? 0} of {nCkpt} done (computed once per checkpoint, then cached)…
        </Note>
      )}
      {heads.error && <Note kind="error">Head scores: {(heads.error as Error).message}</Note>}
      {heads.data?.errors.map((e) => (
        <Note key={e} kind="warn">
          {e}
        </Note>
      ))}
      {headSpecs && (
        <div className="figures">
          <Figure spec={headSpecs.ind} name={`${id}-induction-strength`} testId="fig-induction" />
          <Figure spec={headSpecs.prev} name={`${id}-previous-token`} testId="fig-prevtoken" />
        </div>
      )}

      <h2>Attention patterns</h2>
      {checkpoints.length > 0 && (
        <div className="slider">
          <label htmlFor="ckpt">checkpoint</label>
          <input id="ckpt" type="range" min={0} max={checkpoints.length - 1} value={ckptIndex} onChange={(e) => set({ ckpt: String(checkpoints[Number(e.target.value)]) })} data-testid="ckpt-slider" />
          <span data-testid="ckpt-label">
            {si(ckpt)} sequences ({ckptIndex + 1} of {checkpoints.length})
          </span>
        </div>
      )}
      {attention.data?.pending && <Note testId="attention-pending">Computing the attention patterns at {si(attention.data.seqs)} sequences (once per checkpoint, then cached)…</Note>}
      {attention.error && <Note kind="error">Attention: {(attention.error as Error).message}</Note>}
      {attSpec && <Figure spec={attSpec} name={`${id}-attention-${ckpt}`} testId="fig-attention" />}

      <h2>Wiring</h2>
      {wiring.error && <Note kind="error">Wiring: {(wiring.error as Error).message}</Note>}
      {wiring.data && !wiring.data.available && (
        <Note testId="wiring-missing">
          No wiring matrix stored for this run. Compute it (about half a minute) with <code>{wiring.data.command}</code>; this page shows it once it exists.
        </Note>
      )}
      {wiringSpecs && (
        <div className="figures">
          <Figure spec={wiringSpecs.M} name={`${id}-wiring-M`} testId="fig-wiring-m" />
          <Figure spec={wiringSpecs.N} name={`${id}-wiring-N`} testId="fig-wiring-n" />
          {wiringSpecs.C && <Figure spec={wiringSpecs.C} name={`${id}-composition`} testId="fig-composition" />}
        </div>
      )}

      <h2>Config and clamp spec</h2>
      <div className="cols">
        <div>
          <h3>Clamp spec (config.interventions)</h3>
          <pre className="json" data-testid="clamp-json">{JSON.stringify(rec.config.interventions ?? {}, null, 2)}</pre>
        </div>
        <div>
          <h3>Config</h3>
          <pre className="json">{JSON.stringify({ ...rec.config, interventions: undefined }, null, 2)}</pre>
        </div>
      </div>
    </>
  );
}
