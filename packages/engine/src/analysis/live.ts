/**
 * Per-head measures of a run's checkpoints for a server that shows runs while they train (the dashboard),
 * computed one checkpoint at a time on demand:
 *
 * - head scores of one checkpoint: induction strength of every last-layer head and previous-token scores
 *   of every first-layer head, from the dense-set evaluator (`inductionStrengthCurve` on that one
 *   checkpoint: the same programs and per-head accumulator as every other curve);
 * - attention patterns of one checkpoint: the mean [query][key] pattern of every head of every layer over
 *   the dense set (the first and the last on the paper's 2-layer model; the middle ones too on deeper models).
 *
 * Both are of the model under a `LiveClamp`: 'run' applies the run's own intervention spec (a clamped run's
 * scores and patterns are those of the model it trained: clamped patterns as clamped, ablated heads
 * attending with their values zeroed), 'none' the same checkpoint unclamped. For an unclamped run the two
 * are the same model.
 *
 * Both use a stratified subsample of LIVE_DENSE_SIZE sequences of the finite training set (`denseSet`; the
 * stored `opto analyze` results use DEFAULT_DENSE_SIZE). `LiveAnalysis` keeps the analysis context of the
 * runs asked about last (wasm instance, task, dense set, compiled programs) and the feature tables they
 * share: making the features is most of the cost of opening a run, and every run of a sweep has the same.
 * `LiveAnalysisWorker` is the same service in a worker thread, so that a server's event loop answers its
 * other requests while a run is opened and scored; it returns the same numbers (same code, same wasm).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseRunConfig } from '../config.js';
import type { FeatureSource } from '../data/types.js';
import { compileInterventions } from '../compileInterventions.js';
import type { InterventionSpec } from '../interventions/spec.js';
import { buildModel, type ModelProgram } from '../model.js';
import { readSafetensors } from '../store/safetensors.js';
import { loadFeatures } from '../data/load.js';
import { inductionStrengthCurve, openAnalysisRun, type AnalysisRun } from './progress.js';
import { headLabel } from '../interventions/heads.js';
import { checkHeadLayers, type HeadLayers } from './heads.js';

/** Dense-set subsample of the live scores (the stored `opto analyze` results use 4,000). */
export const LIVE_DENSE_SIZE = 1000;
/** Run contexts kept (each holds a wasm instance, the task and the dense set). */
const MAX_CONTEXTS = 4;
/** Feature tables kept, by data config. */
const MAX_FEATURES = 2;

/** Which model a measure is of: with the run's own clamp spec ('run', the model it trained) or unclamped. */
export type LiveClamp = 'run' | 'none';
export const LIVE_CLAMPS: readonly LiveClamp[] = ['run', 'none'];

export interface LiveRunInfo {
  /** The dense set's description (`DenseSet.description`). */
  denseSet: string;
  nLayers: number;
  nHeads: number;
  /** The run's own intervention spec (config.interventions, parsed): what 'run' applies. */
  clamp: InterventionSpec;
}

export interface LiveHeadPoint {
  seqs: number;
  /** Induction strength of each head of the induction layer (the last, or `layers.induction`). */
  strength: number[];
  /** Previous-token score of each head of the previous-token layer (the first, or `layers.prevToken`), and at the label positions. */
  prevToken: number[];
  prevTokenAtLabels: number[];
  /** Where some dense-set sequences have no strength (bursty contexts without the query's label): how many have. */
  strengthSequences?: number;
}

export interface LiveHeadPattern {
  /** L<layer+1>H<head>. */
  head: string;
  /** Mean attention pattern [query][key] over the dense set. */
  pattern: number[][];
}

/** The service, in process (`LiveAnalysis`) or in a worker thread (`LiveAnalysisWorker`). */
export interface LiveAnalysisService {
  /** Open the run in `dir` (or reuse its context; a changed run.json config opens it again). */
  info(dir: string): Promise<LiveRunInfo>;
  /** Head scores of the checkpoint file `file` (taken at `seqs` sequences) of the run in `dir`, under `clamp`. */
  headScores(dir: string, seqs: number, file: string, clamp: LiveClamp, layers?: HeadLayers): Promise<LiveHeadPoint>;
  /** Mean attention patterns of every layer's heads at the checkpoint file `file`, under `clamp`. */
  attention(dir: string, file: string, clamp: LiveClamp): Promise<LiveHeadPattern[]>;
  close(): Promise<void>;
}

