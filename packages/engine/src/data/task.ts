/**
 * Class/exemplar splits (spec 1.2) and the few-shot relabelling's label-pair split (spec 1.3).
 *
 * Splits are consecutive index ranges: train classes 0..n_train-1, then val, then test (so with
 * [50,1473,100] the test classes are always the last 100 of the 1623). Label pairs are all unordered
 * {a<b} of 0..L-1; test and val each get floor(n·p/Σp) of them, train gets the rest, chosen by a
 * permutation seeded with `pairSeed`. The permutation is ours (xoshiro, not numpy), so which two pairs are
 * held out differs from the original; the counts and the constraints are the same.
 */

import { Rng } from '../rng.js';
import type { FeatureSource, LabelPair, Task, TaskConfig } from './types.js';

/** The paper's main configuration (spec 1.2-1.3). */
export function defaultTaskConfig(): TaskConfig {
  return {
    classSplit: [50, 1473, 100],
    exemplarSplit: [1, 4, 0],
    numLabels: 5,
    labelPairSplit: [8, 2, 0],
    pairSeed: 20,
  };
}

/** All unordered label pairs {a<b} of 0..numLabels-1, in lexicographic order (the order that gets permuted). */
export function allLabelPairs(numLabels: number): LabelPair[] {
  const out: LabelPair[] = [];
  for (let a = 0; a < numLabels; a++) for (let b = a + 1; b < numLabels; b++) out.push([a, b]);
  return out;
}

/** Pair counts of spec 1.3: floor(n·p/Σp) for test and val, the remainder for train. */
export function labelPairCounts(
  numLabels: number,
  split: readonly [number, number, number],
): { train: number; val: number; test: number } {
  const n = (numLabels * (numLabels - 1)) / 2;
  const total = split[0] + split[1] + split[2];
  const test = Math.floor((n * split[2]) / total);
  const val = Math.floor((n * split[1]) / total);
  return { train: n - val - test, val, test };
}

/**
 * Label pairs L(L-1)/2 are enumerated and permuted to split them (spec 1.3), so their count is bounded:
 * at most 1448 labels (the paper uses 5, 10 and 15). Beyond it memory would grow without a word.
 */
export const MAX_LABEL_PAIRS = 2 ** 20;
export const MAX_LABELS = Math.floor((1 + Math.sqrt(1 + 8 * MAX_LABEL_PAIRS)) / 2);

/** Why `numLabels` is too many, or null. */
export function tooManyLabels(numLabels: number): string | null {
  if (numLabels <= MAX_LABELS) return null;
  const pairs = (numLabels * (numLabels - 1)) / 2;
  return `${numLabels} labels make ${pairs.toExponential(2)} label pairs, more than the ${MAX_LABEL_PAIRS.toLocaleString('en-US')} the task can split (at most ${MAX_LABELS} labels)`;
}

/** Permutations tried before giving up on "every label in a train pair" (only near-impossible splits hit it). */
const MAX_PAIR_ATTEMPTS = 100_000;

/** Resolve a TaskConfig against a feature table; throws with the offending field and numbers. */
export function buildTask(config: TaskConfig, features: FeatureSource): Task {
  validateConfig(config, features);
  const [nTrainC, nValC, nTestC] = config.classSplit;
  const [nTrainE, nValE, nTestE] = config.exemplarSplit;
  const L = config.numLabels;

  const counts = labelPairCounts(L, config.labelPairSplit);
  const canonical = allLabelPairs(L);
  const rng = new Rng(config.pairSeed);
  for (let attempt = 0; attempt < MAX_PAIR_ATTEMPTS; attempt++) {
    const perm = canonical.slice();
    rng.shuffle(perm);
    const test = perm.slice(0, counts.test);
    const val = perm.slice(counts.test, counts.test + counts.val);
    const train = perm.slice(counts.test + counts.val);
    // A label that never appears in a train pair could never be a target in training, and the held-out
    // pairs would then test an unseen label rather than an unseen pairing (spec 1.3).
    const seen = new Uint8Array(L);
    for (const [a, b] of train) seen[a] = seen[b] = 1;
    if (!seen.every((s) => s === 1)) continue;
    return {
      config: structuredClone(config),
      trainClasses: range(0, nTrainC),
      valClasses: range(nTrainC, nValC),
      testClasses: range(nTrainC + nValC, nTestC),
      trainExemplars: range(0, nTrainE),
      valExemplars: range(nTrainE, nValE),
      testExemplars: range(nTrainE + nValE, nTestE),
      pairs: { train, val, test },
    };
  }
  throw new Error(
    `buildTask: no permutation in ${MAX_PAIR_ATTEMPTS} tries (pairSeed ${config.pairSeed}) puts all ${L} labels in the ${counts.train} train pairs; lower labelPairSplit's val/test share`,
  );
}

