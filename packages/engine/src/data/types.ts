/**
 * The data contracts of spec section 1, shared by the sampler, the model and the analyses.
 *
 * A sequence is always the 5-token few-shot layout of spec 1.5: x_1, l_1, x_2, l_2, x_q. The model never
 * sees raw 512-d vectors per token: each distribution owns an item table (the distinct feature rows it can
 * draw: class x allowed exemplar), the model embeds that table once per batch and gathers rows per token.
 * For the training distribution the table is just the 50 training classes' exemplar 0.
 */

/** Raw features, spec 1.1: data[c, e, :] float32, row-major [nClasses, nExemplars, dim]. */
export interface FeatureSource {
  readonly nClasses: number;
  readonly nExemplars: number;
  readonly dim: number;
  readonly data: Float32Array;
  /** Where the features came from, e.g. `synthetic(seed=0)` or a file path; recorded in run.json. */
  readonly description: string;
}

/** Spec 1.2-1.3 knobs. */
export interface TaskConfig {
  /** [train, val, test] class counts, consecutive index ranges; spec default [50, 1473, 100]. */
  classSplit: [number, number, number];
  /** [train, val, test] exemplar counts, consecutive index ranges; spec default [1, 4, 0]. */
  exemplarSplit: [number, number, number];
  /** L, the number of output labels (5 main; 10, 15 in Fig. 6). */
  numLabels: number;
  /** Proportions [train, val, test] for splitting the L(L-1)/2 unordered label pairs; default [8, 2, 0]. */
  labelPairSplit: [number, number, number];
  /** Seed of the label-pair permutation (20 in the original). */
  pairSeed: number;
}

/** An unordered label pair {a < b}. */
export type LabelPair = readonly [number, number];

/** The resolved splits of spec 1.2-1.3. */
export interface Task {
  readonly config: TaskConfig;
  readonly trainClasses: Int32Array;
  readonly valClasses: Int32Array;
  readonly testClasses: Int32Array;
  readonly trainExemplars: Int32Array;
  readonly valExemplars: Int32Array;
  readonly testExemplars: Int32Array;
  readonly pairs: { readonly train: LabelPair[]; readonly val: LabelPair[]; readonly test: LabelPair[] };
}

/**
 * A batch of B sequences in the compact form the model consumes. Preallocate once with `allocBatch` and
 * let samplers fill it in place: the training loop allocates nothing per step.
 */
export interface SequenceBatch {
  /** Number of sequences B. */
  size: number;
  /** [B, 3] row of the distribution's item table for x_1, x_2, x_q (positions 0, 2, 4). */
  item: Int32Array;
  /** [B, 2] labels l_1, l_2 (positions 1, 3); always different from each other. */
  contextLabel: Int32Array;
  /** [B] the query's label (= contextLabel[b, querySlot[b]]). */
  target: Int32Array;
  /** [B] which context slot (0 or 1) holds the query's class. */
  querySlot: Uint8Array;
  /** [B, 3] class index of x_1, x_2, x_q (for analyses and tests; the model does not read it). */
  cls: Int32Array;
  /**
   * Tasks beyond the paper's 5-token layout (data/tasks/): T tokens per sequence, the last one the query.
   * When set, the model reads `tokens` instead of item/contextLabel; the fields above then keep only
   * `target` (the query's label) meaningful.
   */
  layout?: TokenLayout;
}

/**
 * A general token layout: T tokens per sequence, [B, T] row-major. A token is an item-table row (>= 0) or
 * a label l encoded as `labelToken(l)` = -1 - l, so one Int32Array says both which embedding table
 * a token reads and which row, independently of the item table's size.
 */
export interface TokenLayout {
  readonly seqLen: number;
  readonly tokens: Int32Array;
  /** [B, T] class of each item token (-1 at label tokens), for tests and analyses. */
  readonly cls: Int32Array;
}

export const labelToken = (l: number): number => -1 - l;
/** The label a token encodes, or -1 for an item token. */
export const tokenLabel = (t: number): number => (t < 0 ? -1 - t : -1);

/** A batch of B sequences of T tokens in the general layout (paper fields sized for B, unused but target). */
export function allocLayoutBatch(size: number, seqLen: number): SequenceBatch & { layout: TokenLayout } {
  return { ...allocBatch(size), layout: { seqLen, tokens: new Int32Array(size * seqLen), cls: new Int32Array(size * seqLen).fill(-1) } };
}

/** A distribution over sequences: which classes, exemplars and label pairs it draws from. */
export interface Distribution {
  readonly name: string;
  /** Distinct feature rows this distribution can draw, as class * nExemplars + exemplar. */
  readonly items: Int32Array;
  /** [items.length, dim] the feature vectors of `items`, gathered once. */
  readonly itemFeatures: Float32Array;
  readonly dim: number;
  readonly numLabels: number;
  /** Tokens per sequence when not the paper's 5 (then `sample` fills `SequenceBatch.layout`). */
  readonly seqLen?: number;
  /** Fill `out` (size B) with fresh i.i.d. sequences (spec 1.4), advancing `rng`. Allocates nothing. */
  sample(rng: import('../rng.js').Rng, out: SequenceBatch): void;
}

/** A fixed evaluation set (spec 1.6): a distribution plus the batch drawn from it once. */
export interface EvalSet {
  /** One of EVAL_SET_NAMES for the paper's task; the tasks of data/tasks/ name their own sets. */
  readonly name: EvalSetName | (string & {});
  readonly distribution: Distribution;
  readonly batch: SequenceBatch;
}

export type EvalSetName = 'fsl_train' | 'fsl_val_rl' | 'fsl_train_valex' | 'fsl_test_class';
export const EVAL_SET_NAMES: readonly EvalSetName[] = ['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class'];

export function allocBatch(size: number): SequenceBatch {
  return {
    size,
    item: new Int32Array(size * 3),
    contextLabel: new Int32Array(size * 2),
    target: new Int32Array(size),
    querySlot: new Uint8Array(size),
    cls: new Int32Array(size * 3),
  };
}
