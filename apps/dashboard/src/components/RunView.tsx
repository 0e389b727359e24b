'use client';
/**
 * One run: loss and accuracy per eval set, per-head induction strength and previous-token score over
 * training, attention patterns at a checkpoint chosen with a slider (?ckpt= in the URL), the wiring
 * matrices when `opto analyze --what wiring` has stored them, and the config and clamp spec.
 *
 * Head curves and attention patterns of a clamped run are of the model it trained (its own clamp spec)
 * unless ?clamp=none asks for the same checkpoints unclamped; the page says which it shows, and marks the
 * heads the spec ablates or clamps.
 *
 * Metric rows are fetched incrementally (only rows after those already here) every second while the run
 * is running; head scores are refetched when a new checkpoint appears. The server computes head scores and
 * attention patterns in a worker thread and answers with what is ready (`pending`): both are asked for
 * again until they are complete, so a run's first view fills in instead of waiting.
 */
import { attentionHeatmapSpec, headCurvesSpec, headMatrixSpec, lossCurvesSpec, trainWindowSpec, type HeadPoint } from '@engine-figures';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { enc, getJson, learningTimeText, si } from './api';
import { CurveControls, useCurveAxes } from './CurveControls';
import { Figure, Note } from './Figure';
import type { WiringView as Wiring } from '../server/analysis';
import type { ClampShown, LiveClamp } from '../server/clamp';
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
  tags: Record<string, string>;
  note: string | null;
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

/** A head's name with what the run's clamp spec does to it ("L2H0 (ablated)"), as legends and headers show it. */
function markHead(shown: ClampShown, head: string): string {
  const what = shown.ablated.includes(head) ? 'ablated' : shown.patternClamped.includes(head) ? 'clamped' : null;
  if (!what) return head;
  return shown.clamp === 'run' ? `${head} (${what})` : `${head} (${what} in training)`;
}

/** One line for a figure's subtitle: which model its numbers are of. */
function modelLine(shown: ClampShown): string {
  if (shown.runClamp === 'none') return 'unclamped run';
  return shown.clamp === 'run' ? `as trained, with its clamp spec (${shown.runClamp})` : `unclamped (clamp spec ${shown.runClamp} removed)`;
}

/** The checkpoint ?ckpt= asks for (NaN when absent, empty or not a number). */
const wantedCheckpoint = (raw: string | null): number => (raw === null || raw.trim() === '' ? NaN : Number(raw));

/** The checkpoint to show for ?ckpt=: that one if it exists, else the nearest (the last for a non-number). */
function pickCheckpoint(checkpoints: number[], wanted: number): number | undefined {
  if (checkpoints.includes(wanted)) return wanted;
  if (!Number.isFinite(wanted)) return checkpoints[checkpoints.length - 1];
  return checkpoints.reduce((best, c) => (Math.abs(c - wanted) < Math.abs(best - wanted) ? c : best), checkpoints[0]);
}

/**
 * The layers of ?layers=l:l2 (previous-token layer l, induction layer l2, 0-indexed as `opto analyze
 * --layers` takes them) on a model of `nLayers`; null for the default (the first and the last) and for a
 * pair the model lacks (the server then answers the default; the picker shows it).
 */
