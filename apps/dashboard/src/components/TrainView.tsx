'use client';
/**
 * /train: train a preset live in the page with the engine's own training loop (`trainInPage`: same model,
 * clamps, batches and eval schedule as `opto train`), pick clamps from a form, watch the loss and
 * induction-strength curves stream in, pause/resume/stop, and download the run directory as a zip.
 *
 * Training runs in a Web Worker (workers/train.worker.ts), so the page never stalls. Backends:
 * - webgpu: the engine's webgpu backend, its device in a second worker (workers/gpu.worker.ts). The
 *   Backend interface reads synchronously, which the train worker does by blocking on a SharedArrayBuffer
 *   (Atomics.wait) until the GPU worker answers; hence the server's cross-origin isolation headers.
 * - wasm: the wasm SIMD core, compiled here from /train/core.wasm and handed to the train worker.
 * `auto` picks webgpu on a hardware adapter and the wasm core otherwise (a software adapter such as
 * SwiftShader is slower than the wasm core), as `--backend auto` does in Node; either can be forced.
 * The streamed rows are also exposed as JSON in [data-testid=train-metrics] for tests.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  DEFAULT_MODEL,
  PRESETS,
  acquireWebGpuAdapter,
  headCurvesSpec,
  compileWasmCore,
  lossCurvesSpec,
  mergeConfig,
  parseInterventionSpec,
  parseRunConfig,
  presetConfig,
  type HeadPoint,
  type MetricRow,
  type PageProgress,
  type PageRunSummary,
  type PortLike,
  type RunConfig,
  type TrainWorkerBackend,
  type TrainWorkerEvent,
  type TrainWorkerRequest,
} from '@optoscope/engine/browser';
import { ClampForm, parseSpecText } from './ClampForm';
import { Figure, Note } from './Figure';
import { download, runZip } from './runZip';

// Presets a page can run: everything but the graft run, whose donor is a checkpoint file on disk.
const PAGE_PRESETS = Object.keys(PRESETS).filter((p) => p !== 'fig7-graft');
const WASM_URL = '/train/core.wasm';

// 'pausing': Pause was clicked and the worker has not yet acknowledged that its loop stopped (it finishes
// the chunk of steps in flight and reports it first); 'paused' only after that acknowledgement.
type Phase = 'idle' | 'loading' | 'running' | 'pausing' | 'paused' | 'done' | 'stopped' | 'failed';
type BackendPick = 'auto' | 'webgpu' | 'wasm';

/** What the page found: a WebGPU adapter (and whether it is a software one), and cross-origin isolation. */
interface WebGpuProbe {
  adapter: boolean;
  software: boolean;
  /** One sentence: the adapter, or why there is none. */
  found: string;
  isolated: boolean;
}

async function probeWebGpu(): Promise<WebGpuProbe> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const p = await acquireWebGpuAdapter();
  return { adapter: p.adapter !== null, software: p.isSoftware, found: p.adapter ? `WebGPU: ${p.reason}` : `No WebGPU: ${p.reason}`, isolated };
}

/** The backend a run will use for `pick`, and why; `used: null` when the pick cannot be honoured. */
export function chooseBackend(pick: BackendPick, probe: WebGpuProbe): { used: 'webgpu' | 'wasm' | null; why: string } {
  const blocker = !probe.adapter ? 'no WebGPU adapter' : !probe.isolated ? 'the page is not cross-origin isolated (no SharedArrayBuffer)' : null;
  if (pick === 'wasm') return { used: 'wasm', why: 'chosen: the SIMD core' };
  if (pick === 'webgpu') return blocker ? { used: null, why: `chosen, but it cannot run here: ${blocker}` } : { used: 'webgpu', why: `chosen${probe.software ? '; a software adapter is slow, but exact' : ''}` };
  if (blocker) return { used: 'wasm', why: `auto: ${blocker}, so the wasm SIMD core` };
  if (probe.software) return { used: 'wasm', why: 'auto: the adapter is a software rasteriser, slower than the wasm SIMD core (choose webgpu to use it anyway)' };
  return { used: 'webgpu', why: 'auto: a hardware WebGPU adapter' };
}

