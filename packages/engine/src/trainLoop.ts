/**
 * The one schedule loop of spec 3.2, shared by `train()` (Node: run directory, interrupts, checkpoints,
 * heartbeats) and `trainInPage()` (a page's worker: yielding, pause and resume, Stop). Counted in
 * sequences: an eval point (and, where the environment keeps checkpoints, a checkpoint) at the first step
 * whose sequence count reaches each multiple of the cadence, then a final eval and checkpoint at `total`
 * (or, stopped early, where the loop stopped). The loop owns the order of events and the train window;
 * the environment only stores, reports, yields and says when to stop. No Node imports here.
 */
import type { Metrics } from './metrics.js';
import type { MetricRow } from './store/runDir.js';
import { emptyWindow, evalCheckpointSchedule, evalPointRows, type TrainingSetup, type TrainWindow } from './trainSetup.js';

/** Where the loop stands; created by the caller (0, or a resume state) and advanced in place, so the environment's callbacks read it. */
export interface LoopState {
  seqs: number;
  step: number;
  /** The train loss and gradient norm summed since the last eval point. */
  win: TrainWindow;
}

export interface StepDone {
  seqs: number;
  step: number;
  loss: number;
  /** Exponential moving average of the batch loss (the progress line's). */
  recentLoss: number;
  /** Clock reading right after the step, ms. */
  at: number;
}

export interface TrainEnv {
  /** An eval point's metrics and rows (a 'train' window row, then one 'eval' row per set); `final`: the last point. */
  evalPoint(x: number, point: { metrics: Record<string, Metrics>; rows: MetricRow[] }, final: boolean): void;
  /** A checkpoint at x; absent: the environment keeps none (the page). */
  checkpoint?(x: number): void;
  /** Before each step, after that point's eval and checkpoint (Node: an interrupt saves the state and throws). */
  beforeStep?(): void;
  /** After each step: heartbeats, progress, yielding, pausing. True (or a promise of true) stops the loop early. */
  afterStep(s: StepDone): boolean | Promise<boolean>;
}

export interface LoopResult {
  /** Stopped early by `afterStep` (no final checkpoint then, the final eval where it stopped). */
  stopped: boolean;
  /** Time inside training steps in this call, ms, and the steps it ran (a resumed run counts from the resume). */
  stepMs: number;
  steps: number;
}

export const clock = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Run the schedule from `state` (fresh when `resumed` is false: the first eval and checkpoint at 0) to
 * `schedule.seqs`. A resumed run continues at the next multiple after its state: that point's eval and
 * checkpoint were written before the state was saved.
 */
export async function runSchedule(
  setup: Pick<TrainingSetup, 'evaluators' | 'trainStep'>,
  schedule: { seqs: number; evalEvery: number; ckptEvery: number | null },
  batch: number,
  state: LoopState,
  resumed: boolean,
  env: TrainEnv,
): Promise<LoopResult> {
  const { evaluators, trainStep } = setup;
  const { seqs: total, evalEvery } = schedule;
  // One rule for when points fall, shared with the batched sweep's loop (sweep/batched.ts).
  const points = evalCheckpointSchedule({ evalEvery, ckptEvery: env.checkpoint ? schedule.ckptEvery : null }, state.seqs, resumed);
  let recentLoss = NaN;
  let stepMs = 0;
  let steps = 0;
  let stopped = false;

  const evalAt = (x: number, final: boolean) => {
    const point = evalPointRows(evaluators, x, state.step, state.win);
    state.win = emptyWindow();
    env.evalPoint(x, point, final);
  };

  while (state.seqs < total) {
    const due = points.due(state.seqs);
    if (due.evaluate) evalAt(state.seqs, false);
    if (due.checkpoint) env.checkpoint!(state.seqs);
    env.beforeStep?.();

    const t0 = clock();
    const loss = trainStep.run();
    const at = clock();
    stepMs += at - t0;
    steps++;
    state.seqs += batch;
    state.step++;
    state.win.loss += loss;
    state.win.gradNorm += trainStep.gradNorm;
    state.win.n++;
    recentLoss = Number.isNaN(recentLoss) ? loss : 0.98 * recentLoss + 0.02 * loss;
    let stop = env.afterStep({ seqs: state.seqs, step: state.step, loss, recentLoss, at });
    if (typeof stop !== 'boolean') stop = await stop;
    if (stop) {
      stopped = true;
      break;
    }
  }
  // Evals inside the loop come before a step, so none has happened at this count yet.
  evalAt(stopped ? state.seqs : total, true);
  if (!stopped) env.checkpoint?.(total); // the final checkpoint always exists (graft donors, analyses)
  return { stopped, stepMs, steps };
}
