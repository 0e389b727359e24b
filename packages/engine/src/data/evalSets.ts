/**
 * The four fixed evaluation sets of spec 1.6, drawn once per run from the eval seed (spec 3.2).
 *
 * | set               | classes | exemplars | label pairs |
 * |-------------------|---------|-----------|-------------|
 * | fsl_train         | train   | train     | train       |
 * | fsl_val_rl        | train   | train     | val         |
 * | fsl_train_valex   | train   | val       | train       |
 * | fsl_test_class    | test    | train     | train       |
 *
 * All four come from one Rng(seedEval), n sequences each, drawn in the order above. A set that cannot
 * exist under the task's splits is omitted (see `evalSetOmissions` for the reason); because the stream is
 * shared, omitting one changes the draws of the sets after it, so compare eval numbers only between runs
 * with the same splits.
 */

import { Rng } from '../rng.js';
import { makeDistribution, type SequenceDistribution } from './sampler.js';
import { allocBatch, EVAL_SET_NAMES, type EvalSet, type EvalSetName, type FeatureSource, type Task } from './types.js';

/** Why `name` cannot exist for this task, or null if it can. */
export function evalSetOmissionReason(name: EvalSetName, task: Task): string | null {
  switch (name) {
    case 'fsl_train':
      return null;
    case 'fsl_val_rl':
      return task.pairs.val.length === 0 ? 'no val label pairs (labelPairSplit gives 0)' : null;
    case 'fsl_train_valex':
      return task.valExemplars.length === 0 ? 'no val exemplars (exemplarSplit gives 0)' : null;
    case 'fsl_test_class':
      return task.testClasses.length < 2 ? `${task.testClasses.length} test classes, need 2 (query and distractor)` : null;
  }
}

/** The sets `makeEvalSets` leaves out for this task, with reasons (for run records and the CLI). */
export function evalSetOmissions(task: Task): { name: EvalSetName; reason: string }[] {
  const out: { name: EvalSetName; reason: string }[] = [];
  for (const name of EVAL_SET_NAMES) {
    const reason = evalSetOmissionReason(name, task);
    if (reason !== null) out.push({ name, reason });
  }
  return out;
}

/** The distribution behind eval set `name` (spec 1.6 table), or null when it cannot exist. */
export function evalDistribution(name: EvalSetName, task: Task, features: FeatureSource): SequenceDistribution | null {
  if (evalSetOmissionReason(name, task) !== null) return null;
  const L = task.config.numLabels;
  switch (name) {
    case 'fsl_train':
      return makeDistribution(name, features, task.trainClasses, task.trainExemplars, task.pairs.train, L);
    case 'fsl_val_rl':
      return makeDistribution(name, features, task.trainClasses, task.trainExemplars, task.pairs.val, L);
    case 'fsl_train_valex':
      return makeDistribution(name, features, task.trainClasses, task.valExemplars, task.pairs.train, L);
    case 'fsl_test_class':
      return makeDistribution(name, features, task.testClasses, task.trainExemplars, task.pairs.train, L);
  }
}

/** Draw the fixed eval sets once: n sequences each, one Rng(seedEval) stream, in EVAL_SET_NAMES order. */
export function makeEvalSets(task: Task, features: FeatureSource, seedEval: number, n = 1000): EvalSet[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`makeEvalSets: n must be a positive integer, got ${n}`);
  const rng = new Rng(seedEval);
  const sets: EvalSet[] = [];
  for (const name of EVAL_SET_NAMES) {
    const distribution = evalDistribution(name, task, features);
    if (distribution === null) continue;
    const batch = allocBatch(n);
    distribution.sample(rng, batch);
    sets.push({ name, distribution, batch });
  }
  return sets;
}