function wantedLayers(raw: string | null, nLayers: number): { prevToken: number; induction: number } | null {
  const m = raw === null ? null : /^(\d+):(\d+)$/.exec(raw);
  if (!m) return null;
  const [p, i] = [Number(m[1]), Number(m[2])];
  if (p >= i || i >= nLayers || (p === 0 && i === nLayers - 1)) return null;
  return { prevToken: p, induction: i };
}

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
  // The clamp choice is page state in the URL (absent: the run's own clamp spec), so a link shows the same view.
  const clamp: LiveClamp = sp.get('clamp') === 'none' ? 'none' : 'run';
  // Which two layers the head curves and the wiring compare, also in the URL (?layers=1:2) on deeper models.
  const nLayers = detail.data?.record.config.model?.nLayers ?? 2;
  const picked = wantedLayers(sp.get('layers'), nLayers);
  const layers = picked ?? { prevToken: 0, induction: nLayers - 1 };
  const layersQ = picked ? `&layers=${picked.prevToken}:${picked.induction}` : '';
  const setLayers = (p: number, i: number) => set({ layers: p === 0 && i === nLayers - 1 ? null : `${p}:${i}` });
  const heads = useQuery({
    queryKey: ['heads', id, nCkpt, clamp, layersQ],
    queryFn: () => getJson<HeadCurves>(`${base}/heads?clamp=${clamp}${layersQ}`),
    enabled: nCkpt > 0 && !!detail.data,
    placeholderData: keepPreviousData,
    // The server scores checkpoints in the background and answers with what is ready: ask until done.
    refetchInterval: (q) => ((q.state.data?.pending ?? 0) > 0 ? 1000 : false),
  });

  const checkpoints = detail.data?.checkpoints ?? [];
  const ckptParam = sp.get('ckpt');
  const ckpt = pickCheckpoint(checkpoints, wantedCheckpoint(ckptParam));
  // A ?ckpt= that names no checkpoint (a typo, a link from another run) says what is shown instead.
  const ckptMissing = ckptParam !== null && ckpt !== undefined && ckpt !== wantedCheckpoint(ckptParam);
  const attention = useQuery({
    queryKey: ['attention', id, ckpt, clamp],
    queryFn: () => getJson<Attention>(`${base}/attention?seqs=${ckpt}&clamp=${clamp}`),
    enabled: ckpt !== undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.pending ? 500 : false),
  });
  // The last complete patterns stay on screen while another checkpoint's are being computed.
  const attReady = attention.data && !attention.data.pending ? attention.data : undefined;
  const [attShown, setAttShown] = useState<Attention>();
  if (attReady && attReady !== attShown) setAttShown(attReady);
  const att = attReady ?? attShown;
  const wiring = useQuery({ queryKey: ['wiring', id, clamp, layersQ, detail.data?.analyses.join(',')], queryFn: () => getJson<Wiring>(`${base}/wiring?clamp=${clamp}${layersQ}`), enabled: !!detail.data });

  const rec = detail.data?.record;
  const L = rec?.config.task.numLabels;
  const rows = metrics.data?.rows ?? [];
  const evalRows = useMemo(() => rows.filter((r) => r.kind === 'eval'), [rows]);
  // Loss, accuracy, the train window's loss and gradient norm: shared axes and smoothing (URL: logx, logy, xby, smooth).
  const urlAxes = useCurveAxes();
  const hasWall = rows.some((r) => typeof r.wall_s === 'number');
  const axes = useMemo(() => ({ ...urlAxes, x: hasWall ? urlAxes.x : ('seqs' as const) }), [urlAxes, hasWall]);
  const trainRows = useMemo(() => rows.filter((r) => r.kind === 'train'), [rows]);
  const curveData = (rs: Row[], metric: string) => rs.filter((r) => typeof r[metric] === 'number').map((r) => ({ kind: r.kind, seqs: r.seqs, step: r.step, set: r.set ?? null, wall_s: r.wall_s ?? null, [metric]: r[metric] }));
  const lossSpec = useMemo(() => lossCurvesSpec(evalRows, { ...axes, sets: SETS, numLabels: L, width: 440, subtitle: `${id}: mean loss per eval set; dashed: ln 2 and ln ${L} (uniform guess)` }), [evalRows, L, id, axes]);
  const accSpec = useMemo(() => lossCurvesSpec(evalRows, { ...axes, sets: SETS, metric: 'acc', width: 440, yTitle: 'accuracy', title: 'Accuracy during training', subtitle: `${id}: query accuracy per eval set` }), [evalRows, id, axes]);
  const trainLossSpec = useMemo(() => trainWindowSpec(trainRows, 'loss', { ...axes, width: 440 }), [trainRows, axes]);
  const gradSpec = useMemo(() => trainWindowSpec(trainRows, 'grad_norm', { ...axes, width: 440 }), [trainRows, axes]);
  const headSpecs = useMemo(() => {
    const hd = heads.data;
    const pts = hd?.points ?? [];
    if (!hd || !pts.length) return null;
    const last = pts[pts.length - 1];
    const name = (layer: number, h: number) => markHead(hd, `L${layer}H${h}`);
    const lay = hd.layers ?? { prevToken: 0, induction: 1 };
    const [pl, il] = [lay.prevToken + 1, lay.induction + 1];
    const ind: HeadPoint[] = pts.flatMap((p) => p.strength.map((v, h) => ({ seqs: p.seqs, head: name(il, h), value: v })));
    const prev: HeadPoint[] = pts.flatMap((p) => p.prevToken.map((v, h) => ({ seqs: p.seqs, head: name(pl, h), value: v })));
    const argmax = (xs: number[]) => xs.reduce((b, x, i) => (x > xs[b] ? i : b), 0);
    const sub = [`${pts.length} checkpoints on ${(hd.denseSet ?? '').replace(/ \(seed.*$/, '')}`, modelLine(hd)];
    return {
      ind: headCurvesSpec(ind, { width: 440, legendTitle: `Layer-${il} head`, highlight: [name(il, argmax(last.strength))], subtitle: sub.join('; ') }),
      prev: headCurvesSpec(prev, { width: 440, title: 'Previous-token score per head', yTitle: 'previous-token score', legendTitle: `Layer-${pl} head`, highlight: [name(pl, argmax(last.prevTokenAtLabels))], subtitle: sub.join('; ') }),
    };
  }, [heads.data]);
  const attSpec = useMemo(
    () =>
      att
        ? attentionHeatmapSpec(
            att.heads.map((h) => ({ ...h, head: markHead(att, h.head) })),
            { columns: 8, cell: 25, title: `Attention patterns at ${si(att.seqs)} sequences`, subtitle: `${modelLine(att)}; mean over the dense set; one row of heads per layer, Layer 1 on top; rows: query position, columns: key position` },
          )
        : null,
    [att],
  );
  const wiringSpecs = useMemo(() => {
    const w = wiring.data;
    if (!w?.available || !w.matrices) return null;
    const m = w.matrices;
    const [wl, rl] = [(w.layers?.prevToken ?? 0) + 1, (w.layers?.induction ?? 1) + 1];
    const sub = `checkpoint ${si(w.checkpoint)}, ${modelLine(w)}; rows: Layer-${rl} head i (only it active), columns: Layer-${wl} head j`;
    const marks = { rowName: (i: number) => markHead(w, `L${rl}H${i}`), colName: (j: number) => markHead(w, `L${wl}H${j}`) };
    return {
      M: headMatrixSpec(
        [
          { label: 'M^pv (value-preserving)', matrix: m.Mpv },
          { label: 'M^pp (pattern-preserving)', matrix: m.Mpp },
        ],
        { title: `Wiring: accuracy change when Layer-${wl} head j is ablated`, subtitle: sub, colorTitle: 'Δ accuracy', diverging: true, ...marks },
      ),
      N: headMatrixSpec(
        [
          { label: 'N^pv (value-preserving)', matrix: m.Npv },
          { label: 'N^pp (pattern-preserving)', matrix: m.Npp },
        ],
        { title: `Wiring: accuracy with only Layer-${wl} head j`, subtitle: sub, colorTitle: 'accuracy', domain: [0, 1], ...marks },
      ),
      C: w.composition
        ? headMatrixSpec(
            [
              { label: 'Q-composition', matrix: w.composition.q },
              { label: 'K-composition', matrix: w.composition.k },
              { label: 'V-composition', matrix: w.composition.v },
            ],
            { title: 'Composition scores (weights only)', subtitle: `Layer-${wl} head j’s W_O against Layer-${rl} head i’s W_Q / W_K / W_V`, colorTitle: 'score', ...marks },
          )
        : null,
    };
  }, [wiring.data]);

  if (detail.error) return <Note kind="error" testId="run-error">Run {id}: {(detail.error as Error).message}</Note>;
  if (!rec) return <p className="muted">Loading {id}…</p>;
  const pct = Math.min(100, (100 * rec.progress.seqs) / rec.config.schedule.seqs);
  const runClamp = detail.data!.clamp;
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
        {Object.keys(detail.data!.tags).length > 0 && (
          <span data-testid="run-tags">
            tags:{' '}
            <code>
              {Object.entries(detail.data!.tags)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}
            </code>
          </span>
        )}
        {detail.data!.note && <span data-testid="run-note">note: {detail.data!.note}</span>}
        {rec.summary && (
          <span data-testid="learning-time">
            {rec.summary.learned ? 'learning time ' : ''}
            {learningTimeText(rec.summary.learning_time, rec.summary.learned)}, {rec.summary.ms_per_step.toFixed(2)} ms/step on {rec.backend.used}
          </span>
        )}
      </div>
      {running && <Note testId="live-note">Live: this run is being written; new rows appear every second.</Note>}
      {rec.error && <Note kind="error">The run reported an error: {rec.error}</Note>}
      {metrics.error && <Note kind="error" testId="metrics-error">Metrics could not be read: {(metrics.error as Error).message}</Note>}
      {metrics.data?.partial && <Note kind="warn" testId="partial-note">The last line of metrics.jsonl is incomplete (being written, or cut off by a crash); it is ignored until it is complete.</Note>}

      <h2>Loss and accuracy</h2>
      <CurveControls wallTime={hasWall} />
      {urlAxes.x === 'wall_s' && !hasWall && rows.length > 0 && <Note>This run records no wall time per metric row (trained before it was recorded, or in the browser): x is sequences seen.</Note>}
      {evalRows.length ? (
        <div className="figures">
          <Figure spec={lossSpec} name={`${id}-loss`} testId="fig-loss" data={curveData(evalRows, 'loss')} />
          <Figure spec={accSpec} name={`${id}-accuracy`} testId="fig-accuracy" data={curveData(evalRows, 'acc')} />
          {trainRows.length > 0 && <Figure spec={trainLossSpec} name={`${id}-train-loss`} testId="fig-train-loss" data={curveData(trainRows, 'loss')} />}
          {trainRows.length > 0 && <Figure spec={gradSpec} name={`${id}-grad-norm`} testId="fig-grad-norm" data={curveData(trainRows, 'grad_norm')} />}
        </div>
      ) : (
        !metrics.error && <Note>No eval rows yet{metrics.isLoading ? ' (loading)' : ''}.</Note>
      )}

      <h2>Heads over training</h2>
      {runClamp === 'none' ? (
        <Note testId="clamp-shown">This run trained without a clamp spec: the head curves, attention patterns and wiring below are of its plain model.</Note>
      ) : (
        <>
          <div className="choice" role="radiogroup" aria-label="model shown by the head curves and attention patterns" data-testid="clamp-toggle">
            <label>
              <input type="radio" name="clamp" value="run" checked={clamp === 'run'} onChange={() => set({ clamp: null })} /> as trained, with its clamp spec
            </label>
            <label>
              <input type="radio" name="clamp" value="none" checked={clamp === 'none'} onChange={() => set({ clamp: 'none' })} /> unclamped (same checkpoints)
            </label>
          </div>
          <Note testId="clamp-shown">
            {clamp === 'run' ? (
              <>
                Shown: the model as trained. Head curves and attention patterns are computed with the run’s clamp spec (<code>{runClamp}</code>); heads it ablates or clamps are marked “(ablated)”, “(clamped)”.
              </>
            ) : (
              <>
                Shown: the same checkpoints unclamped. The run’s clamp spec (<code>{runClamp}</code>) is removed, so the heads it ablated or clamped act freely here; they are marked “(ablated in training)”, “(clamped in training)”.
              </>
            )}
          </Note>
        </>
      )}
      {nLayers > 2 && (
        <div className="choice" data-testid="layers-picker">
          <label>
            previous-token layer{' '}
            <select value={layers.prevToken} onChange={(e) => setLayers(Number(e.target.value), Math.max(layers.induction, Number(e.target.value) + 1))} data-testid="layers-prev">
              {Array.from({ length: nLayers - 1 }, (_, l) => (
                <option key={l} value={l}>
                  Layer {l + 1}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            induction layer{' '}
            <select value={layers.induction} onChange={(e) => setLayers(layers.prevToken, Number(e.target.value))} data-testid="layers-induction">
              {Array.from({ length: nLayers - 1 - layers.prevToken }, (_, k) => layers.prevToken + 1 + k).map((l) => (
                <option key={l} value={l}>
                  Layer {l + 1}
                </option>
              ))}
            </select>
          </label>{' '}
          <span>head curves and wiring between these two layers (same numbers as <code>opto analyze --what strength --layers {layers.prevToken}:{layers.induction}</code>)</span>
        </div>
      )}
      {nCkpt === 0 && <Note>No checkpoints yet: per-head scores are computed from checkpoints.</Note>}
      {nCkpt > 0 && (heads.isLoading || heads.isPlaceholderData || (heads.data?.pending ?? 0) > 0) && (
        <Note testId="heads-pending">
          Scoring checkpoints: {heads.isPlaceholderData ? 0 : (heads.data?.points.length ?? 0)} of {nCkpt} done (computed once per checkpoint and model, then cached)…
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
      {ckptMissing && (
        <Note kind="warn" testId="ckpt-missing">
          ?ckpt={ckptParam} names no checkpoint of this run; shown instead: the {Number.isFinite(wantedCheckpoint(ckptParam)) ? 'nearest' : 'last'} checkpoint, {ckpt!.toLocaleString('en')} sequences.
        </Note>
      )}
      {(attention.data?.pending || attention.isPlaceholderData) && <Note testId="attention-pending">Computing the attention patterns at {si(ckpt)} sequences (once per checkpoint and model, then cached)…</Note>}
      {attention.error && <Note kind="error">Attention: {(attention.error as Error).message}</Note>}
      {attSpec && <Figure spec={attSpec} name={`${id}-attention-${ckpt}`} testId="fig-attention" />}

      <h2>Wiring</h2>
      {wiring.error && <Note kind="error">Wiring: {(wiring.error as Error).message}</Note>}
      {wiring.data && !wiring.data.available && (
        <Note testId="wiring-missing">
          No wiring matrix stored for this run. Compute it (about half a minute) with <code>{wiring.data.command}</code>; this page shows it once it exists.
        </Note>
      )}
      {wiring.data && wiring.data.runClamp !== 'none' && (
        <Note testId="wiring-clamp">
          {wiring.data.clamp === 'run' ? (
            <>
              Wiring of the model as trained: every one of the 264 path ablations runs on top of the run’s clamp spec (<code>{wiring.data.runClamp}</code>). Its ablated heads stay ablated (marked “(ablated)”), and the patterns and values that preservation keeps are those of the clamped model.
            </>
          ) : (
            <>
              Wiring of the checkpoint unclamped: the run’s clamp spec (<code>{wiring.data.runClamp}</code>) is removed; heads it manipulates are marked “(… in training)”.
            </>
          )}
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