/** The run's config: the preset, its length, the clamp spec, and the backend it will train on (as run.json records it). */
function configFor(preset: string, seqs: string, specText: string, backend: 'wasm' | 'webgpu'): { config: RunConfig | null; error: string | null } {
  const { spec, error } = parseSpecText(specText);
  if (error) return { config: null, error };
  try {
    let input = mergeConfig(presetConfig(preset), { backend }) as Record<string, unknown>;
    if (seqs.trim() !== '') input = mergeConfig(input, { schedule: { seqs: Number(seqs) } });
    input = { ...input, interventions: spec };
    const config = parseRunConfig(input, 'config');
    // The engine's spec parser, with the model's real shape (config parsing checks only the JSON shape).
    parseInterventionSpec(config.interventions, config.model, 'interventions');
    return { config, error: null };
  } catch (e) {
    return { config: null, error: (e as Error).message };
  }
}

/** A run's workers: the train worker, and the GPU worker when the run is on webgpu. */
interface Workers {
  train: Worker;
  gpu: Worker | null;
}

// Literal `new Worker(new URL(...))` calls: the bundler makes each file its own worker entry.
function spawnWorkers(useGpu: boolean, onEvent: (e: TrainWorkerEvent) => void, onCrash: (message: string) => void): { workers: Workers; backendPort: MessagePort | null } {
  const train = new Worker(new URL('../workers/train.worker.ts', import.meta.url), { type: 'module' });
  train.onmessage = (m: MessageEvent<TrainWorkerEvent>) => onEvent(m.data);
  train.onerror = (e) => onCrash(`the train worker failed: ${e.message}`);
  if (!useGpu) return { workers: { train, gpu: null }, backendPort: null };
  const gpu = new Worker(new URL('../workers/gpu.worker.ts', import.meta.url), { type: 'module' });
  gpu.onerror = (e) => onCrash(`the GPU worker failed: ${e.message}`);
  // The two workers talk over their own channel; the page only hands each an end.
  const ch = new MessageChannel();
  gpu.postMessage({ port: ch.port2 }, [ch.port2]);
  return { workers: { train, gpu }, backendPort: ch.port1 };
}

