/**
 * The tasks a run can train (issue 23 item 2), behind one call: the training distribution, the fixed eval
 * sets and the tokens per sequence for a config's `task`. The paper's task goes through its own sampler
 * and eval sets unchanged (sampler.ts, evalSets.ts), so its runs draw exactly the batches they always did.
 */
import { ConfigError } from '../../configError.js';
import { Rng } from '../../rng.js';
import { evalSetOmissions, makeEvalSets } from '../evalSets.js';
import { trainDistribution } from '../sampler.js';
import type { Distribution, EvalSet, FeatureSource, Task } from '../types.js';
import { allocLayoutBatch } from '../types.js';
import { burstyEvalSets, burstyTrainDistribution, checkBurstyFits } from './bursty.js';
import { kShotDistribution } from './kShot.js';
import { repeatEvalSets, repeatTrainDistribution } from './repeatTokens.js';
import { burstyOf, isPaperTask, repeatOf, taskKind, taskSeqLen, type TaskSelection } from './schema.js';

export * from './schema.js';
export { zipfCdf, classLabels, BURSTY_EVAL_SETS } from './bursty.js';
export { REPEAT_EVAL_SETS } from './repeatTokens.js';
export { kShotDistribution } from './kShot.js';
export type { LayoutDistribution } from './layout.js';
export { sequenceFormat, batchToRows, rowsToEvalSet, columnsOf, columnsText, type SequenceFormat, type ColumnRole } from './sequenceFormat.js';

export interface TaskData {
  /** Tokens per sequence (5 for the paper's task). */
  seqLen: number;
  train: Distribution;
  evalSets: EvalSet[];
}

/** K-shot eval sets: the paper's sets that exist for k pairs (fsl_val_rl needs label pairs), one Rng(seedEval). */
const KSHOT_SETS = [
  ['fsl_train', 'train', 'train'],
  ['fsl_train_valex', 'train', 'val'],
  ['fsl_test_class', 'test', 'train'],
] as const;

/** Build what `task` trains and evaluates on; `seedEval` and `evalSize` as in spec 1.6. */
export function taskData(sel: TaskSelection, task: Task, features: FeatureSource, seedEval: number, evalSize: number): TaskData {
  const L = sel.numLabels;
  if (isPaperTask(sel)) return { seqLen: taskSeqLen(sel), train: trainDistribution(task, features), evalSets: makeEvalSets(task, features, seedEval, evalSize) };
  switch (taskKind(sel)) {
    case 'fewShot': {
      const k = sel.shots!;
      if (task.trainClasses.length < k)
        throw new ConfigError(`config: task.shots ${k} needs ${k} distinct training classes per sequence, task.classSplit gives ${task.trainClasses.length}`);
      const cls = { train: task.trainClasses, test: task.testClasses } as const;
      const ex = { train: task.trainExemplars, val: task.valExemplars } as const;
      const train = kShotDistribution('train', features, task.trainClasses, task.trainExemplars, k, L);
      const rng = new Rng(seedEval);
      const evalSets: EvalSet[] = [];
      for (const [name, c, e] of KSHOT_SETS) {
        // A set its split cannot hold is left out, as evalSets.ts does for the paper's sets.
        if (cls[c].length < k || ex[e].length < 1) continue;
        const distribution = kShotDistribution(name, features, cls[c], ex[e], k, L);
        const batch = allocLayoutBatch(evalSize, distribution.seqLen);
        distribution.sample(rng, batch);
        evalSets.push({ name, distribution, batch });
      }
      return { seqLen: train.seqLen, train, evalSets };
    }
    case 'bursty': {
      const c = burstyOf(sel);
      checkBurstyFits(c, features);
      const train = burstyTrainDistribution(c, features, L);
      return { seqLen: train.seqLen, train, evalSets: burstyEvalSets(c, features, L, seedEval, evalSize) };
    }
    case 'repeatTokens': {
      const c = repeatOf(sel);
      const train = repeatTrainDistribution(c, L, features.dim);
      return { seqLen: train.seqLen, train, evalSets: repeatEvalSets(c, L, features.dim, seedEval, evalSize) };
    }
  }
}

/**
 * The eval sets of the paper's family that `taskData` leaves out for this task, with reasons (for exports
 * and records). Bursty and repeated-token runs have their own sets and omit none.
 */
export function taskEvalSetOmissions(sel: TaskSelection, task: Task): { name: string; reason: string }[] {
  if (isPaperTask(sel)) return evalSetOmissions(task);
  if (taskKind(sel) !== 'fewShot') return [];
  const k = sel.shots!;
  const out = [{ name: 'fsl_val_rl', reason: `${k} shots draw their labels from all ${sel.numLabels}, so no label pairs are held out` }];
  const cls = { train: task.trainClasses, test: task.testClasses } as const;
  const ex = { train: task.trainExemplars, val: task.valExemplars } as const;
  for (const [name, c, e] of KSHOT_SETS) {
    if (cls[c].length < k) out.push({ name, reason: `${cls[c].length} ${c} classes, ${k} shots need ${k}` });
    else if (ex[e].length < 1) out.push({ name, reason: `no ${e} exemplars (exemplarSplit gives 0)` });
  }
  return out;
}