interface Ctx {
  configKey: string;
  a: AnalysisRun;
  /** One attention model per clamp choice, built on first use. */
  patternModels: Map<LiveClamp, ModelProgram>;
}

const tensorsOf = (file: string) => readSafetensors(file).tensors;

export class LiveAnalysis implements LiveAnalysisService {
  private readonly contexts = new Map<string, Ctx>();
  private readonly opening = new Map<string, Promise<Ctx>>();
  private readonly features = new Map<string, Promise<FeatureSource>>();

  constructor(private readonly denseSize = LIVE_DENSE_SIZE) {}

  private sharedFeatures(config: unknown, where: string): Promise<FeatureSource> {
    const cfg = parseRunConfig(config, where);
    const key = JSON.stringify(cfg.data);
    let f = this.features.get(key);
    if (!f) {
      f = loadFeatures(cfg);
      f.catch(() => this.features.delete(key));
      this.features.set(key, f);
      while (this.features.size > MAX_FEATURES) this.features.delete(this.features.keys().next().value!);
    }
    return f;
  }

  private async context(dir: string): Promise<Ctx> {
    const recordFile = path.join(dir, 'run.json');
    const configKey = JSON.stringify(JSON.parse(fs.readFileSync(recordFile, 'utf8')).config ?? null);
    const hit = this.contexts.get(dir);
    if (hit && hit.configKey === configKey) {
      this.contexts.delete(dir);
      this.contexts.set(dir, hit); // most recently used last
      return hit;
    }
    // One construction per run even when scores and attention are asked for at the same time.
    const key = `${dir}\0${configKey}`;
    let making = this.opening.get(key);
    if (!making) {
      making = (async () => {
        const features = await this.sharedFeatures(JSON.parse(configKey), `${recordFile} config`);
        return { configKey, a: await openAnalysisRun(dir, { size: this.denseSize, features }), patternModels: new Map() };
      })().finally(() => this.opening.delete(key));
      this.opening.set(key, making);
    }
    const ctx = await making;
    this.contexts.set(dir, ctx);
    while (this.contexts.size > MAX_CONTEXTS) this.contexts.delete(this.contexts.keys().next().value!);
    return ctx;
  }

  async info(dir: string): Promise<LiveRunInfo> {
    const { ev, clamp } = (await this.context(dir)).a;
    return { denseSet: ev.set.description, nLayers: ev.params.config.nLayers, nHeads: ev.params.config.nHeads, clamp };
  }

  async headScores(dir: string, seqs: number, file: string, clamp: LiveClamp, layers?: HeadLayers): Promise<LiveHeadPoint> {
    const { a } = await this.context(dir);
    if (layers) checkHeadLayers(layers, a.ev.params.config.nLayers);
    // The same evaluation `opto analyze --what strength --layers` runs (analysis/registry.ts), one checkpoint.
    const [p] = inductionStrengthCurve(a.ev, () => tensorsOf(file), [seqs], specFor(a, clamp), layers);
    return p;
  }

  async attention(dir: string, file: string, clamp: LiveClamp): Promise<LiveHeadPattern[]> {
    const ctx = await this.context(dir);
    const spec = specFor(ctx.a, clamp);
    const { ev } = ctx.a;
    const cfg = ev.params.config;
    const set = ev.set;
    const T = set.positions.seqLen;
    const sites = Array.from({ length: cfg.nLayers }, (_, l) => `blocks.${l}.attn.pattern`);
    // Built once per run and clamp choice on the evaluator's parameter store: loading a checkpoint into the
    // store is all another checkpoint costs. Under the run's spec, the sites read are the final pass's:
    // the patterns the clamped model attends with.
    let m = ctx.patternModels.get(clamp);
    if (!m) {
      const passes = compileInterventions(spec, ev.params, { runsDir: path.dirname(path.resolve(dir)), positions: set.positions });
      m = buildModel(ev.params, { batch: set.batch.size, seqLen: set.batch.layout?.seqLen, nItems: set.distribution.items.length, training: false, allPositions: true, passes, keep: sites });
      m.setFeatures(set.distribution.itemFeatures);
      ctx.patternModels.set(clamp, m);
    }
    ev.loadTensors(tensorsOf(file), file);
    m.setBatch(set.batch);
    m.program.forward();
    const n = set.batch.size;
    const H = cfg.nHeads;
    const heads: LiveHeadPattern[] = [];
    for (const [layer, site] of sites.entries()) {
      const A = m.program.read(site); // [n, H, T, T]
      for (let h = 0; h < H; h++) {
        const pattern = Array.from({ length: T }, () => new Array<number>(T).fill(0));
        for (let i = 0; i < n; i++) for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) pattern[q][k] += A[((i * H + h) * T + q) * T + k];
        heads.push({ head: headLabel(layer, h), pattern: pattern.map((r) => r.map((v) => v / n)) });
      }
    }
    return heads;
  }

  async close(): Promise<void> {
    this.contexts.clear();
    this.features.clear();
  }
}