export function TrainView() {
  const [preset, setPreset] = useState('main');
  const [seqs, setSeqs] = useState('');
  const [specText, setSpecText] = useState('{}');
  const [pick, setPick] = useState<BackendPick>('auto');
  const [phase, setPhase] = useState<Phase>('idle');
  const [rows, setRows] = useState<MetricRow[]>([]);
  const [heads, setHeads] = useState<HeadPoint[]>([]);
  const [progress, setProgress] = useState<PageProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [probe, setProbe] = useState<WebGpuProbe | null>(null);
  const [runBackend, setRunBackend] = useState<{ used: 'wasm' | 'webgpu'; reason: string; requested: BackendPick } | null>(null);
  const [result, setResult] = useState<{ run: PageRunSummary; createdAt: string; wallS: number } | null>(null);
  const workers = useRef<Workers | null>(null);
  const wasmModule = useRef<Promise<WebAssembly.Module> | null>(null);
  const pendingFiles = useRef<((files: Record<string, Uint8Array>) => void) | null>(null);
  const started = useRef({ at: 0, createdAt: '' });

  // A preset brings its own clamps; the form starts from them.
  useEffect(() => {
    const p = presetConfig(preset) as { interventions?: unknown; schedule?: { seqs?: number } };
    setSpecText(JSON.stringify(p.interventions ?? {}, null, 1).replace(/\n\s*/g, ' '));
  }, [preset]);

  useEffect(() => {
    let cancelled = false;
    void probeWebGpu().then((p) => !cancelled && setProbe(p));
    return () => {
      cancelled = true;
      terminate();
    };
  }, []);

  const choice = probe ? chooseBackend(pick, probe) : null;
  const backendUsed = choice?.used ?? 'wasm';
  const { config, error: configError } = useMemo(() => configFor(preset, seqs, specText, backendUsed), [preset, seqs, specText, backendUsed]);
  const busy = phase === 'loading' || phase === 'running' || phase === 'pausing' || phase === 'paused';

  const post = (req: TrainWorkerRequest, transfer: Transferable[] = []) => workers.current?.train.postMessage(req, transfer);
  const terminate = () => {
    workers.current?.train.terminate();
    workers.current?.gpu?.terminate();
    workers.current = null;
  };
  const fail = (message: string) => {
    setError(message);
    setPhase('failed');
    terminate();
  };

  const onEvent = (e: TrainWorkerEvent) => {
    switch (e.type) {
      case 'backend':
        setRunBackend({ used: e.used, reason: e.reason, requested: pick });
        setPhase('running');
        break;
      case 'eval':
        setRows((r) => [...r, ...e.eval.rows]);
        if (e.eval.heads) setHeads((h) => [...h, ...e.eval.heads!]);
        break;
      case 'progress':
        setProgress(e.progress);
        break;
      case 'paused':
        setProgress(e.progress);
        // Stop may have been clicked meanwhile: a stopping run is not paused.
        setPhase((p) => (p === 'pausing' ? 'paused' : p));
        break;
      case 'done':
        setResult({ run: e.run, createdAt: started.current.createdAt, wallS: (performance.now() - started.current.at) / 1000 });
        setPhase(e.run.stopped ? 'stopped' : 'done');
        break;
      case 'files':
        pendingFiles.current?.(e.files);
        pendingFiles.current = null;
        break;
      case 'error':
        fail(e.message);
        break;
    }
  };

  const start = async () => {
    if (!config || !choice?.used) return;
    terminate();
    setRows([]);
    setHeads([]);
    setResult(null);
    setError(null);
    setProgress(null);
    setRunBackend(null);
    setPhase('loading');
    try {
      let module: WebAssembly.Module | null = null;
      if (choice.used === 'wasm') {
        // Compiled once; the train worker instantiates it (its own memory per run).
        wasmModule.current ??= compileWasmCore(WASM_URL);
        module = await wasmModule.current;
      }
      const { workers: w, backendPort } = spawnWorkers(choice.used === 'webgpu', onEvent, fail);
      workers.current = w;
      const backend: TrainWorkerBackend = backendPort ? { kind: 'webgpu', port: backendPort as unknown as PortLike } : { kind: 'wasm', module: module! };
      started.current = { at: performance.now(), createdAt: new Date().toISOString() };
      post({ type: 'start', config, backend }, backendPort ? [backendPort] : []);
    } catch (e) {
      if (wasmModule.current) void wasmModule.current.catch(() => (wasmModule.current = null)); // retry a failed fetch next time
      fail((e as Error).message);
    }
  };

  const pauseResume = () => {
    if (phase === 'paused') {
      post({ type: 'resume' });
      setPhase('running');
    } else if (phase === 'running') {
      post({ type: 'pause' });
      setPhase('pausing'); // 'paused' when the worker says its loop has stopped
    }
  };

  const stop = () => {
    post({ type: 'stop' });
    if (phase === 'pausing') setPhase('running'); // the worker will answer 'done' (stopped), not 'paused'
  };

  const save = async () => {
    if (!result || !runBackend || !workers.current) return;
    const id = `page-${result.run.config.preset ?? 'run'}-${result.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '')}`;
    const files = await new Promise<Record<string, Uint8Array>>((resolve) => {
      pendingFiles.current = resolve;
      post({
        type: 'files',
        info: { id, createdAt: result.createdAt, wallS: result.wallS, backend: { requested: runBackend.requested, used: runBackend.used, reason: runBackend.reason } },
      });
    });
    download(runZip(files, id), `${id}.zip`);
  };

  const numLabels = config?.task.numLabels ?? 5;
  const lossSpec = useMemo(() => lossCurvesSpec(rows, { numLabels, title: 'Loss during training (in this page)' }), [rows, numLabels]);
  const headSpec = useMemo(() => headCurvesSpec(heads, { subtitle: 'on the fsl_train eval set' }), [heads]);
  const evalCount = new Set(rows.filter((r) => r.kind === 'eval').map((r) => r.seqs)).size;
  const lastTrain = [...rows].reverse().find((r) => r.kind === 'eval' && r.set === 'fsl_train');
  const nHeads = config?.model.nHeads ?? DEFAULT_MODEL.nHeads;
  const nLayers = config?.model.nLayers ?? DEFAULT_MODEL.nLayers;

  return (
    <div className="train-page">
      <h1>Train in the browser</h1>
      <p className="muted">
        The engine&apos;s own training loop runs in this page: the same model, clamps, batches and eval sets as <code>opto train</code> with the same config and
        seeds. Nothing is sent anywhere; download the run as a zip to open it with <code>opto</code> or this dashboard.
      </p>
      <p className="note note-info" data-testid="train-backend" data-backend={choice?.used ?? ''} data-run-backend={runBackend?.used ?? ''}>
        {probe && choice ? (
          <>
            {probe.found}.{probe.isolated ? '' : ' This page is not cross-origin isolated, so it has no SharedArrayBuffer.'} Backend:{' '}
            <b>{choice.used ?? 'none'}</b> ({choice.why}).
            {runBackend && (
              <>
                {' '}
                This run: <b>{runBackend.used}</b>, {runBackend.reason}.
              </>
            )}
          </>
        ) : (
          'Looking for a WebGPU adapter…'
        )}
      </p>

      <div className="filters">
        <label>
          preset
          <select value={preset} onChange={(e) => setPreset(e.target.value)} disabled={busy} data-testid="train-preset">
            {PAGE_PRESETS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          sequences (default: the preset&apos;s)
          <input type="number" min={1} step={1000} value={seqs} placeholder={String(config?.schedule.seqs ?? '')} onChange={(e) => setSeqs(e.target.value)} disabled={busy} data-testid="train-seqs" />
        </label>
        <label>
          backend
          <select value={pick} onChange={(e) => setPick(e.target.value as BackendPick)} disabled={busy} data-testid="train-backend-pick">
            <option value="auto">auto</option>
            <option value="webgpu">webgpu</option>
            <option value="wasm">wasm</option>
          </select>
        </label>
        <span className="muted" style={{ alignSelf: 'center' }}>
          {PRESETS[preset]?.description}
        </span>
      </div>

      <ClampForm text={specText} onText={setSpecText} nLayers={nLayers} nHeads={nHeads} disabled={busy} />
      {configError && (
        <Note kind="error" testId="train-config-error">
          {configError}
        </Note>
      )}

      <div className="train-controls">
        <button type="button" className="button primary" disabled={busy || !config || !choice?.used} onClick={() => void start()} data-testid="train-start">
          Start
        </button>
        <button type="button" disabled={phase !== 'running' && phase !== 'paused'} onClick={pauseResume} data-testid="train-pause">
          {phase === 'paused' ? 'Resume' : phase === 'pausing' ? 'Pausing…' : 'Pause'}
        </button>
        <button type="button" disabled={phase !== 'running' && phase !== 'pausing' && phase !== 'paused'} onClick={stop} data-testid="train-stop">
          Stop
        </button>
        <button type="button" disabled={!result} onClick={() => void save()} data-testid="train-download">
          Download run (.zip)
        </button>
        <span
          className="mono"
          data-testid="train-status"
          data-phase={phase}
          data-seqs={progress?.seqs ?? 0}
          data-evals={evalCount}
        >
          {phase}
          {progress && ` · ${progress.seqs.toLocaleString('en')} / ${progress.total.toLocaleString('en')} sequences`}
          {progress && phase === 'running' && progress.seqsPerSec > 0 && ` · ${Math.round(progress.seqsPerSec).toLocaleString('en')} seq/s`}
          {progress && Number.isFinite(progress.loss) && ` · batch loss ≈ ${progress.loss.toFixed(3)}`}
          {lastTrain && ` · fsl_train loss ${Number(lastTrain.loss).toFixed(3)} (0.4·ln 2 = ${(0.4 * Math.LN2).toFixed(3)})`}
          {result && ` · ${result.run.learned ? `learned at ${result.run.learningTime.toLocaleString('en')} sequences` : 'not learned'} · ${result.wallS.toFixed(1)} s · ${result.run.msPerStep.toFixed(1)} ms/step`}
        </span>
      </div>
      {error && (
        <Note kind="error" testId="train-error">
          {error}
        </Note>
      )}

      <div className="figure-row">
        {rows.length > 0 ? <Figure spec={lossSpec} name="train-loss" testId="fig-train-loss" /> : <Note>The loss curves appear at the first eval.</Note>}
        {heads.length > 0 ? <Figure spec={headSpec} name="train-induction" testId="fig-train-induction" /> : <Note>Induction strength per head appears at the first eval.</Note>}
      </div>
      {/* Machine-readable copy of the streamed metric rows (the e2e test compares them with Node's training). */}
      <script type="application/json" data-testid="train-metrics" dangerouslySetInnerHTML={{ __html: JSON.stringify(rows).replace(/</g, '\\u003c') }} />
      <script type="application/json" data-testid="train-config" dangerouslySetInnerHTML={{ __html: JSON.stringify(result?.run.config ?? config).replace(/</g, '\\u003c') }} />
      <script type="application/json" data-testid="train-heads" dangerouslySetInnerHTML={{ __html: JSON.stringify(heads).replace(/</g, '\\u003c') }} />
    </div>
  );
}
