/**
 * Config fields that select a task beyond the paper's (issue 23 item 2), spread into `task` of the run
 * config. Every field is optional with no default, so a paper config parses to the same stored object as
 * before they existed (run IDs are config hashes; a default here would rename every existing run).
 */
import '../../zodSetup.js';
import { z } from 'zod';

export const TASK_KINDS = ['fewShot', 'bursty', 'repeatTokens'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

const posInt = z.number().int().positive();

/** Chan et al. 2022 / Reddy 2023 bursty, Zipfian few-shot sequences (bursty.ts). */
export const BurstySchema = z
  .object({
    /** k exemplar-label pairs before the query: 2k + 1 tokens. */
    contextPairs: z.number().int().min(2).max(32).default(8),
    /** Fraction of training sequences that are bursty (0: every context i.i.d. Zipfian). */
    pBursty: z.number().min(0).max(1).default(0.9),
    /** Copies of the query's class in a bursty context, and as many of one distractor class. */
    burstiness: posInt.default(3),
    /** Class rank r (0-based) is drawn with probability ∝ (r + 1)^-zipfExponent; 0 is uniform. */
    zipfExponent: z.number().min(0).max(10).default(1),
    /** Training classes: the first ones of the feature table, in rank order. */
    trainClasses: z.number().int().min(2).default(1000),
    /** The most frequent ranks, whose in-weights learning `iwl_common` measures. */
    commonClasses: posInt.default(10),
    /** Held-out classes, never trained on: the last ones of the feature table (`icl_holdout`). */
    holdoutClasses: z.number().int().min(2).default(100),
    /** Exemplars per class used (the first ones of the table); absent: all of them. */
    exemplars: posInt.optional(),
    /** Seed of each training class's fixed label (a uniform draw from task.numLabels). */
    labelSeed: z.number().int().nonnegative().default(0),
  })
  .strict();

/** Olsson et al. 2022 repeated random tokens (repeatTokens.ts); the vocabulary is task.numLabels tokens. */
export const RepeatSchema = z
  .object({
    /** n distinct random tokens. */
    prefixLength: z.number().int().min(3).max(256).default(16),
    /** m tokens of the prefix repeated from a random offset; the target is the token after them. */
    repeatLength: posInt.default(1),
  })
  .strict();

/** The fields `config.ts` adds to `task`. */
export const TASK_FIELDS = {
  /** Which task trains (absent: the paper's few-shot task). */
  kind: z.enum(TASK_KINDS).optional(),
  /** Exemplar-label pairs k of the few-shot task (absent: 2, the paper's 5 tokens). */
  shots: z.number().int().min(2).max(32).optional(),
  bursty: BurstySchema.optional(),
  repeat: RepeatSchema.optional(),
};

export type BurstyConfig = z.output<typeof BurstySchema>;
export type RepeatConfig = z.output<typeof RepeatSchema>;

/** The task part of a run config as the tasks read it. */
export interface TaskSelection {
  numLabels: number;
  kind?: TaskKind;
  shots?: number;
  bursty?: z.input<typeof BurstySchema>;
  repeat?: z.input<typeof RepeatSchema>;
}

export const taskKind = (t: TaskSelection): TaskKind => t.kind ?? 'fewShot';

/** The parameters of the selected task with their defaults filled in. */
export const burstyOf = (t: TaskSelection): BurstyConfig => BurstySchema.parse(t.bursty ?? {});
export const repeatOf = (t: TaskSelection): RepeatConfig => RepeatSchema.parse(t.repeat ?? {});

/** Does this selection train the paper's own 5-token task (the code path kept bit for bit)? */
export const isPaperTask = (t: TaskSelection): boolean => taskKind(t) === 'fewShot' && (t.shots ?? 2) === 2;

/** Tokens per sequence of the selected task. */
export function taskSeqLen(t: TaskSelection): number {
  switch (taskKind(t)) {
    case 'fewShot':
      return 2 * (t.shots ?? 2) + 1;
    case 'bursty':
      return 2 * burstyOf(t).contextPairs + 1;
    case 'repeatTokens': {
      const r = repeatOf(t);
      return r.prefixLength + r.repeatLength;
    }
  }
}

/**
 * Cross-field rules that need no feature table, as [field path, message] (config.ts reports the first).
 * Rules that depend on the table (class counts) are checked when the task is built.
 */
export function taskIssues(t: TaskSelection): [string[], string][] {
  const out: [string[], string][] = [];
  const kind = taskKind(t);
  const L = t.numLabels;
  if (t.shots !== undefined && kind !== 'fewShot') out.push([['task', 'shots'], `applies to task.kind 'fewShot' only, the task is '${kind}'`]);
  if (t.bursty !== undefined && kind !== 'bursty') out.push([['task', 'bursty'], `set, but task.kind is '${kind}' (add "kind": "bursty")`]);
  if (t.repeat !== undefined && kind !== 'repeatTokens') out.push([['task', 'repeat'], `set, but task.kind is '${kind}' (add "kind": "repeatTokens")`]);
  if (kind === 'fewShot' && t.shots !== undefined && t.shots > L)
    out.push([['task', 'shots'], `${t.shots} pairs need ${t.shots} distinct labels, task.numLabels is ${L}`]);
  if (kind === 'bursty') {
    const b = BurstySchema.safeParse(t.bursty ?? {});
    if (b.success) {
      const c = b.data;
      if (2 * c.burstiness > c.contextPairs)
        out.push([['task', 'bursty', 'burstiness'], `${c.burstiness} copies of the query's class and of a distractor need ${2 * c.burstiness} context pairs, bursty.contextPairs is ${c.contextPairs}`]);
      if (c.commonClasses > c.trainClasses)
        out.push([['task', 'bursty', 'commonClasses'], `${c.commonClasses} common classes, more than the ${c.trainClasses} trainClasses`]);
    }
  }
  if (kind === 'repeatTokens') {
    const r = RepeatSchema.safeParse(t.repeat ?? {});
    if (r.success) {
      const c = r.data;
      if (c.repeatLength > c.prefixLength - 1)
        out.push([['task', 'repeat', 'repeatLength'], `${c.repeatLength} repeated tokens leave no next token in a prefix of ${c.prefixLength}; use at most ${c.prefixLength - 1}`]);
      if (c.prefixLength > L)
        out.push([['task', 'repeat', 'prefixLength'], `${c.prefixLength} distinct tokens need a vocabulary (task.numLabels) of at least ${c.prefixLength}, it is ${L}`]);
    }
  }
  return out;
}