let codeKey: string | undefined;

/**
 * A key of the code behind live results: name, size and mtime of every module of this engine and of the
 * wasm core (a stat each, not a read: it is asked for on a request). Results a server keeps across
 * restarts (the dashboard's on-disk cache of head curves) under this key are never another build's; any
 * rebuild changes it.
 */
export function liveCodeKey(): string {
  if (codeKey) return codeKey;
  const h = createHash('sha256');
  const add = (root: string, keep: (f: string) => boolean) => {
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : keep(e.name) ? [path.join(dir, e.name)] : []));
    for (const f of walk(root).sort()) {
      const st = fs.statSync(f);
      h.update(`${path.relative(root, f)}\0${st.size}\0${st.mtimeMs}\0`);
    }
  };
  const code = (f: string) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.');
  add(fileURLToPath(new URL('..', import.meta.url)), code); // the engine's dist/ (src/ under its own tests)
  const core = path.dirname(path.dirname(fileURLToPath(import.meta.resolve('@optoscope/core-wasm'))));
  for (const sub of ['dist', 'build']) if (fs.existsSync(path.join(core, sub))) add(path.join(core, sub), (f) => code(f) || f.endsWith('.wasm'));
  return (codeKey = h.digest('hex').slice(0, 16));
}

/** The spec a clamp choice applies to the run `a`. */
function specFor(a: AnalysisRun, clamp: LiveClamp): InterventionSpec {
  if (!LIVE_CLAMPS.includes(clamp)) throw new Error(`clamp must be ${LIVE_CLAMPS.join(' or ')}, got '${String(clamp)}'`);
  return clamp === 'run' ? a.clamp : a.ev.parse({});
}

/** A call to the worker and its answer (liveWorker.ts). */
export type LiveRequest =
  | { id: number; op: 'info'; args: [string] }
  | { id: number; op: 'headScores'; args: [string, number, string, LiveClamp, HeadLayers?] }
  | { id: number; op: 'attention'; args: [string, string, LiveClamp] };
export type LiveReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

function workerScript(): URL {
  const here = new URL('./liveWorker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/analysis/liveWorker.js', import.meta.url);
}

/**
 * `LiveAnalysis` in a worker thread (started at construction; idle, it does not keep the process alive). Calls
 * are answered in the order they are made, each when the worker reaches it; a worker that dies rejects
 * what was waiting on it, and `alive` turns false (make a new one).
 */
export class LiveAnalysisWorker implements LiveAnalysisService {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 0;
  private stopped: Error | null = null;

  constructor(denseSize = LIVE_DENSE_SIZE) {
    this.worker = new Worker(workerScript(), { workerData: { denseSize } });
    this.worker.unref();
    this.worker.on('message', (m: LiveReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!this.waiting.size) this.worker.unref();
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(m.message));
    });
    this.worker.on('error', (e) => this.stop(new Error(`the analysis worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.stop(new Error(`the analysis worker exited (code ${code})`)));
  }

  get alive(): boolean {
    return this.stopped === null;
  }

  private stop(why: Error): void {
    this.stopped ??= why;
    for (const w of this.waiting.values()) w.reject(this.stopped);
    this.waiting.clear();
  }

  private call<T>(op: LiveRequest['op'], args: LiveRequest['args']): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    // Referenced only while a call waits, so an idle worker never keeps the process alive.
    if (!this.waiting.size) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } as LiveRequest);
    });
  }

  info(dir: string): Promise<LiveRunInfo> {
    return this.call('info', [dir]);
  }

  headScores(dir: string, seqs: number, file: string, clamp: LiveClamp, layers?: HeadLayers): Promise<LiveHeadPoint> {
    return this.call('headScores', [dir, seqs, file, clamp, layers]);
  }

  attention(dir: string, file: string, clamp: LiveClamp): Promise<LiveHeadPattern[]> {
    return this.call('attention', [dir, file, clamp]);
  }

  async close(): Promise<void> {
    this.stop(new Error('the analysis worker was closed'));
    await this.worker.terminate();
  }
}
