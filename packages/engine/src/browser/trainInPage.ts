/**
 * Training in memory, for a web page: the same model, clamps, batches and eval schedule as `train()`
 * (both build their state with `setupTraining` and run the schedule loop of `trainLoop.ts`), without a
 * run directory. The loop yields to the event
 * loop every few milliseconds so the page stays responsive, can be paused and resumed, and can be
 * stopped with an AbortSignal. Metric rows have exactly the shape `train()` appends to metrics.jsonl, so
 * the shared figure specs draw them and a downloaded run reads like one trained by the CLI.
 */
import type { Backend } from '../backend.js';
import { parseRunConfig, type RunConfig } from '../config.js';
import { syntheticFeatures } from '../data/synthetic.js';
import { buildTask } from '../data/task.js';
import type { FeatureSource } from '../data/types.js';
import { headScores, type HeadScores } from '../analysis/heads.js';
import type { HeadPoint } from '../figures/heads.js';
import { headLabel } from '../interventions/heads.js';
import { learningTime, type Metrics } from '../metrics.js';
import type { ParamStore } from '../params.js';
import type { MetricRow } from '../store/runDir.js';
import { clock, runSchedule, type LoopState, type StepDone, type TrainEnv } from '../trainLoop.js';
import { emptyWindow, nextMultiple, setupTraining } from '../trainSetup.js';