function range(start: number, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i;
  return out;
}

function validateConfig(config: TaskConfig, features: FeatureSource): void {
  const intTriple = (field: string, v: readonly number[]): void => {
    if (v.length !== 3 || !v.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new Error(`buildTask: ${field} must be three non-negative integers, got [${v.join(', ')}]`);
    }
  };
  intTriple('classSplit', config.classSplit);
  intTriple('exemplarSplit', config.exemplarSplit);
  const sumC = config.classSplit[0] + config.classSplit[1] + config.classSplit[2];
  if (sumC > features.nClasses) {
    throw new Error(`buildTask: classSplit [${config.classSplit.join(', ')}] needs ${sumC} classes, the features have ${features.nClasses} (${features.description})`);
  }
  const sumE = config.exemplarSplit[0] + config.exemplarSplit[1] + config.exemplarSplit[2];
  if (sumE > features.nExemplars) {
    throw new Error(`buildTask: exemplarSplit [${config.exemplarSplit.join(', ')}] needs ${sumE} exemplars, the features have ${features.nExemplars} (${features.description})`);
  }
  if (config.classSplit[0] < 2) {
    throw new Error(`buildTask: classSplit train count is ${config.classSplit[0]}, need at least 2 (every sequence has a distractor class)`);
  }
  if (config.exemplarSplit[0] < 1) throw new Error('buildTask: exemplarSplit train count is 0, need at least 1');
  const L = config.numLabels;
  if (!Number.isInteger(L) || L < 2) throw new Error(`buildTask: numLabels must be an integer >= 2, got ${L}`);
  const many = tooManyLabels(L);
  if (many) throw new Error(`buildTask: numLabels ${L}: ${many}`);
  const p = config.labelPairSplit;
  if (p.length !== 3 || !p.every((x) => Number.isFinite(x) && x >= 0) || p[0] + p[1] + p[2] <= 0) {
    throw new Error(`buildTask: labelPairSplit must be three non-negative numbers with a positive sum, got [${p.join(', ')}]`);
  }
  if (!Number.isInteger(config.pairSeed)) throw new Error(`buildTask: pairSeed must be an integer, got ${config.pairSeed}`);
  const counts = labelPairCounts(L, p);
  const needed = Math.ceil(L / 2);
  if (counts.train < needed) {
    throw new Error(
      `buildTask: labelPairSplit [${p.join(', ')}] leaves ${counts.train} train pairs of ${(L * (L - 1)) / 2}; ${L} labels need at least ${needed} for each to appear in one`,
    );
  }
}

/** Classes in the Omniglot feature file (spec 1.1); the test classes are always its last 100 (spec 1.2). */
export const OMNIGLOT_CLASSES = 1623;
export const TEST_CLASSES = 100;

/**
 * Training classes N → classSplit [N, 1623 − 100 − N, 100]: the paper's splits of Fig. 6 (50, 100, 200, ...).
 * Throws when N leaves no room for the test classes.
 */
export function classSplitFor(classes: number): [number, number, number] {
  const val = OMNIGLOT_CLASSES - TEST_CLASSES - classes;
  if (!Number.isInteger(classes) || classes < 1 || val < 0)
    throw new RangeError(`${classes} training classes: use 1 to ${OMNIGLOT_CLASSES - TEST_CLASSES} (the last ${TEST_CLASSES} of ${OMNIGLOT_CLASSES} are the test classes)`);
  return [classes, val, TEST_CLASSES];
}
