/**
 * One optimizer step on a fresh batch (spec 3.1): sample → forward → backward → Adam. Shared by the
 * training loop and the benchmarks so that what is timed is exactly what trains.
 */
import { allocBatch, allocLayoutBatch, type Distribution } from './data/types.js';
import type { ModelProgram } from './model.js';
import type { Adam } from './optim.js';
import type { Rng } from './rng.js';

export interface TrainStep {
  /** Run one step; returns the batch's mean loss (before the update). */
  run(): number;
  /** Gradient norm of the last step. */
  readonly gradNorm: number;
}

export function makeTrainStep(model: ModelProgram, adam: Adam, dist: Distribution, rng: Rng): TrainStep {
  const params = adam.params;
  const batch = dist.seqLen === undefined ? allocBatch(model.batch) : allocLayoutBatch(model.batch, dist.seqLen);
  const loss = new Float64Array(1);
  let gradNorm = 0;
  return {
    run() {
      dist.sample(rng, batch);
      model.setBatch(batch);
      model.program.forward();
      params.zeroGrads();
      model.program.backward();
      gradNorm = adam.gradNorm();
      adam.step();
      params.be.read(model.loss.buf, loss, 0, 1);
      return loss[0];
    },
    get gradNorm() {
      return gradNorm;
    },
  };
}
