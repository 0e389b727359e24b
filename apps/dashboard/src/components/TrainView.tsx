'use client';
/**
 * /train: train a preset live in the page with the engine's own training loop (`trainInPage` from
 * @optoscope/engine/browser: same model, clamps, batches and eval schedule as `opto train`), pick clamps
 * from a form, watch the loss and induction-strength curves stream in, pause/resume/stop, and download
 * the run directory as a zip.
 *
 * Backend: the wasm SIMD core, fetched from /train/core.wasm. The page looks for a WebGPU adapter and
 * says what it found, but does not train on it: the engine's webgpu backend needs synchronous reads,
 * which it gets in Node by blocking (Atomics.wait) on a worker thread, and a page's main thread may not
 * block. The loss values are also exposed as JSON in [data-testid=train-metrics] for tests.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  DEFAULT_MODEL,
  PRESETS,
  headCurvesSpec,
  compileWasmCore,
  wasmBackend,
  lossCurvesSpec,
  mergeConfig,
  parseInterventionSpec,
  parseRunConfig,
  presetConfig,
  trainInPage,
  PauseGate,
  type HeadPoint,
  type MetricRow,
  type PageRun,
  type RunConfig,
} from '@optoscope/engine/browser';
import { ClampForm, parseSpecText } from './ClampForm';
import { Figure, Note } from './Figure';
import { download, runZip } from './runZip';

// Presets a page can run: everything but the graft run, whose donor is a checkpoint file on disk.
const PAGE_PRESETS = Object.keys(PRESETS).filter((p) => p !== 'fig7-graft');
const WASM_URL = '/train/core.wasm';

type Phase = 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';

interface BackendChoice {
  used: 'wasm';
  reason: string;
  webgpu: string;
}

async function probeWebGpu(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } }).gpu;
  if (!gpu) return 'navigator.gpu is not available in this browser';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'navigator.gpu gave no adapter';
    const i = adapter.info ?? {};
    return `WebGPU adapter found (${[i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'no description'})`;
  } catch (e) {
    return `navigator.gpu.requestAdapter failed: ${(e as Error).message}`;
  }
}

function configFor(preset: string, seqs: string, specText: string): { config: RunConfig | null; error: string | null } {
  const { spec, error } = parseSpecText(specText);
  if (error) return { config: null, error };
  try {
    let input = mergeConfig(presetConfig(preset), { backend: 'wasm' as const }) as Record<string, unknown>;
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

export function TrainView() {
  const [preset, setPreset] = useState('main');
  const [seqs, setSeqs] = useState('');
  const [specText, setSpecText] = useState('{}');
  const [phase, setPhase] = useState<Phase>('idle');
  const [rows, setRows] = useState<MetricRow[]>([]);
  const [heads, setHeads] = useState<HeadPoint[]>([]);
  const [progress, setProgress] = useState<{ seqs: number; total: number; loss: number; seqsPerSec: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [backend, setBackend] = useState<BackendChoice | null>(null);
  const [result, setResult] = useState<{ run: PageRun; createdAt: string; wallS: number } | null>(null);
  const gate = useRef(new PauseGate());
  const abort = useRef<AbortController | null>(null);
  const wasmModule = useRef<Promise<WebAssembly.Module> | null>(null);
  const started = useRef(0);

  // A preset brings its own clamps; the form starts from them.
  useEffect(() => {
    const p = presetConfig(preset) as { interventions?: unknown; schedule?: { seqs?: number } };
    setSpecText(JSON.stringify(p.interventions ?? {}, null, 1).replace(/\n\s*/g, ' '));
  }, [preset]);

  useEffect(() => {
    let cancelled = false;
    void probeWebGpu().then((webgpu) => {
      if (cancelled) return;
      const reason = webgpu.startsWith('WebGPU adapter found')
        ? "the engine's webgpu backend needs synchronous reads, which it gets in Node by blocking a worker thread (Atomics.wait); a page cannot block its main thread, so training runs on the wasm SIMD core"
        : 'no WebGPU adapter, so training runs on the wasm SIMD core';
      setBackend({ used: 'wasm', reason, webgpu });
    });
    return () => {
      cancelled = true;
      abort.current?.abort();
    };
  }, []);

  const { config, error: configError } = useMemo(() => configFor(preset, seqs, specText), [preset, seqs, specText]);
  const busy = phase === 'loading' || phase === 'running' || phase === 'paused';

  const start = async () => {
    if (!config) return;
    setRows([]);
    setHeads([]);
    setResult(null);
    setError(null);
    setProgress(null);
    setPhase('loading');
    gate.current = new PauseGate();
    const ac = new AbortController();
    abort.current = ac;
    try {
      // Compiled once; a fresh instance (memory) per run, since a run's parameters and programs fill the arena.
      wasmModule.current ??= compileWasmCore(WASM_URL);
      const be = wasmBackend(await wasmModule.current);
      const createdAt = new Date().toISOString();
      started.current = performance.now();
      setPhase('running');
      const run = await trainInPage(config, {
        backend: be,
        pause: gate.current,
        signal: ac.signal,
        onEval: (e) => {
          setRows((r) => [...r, ...e.rows]);
          if (e.heads) setHeads((h) => [...h, ...e.heads!]);
        },
        onProgress: (p) => setProgress(p),
      });
      setResult({ run, createdAt, wallS: (performance.now() - started.current) / 1000 });
      setPhase(run.stopped ? 'stopped' : 'done');
    } catch (e) {
      if (wasmModule.current) void wasmModule.current.catch(() => (wasmModule.current = null)); // retry a failed fetch next time
      setError((e as Error).message);
      setPhase('failed');
    }
  };

  const pauseResume = () => {
    if (gate.current.paused) {
      gate.current.resume();
      setPhase('running');
    } else {
      gate.current.pause();
      setPhase('paused');
    }
  };

  const stop = () => {
    gate.current.resume(); // a paused run must wake up to see the abort
    abort.current?.abort();
  };

  const save = async () => {
    if (!result) return;
    const id = `page-${result.run.config.preset ?? 'run'}-${result.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '')}`;
    const bytes = await runZip(result.run, {
      id,
      createdAt: result.createdAt,
      wallS: result.wallS,
      backend: { requested: 'auto', used: 'wasm', reason: backend ? `${backend.webgpu}; ${backend.reason}` : 'wasm core' },
    });
    download(bytes, `${id}.zip`);
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
      <p className="note note-info" data-testid="train-backend" data-backend={backend?.used ?? ''}>
        {backend ? (
          <>
            Backend: <b>wasm</b> (SIMD core from <code>{WASM_URL}</code>). {backend.webgpu}; {backend.reason}.
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
        <button type="button" className="button primary" disabled={busy || !config} onClick={() => void start()} data-testid="train-start">
          Start
        </button>
        <button type="button" disabled={phase !== 'running' && phase !== 'paused'} onClick={pauseResume} data-testid="train-pause">
          {phase === 'paused' ? 'Resume' : 'Pause'}
        </button>
        <button type="button" disabled={phase !== 'running' && phase !== 'paused'} onClick={stop} data-testid="train-stop">
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
          {result && ` · ${result.run.learned ? `learned at ${result.run.learningTime.toLocaleString('en')} sequences` : 'not learned'} · ${result.wallS.toFixed(1)} s`}
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