/** Pause/resume for a running `trainInPage` (checked between chunks of steps). */
export class PauseGate {
  private waiters: (() => void)[] = [];
  private _paused = false;
  get paused(): boolean {
    return this._paused;
  }
  pause(): void {
    this._paused = true;
  }
  resume(): void {
    this._paused = false;
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves at once when not paused, else at the next `resume()`. */
  wait(): Promise<void> {
    return this._paused ? new Promise((r) => this.waiters.push(r)) : Promise.resolve();
  }
}

export interface PageProgress {
  seqs: number;
  total: number;
  step: number;
  /** Exponential moving average of the batch loss (as the CLI's progress line). */
  loss: number;
  seqsPerSec: number;
}

export interface PageEval {
  seqs: number;
  step: number;
  metrics: Record<string, Metrics>;
  /** The rows appended at this point (a 'train' window row, then one 'eval' row per set). */
  rows: MetricRow[];
  /** Induction strength per last-layer head, when measured at this point (see `headEvery`). */
  heads?: HeadPoint[];
}

export interface PageTrainOptions {
  backend: Backend;
  /** Features for `config.data` (default: the synthetic table of `config.data.syntheticSeed`). */
  features?: FeatureSource;
  onEval?: (e: PageEval) => void;
  onProgress?: (p: PageProgress) => void;
  /** Aborting stops at the next chunk boundary; the run resolves with what it has (`stopped: true`). */
  signal?: AbortSignal;
  pause?: PauseGate;
  /**
   * Called when the loop has actually stopped for a pause (after the last step it ran was reported with
   * onProgress), with that progress. A pause is requested with `pause.pause()` but only takes effect at the
   * next chunk boundary, so a page says "paused" on this acknowledgement, not on the click.
   */
  onPaused?: (p: PageProgress) => void;
  /** Measure head scores at eval points at least this many sequences apart (default max(evalEvery, 5000)). */
  headEvery?: number;
  /** Longest stretch of synchronous training before yielding, ms (default 25). */
  yieldMs?: number;
}

export interface PageRun {
  config: RunConfig;
  features: FeatureSource;
  params: ParamStore;
  rows: MetricRow[];
  heads: HeadPoint[];
  seqs: number;
  steps: number;
  stopped: boolean;
  msPerStep: number;
  /** As `RunSummary.learning_time` / `learned` (spec 5.9, on fsl_train). */
  learningTime: number;
  learned: boolean;
}

// A macrotask without setTimeout's 4 ms clamp: a MessageChannel round trip lets input, rendering and
// React's scheduler run between chunks of steps (available in browsers and in Node 20).
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((r) => {
    // Typed structurally: the engine compiles without lib.dom, and @types/node's port lacks `onmessage`.
    const ch = new MessageChannel() as unknown as { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(v: unknown): void; close(): void } };
    ch.port1.onmessage = () => {
      ch.port1.close();
      ch.port2.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

/** Layer-2 (last-layer) head names as the figures label them: "L2H3" for "1:3". */
export function headPoints(seqs: number, scores: HeadScores, nLayers: number): HeadPoint[] {
  return scores.induction.map((value, h) => ({ seqs, head: headLabel(nLayers - 1, h), value }));
}

/** Train `config` in memory. Validates it first (ConfigError / InterventionError name the field at fault). */
export async function trainInPage(config: unknown, opts: PageTrainOptions): Promise<PageRun> {
  const cfg = parseRunConfig(config);
  if (cfg.data.source !== 'synthetic' && !opts.features)
    throw new Error(`config.data.source: '${cfg.data.source}' is a file; a page trains on the synthetic features only (pass features to use others)`);
  const features = opts.features ?? syntheticFeatures({ seed: cfg.data.syntheticSeed });
  const task = buildTask(cfg.task, features);
  const be = opts.backend;
  const { params, evaluators, evalSets, passes, trainStep } = setupTraining(cfg, task, features, be);
  const B = cfg.optim.batchSize;
  const { seqs: total, evalEvery } = cfg.schedule;
  const headEvery = opts.headEvery ?? Math.max(evalEvery, 5000);
  const headSet = evalSets.find((s) => s.name === 'fsl_train') ?? evalSets[0];
  const yieldMs = opts.yieldMs ?? 25;

  const rows: MetricRow[] = [];
  const heads: HeadPoint[] = [];
  const at: LoopState = { seqs: 0, step: 0, win: emptyWindow() };
  let nextHeads = 0;
  let recentLoss = NaN;
  let lastReport = clock();
  let lastReportSeqs = 0;
  let sliceStart = clock();

  // The page's side of the schedule loop: rows kept in memory, head scores at some eval points, and a
  // yield every `yieldMs` (progress, then pause and Stop, which take effect only there).
  const env: TrainEnv = {
    evalPoint(x, { metrics, rows: out }, final) {
      rows.push(...out);
      let hp: HeadPoint[] | undefined;
      if (x >= nextHeads || final) {
        // headScores builds its own program; free it right away so the wasm arena does not grow per call.
        const mark = be.mark();
        try {
          hp = headPoints(x, headScores(params, headSet, passes), params.config.nLayers);
        } finally {
          be.release(mark);
        }
        heads.push(...hp);
        nextHeads = nextMultiple(x, headEvery);
      }
      opts.onEval?.({ seqs: x, step: at.step, metrics, rows: out, heads: hp });
    },
    afterStep(s) {
      recentLoss = s.recentLoss;
      return s.at - sliceStart > yieldMs ? slice(s) : false;
    },
  };
  const slice = async (s: StepDone): Promise<boolean> => {
    opts.onProgress?.({ seqs: s.seqs, total, step: s.step, loss: s.recentLoss, seqsPerSec: ((s.seqs - lastReportSeqs) * 1000) / Math.max(s.at - lastReport, 1e-3) });
    lastReport = s.at;
    lastReportSeqs = s.seqs;
    await yieldToEventLoop();
    if (opts.pause?.paused) {
      opts.onPaused?.({ seqs: s.seqs, total, step: s.step, loss: s.recentLoss, seqsPerSec: 0 });
      await opts.pause.wait();
      lastReport = clock(); // the pause is not training time
    }
    if (opts.signal?.aborted) return true;
    sliceStart = clock();
    return false;
  };

  const { stopped, stepMs, steps } = await runSchedule({ evaluators, trainStep }, cfg.schedule, B, at, false, env);
  const { seqs, step } = at;
  opts.onProgress?.({ seqs, total, step, loss: recentLoss, seqsPerSec: 0 });
  const lt = learningTime(rows.filter((r) => r.kind === 'eval' && r.set === 'fsl_train').map((r) => ({ seqs: r.seqs, loss: Number(r.loss) })));
  return { config: cfg, features, params, rows, heads, seqs, steps: step, stopped, msPerStep: steps ? stepMs / steps : 0, learningTime: lt.seqs, learned: lt.learned };
}
