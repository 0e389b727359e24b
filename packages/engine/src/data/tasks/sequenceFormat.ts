/**
 * Every task's sequences as one integer array, the exchange form of `opto data export`, `opto eval
 * --sequences` and python/optoscope: one row per sequence, the tokens in order, then the target.
 *
 *   few-shot, k shots (the paper's task is k = 2) and bursty (k = contextPairs): int [n, 2k + 2]
 *     x1 l1 x2 l2 … xk lk xq target
 *     x* are rows of the feature table flattened to [nClasses·nExemplars, dim] (class · nExemplars +
 *     exemplar), l* and target label indices in [0, L). The model reads [x1 … xq]; only the query xq (the
 *     last token) is scored: cross-entropy of its logits against target.
 *   repeated tokens, n prefix + m repeated: int [n, n + m + 1]
 *     p1 … pn r1 … rm target
 *     token ids in [0, V), V = task.numLabels. The model reads [p1 … pn r1 … rm]; only the last token rm is
 *     scored, against target (the token after rm's earlier occurrence in the prefix on the `repeat` set).
 *
 * Rows are checked for shape and ranges only, not for the sampler's structure: a researcher's own
 * sequences (a target outside the context, a shuffled prefix) evaluate as given. The paper's task keeps
 * sequenceArray.ts, its compact batches and its messages, bit for bit.
 */
import { batchToSequences, fixedItemTable, SEQUENCE_COLUMNS, sequencesToEvalSet } from '../sequenceArray.js';
import type { Distribution, EvalSet, FeatureSource, SequenceBatch } from '../types.js';
import { allocLayoutBatch, labelToken, tokenLabel } from '../types.js';
import { taskPositions } from './positions.js';
import { isPaperTask, repeatOf, taskKind, type TaskKind, type TaskSelection } from './schema.js';

/** What a column holds: a feature-table row, a context label, a token id (repeated tokens), the target. */
export type ColumnRole = 'x' | 'label' | 'token' | 'target';

export interface SequenceFormat {
  /** The task in words ("the paper's task", "fewShot with 4 shots", ...). */
  readonly task: string;
  readonly kind: TaskKind;
  /** The paper's 5-token task, converted by sequenceArray.ts. */
  readonly paper: boolean;
  readonly seqLen: number;
  /** seqLen token columns, then `target`. */
  readonly columns: readonly string[];
  readonly roles: readonly ColumnRole[];
  /** What the x columns index (null when no token carries features). */
  readonly x: string | null;
  /** How the model reads a row and what is scored. */
  readonly tokens: string;
}

/** The format of the task a config selects. */
export function sequenceFormat(sel: TaskSelection): SequenceFormat {
  const p = taskPositions(sel);
  if (taskKind(sel) === 'repeatTokens') {
    const { prefixLength: n, repeatLength: m } = repeatOf(sel);
    const columns = [...names('p', n), ...names('r', m), 'target'];
    const input = columns.slice(0, -1);
    return {
      task: p.name,
      kind: p.kind,
      paper: false,
      seqLen: p.seqLen,
      columns,
      roles: [...input.map((): ColumnRole => 'token'), 'target'],
      x: null,
      tokens:
        `model input [${input.join(', ')}], token ids in [0, task.numLabels); on the training distribution r1 … r${m} repeat p(j+1) … p(j+${m}) for an offset j ` +
        `(repeat_shuffled shuffles the prefix afterwards); only the last position ${input.at(-1)} is scored: cross-entropy of its logits against target`,
    };
  }
  const k = p.candidates.length;
  const columns = k === 2 ? [...SEQUENCE_COLUMNS] : [...Array.from({ length: k }, (_, i) => [`x${i + 1}`, `l${i + 1}`]).flat(), 'xq', 'target'];
  const roles = columns.map((c): ColumnRole => (c === 'target' ? 'target' : c.startsWith('x') ? 'x' : 'label'));
  const input = columns.slice(0, -1);
  return {
    task: p.name,
    kind: p.kind,
    paper: isPaperTask(sel),
    seqLen: p.seqLen,
    columns,
    roles,
    x: `${columns.filter((_, i) => roles[i] === 'x').join(', ')} index rows of features.reshape(-1, dim)`,
    tokens: `model input [${input.join(', ')}]; the loss is cross-entropy of the logits at xq against target`,
  };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Column indices by role, for manifests and readers. */
export function columnsOf(fmt: SequenceFormat, role: ColumnRole): number[] {
  return fmt.roles.flatMap((r, i) => (r === role ? [i] : []));
}

/** The columns in a message: all of them when few, else the first and last ones around an ellipsis. */
export function columnsText(c: readonly string[]): string {
  return c.length <= 8 ? c.join(' ') : `${c.slice(0, 4).join(' ')} … ${c.slice(-3).join(' ')}`;
}

/** A batch drawn from `dist` as rows of `fmt` (item-table rows mapped to feature-table rows), written at row `at` of `out`. */
export function batchToRows(fmt: SequenceFormat, batch: SequenceBatch, dist: Pick<Distribution, 'items'>, out = new Int32Array(batch.size * fmt.columns.length), at = 0): Int32Array {
  if (fmt.paper) return batchToSequences(batch, dist, out, at);
  const T = fmt.seqLen;
  const W = T + 1;
  const lay = batch.layout;
  if (!lay || lay.seqLen !== T) throw new Error(`a batch of ${fmt.task} needs its ${T}-token layout`);
  for (let b = 0; b < batch.size; b++) {
    const o = (at + b) * W;
    for (let t = 0; t < T; t++) {
      const tok = lay.tokens[b * T + t];
      out[o + t] = tok < 0 ? tokenLabel(tok) : dist.items[tok];
    }
    out[o + T] = batch.target[b];
  }
  return out;
}

/**
 * A fixed set from rows of `fmt`: its item table is the distinct feature rows the sequences use. Every
 * value is checked against the feature table and the label count first; the error names the row and column.
 */
export function rowsToEvalSet(fmt: SequenceFormat, name: string, rows: ArrayLike<number>, shape: readonly number[], features: FeatureSource, numLabels: number, where = name): EvalSet {
  if (fmt.paper) return sequencesToEvalSet(name, rows, shape, features, numLabels, where);
  const T = fmt.seqLen;
  const W = T + 1;
  if (shape.length !== 2 || shape[1] !== W) throw new Error(`${where}: shape (${shape.join(', ')}), expected (n, ${W}) with columns ${columnsText(fmt.columns)} for ${fmt.task}`);
  const n = shape[0];
  if (n < 1) throw new Error(`${where}: no sequences (shape (${shape.join(', ')}))`);
  const nRows = features.nClasses * features.nExemplars;
  const vocab = fmt.kind === 'repeatTokens';
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < W; c++) {
      const v = rows[i * W + c];
      const isX = fmt.roles[c] === 'x';
      const limit = isX ? nRows : numLabels;
      if (!Number.isInteger(v) || v < 0 || v >= limit) {
        const what = isX
          ? `the feature table's ${nRows} rows (${features.nClasses} classes x ${features.nExemplars} exemplars)`
          : vocab
            ? `the vocabulary of ${numLabels} tokens (task.numLabels)`
            : `the ${numLabels} labels`;
        throw new Error(`${where}: row ${i}, column ${fmt.columns[c]}: ${v} is outside ${what}`);
      }
    }
  }
  const table = fixedItemTable(features);
  const batch = allocLayoutBatch(n, T);
  const { tokens, cls } = batch.layout;
  for (let b = 0; b < n; b++) {
    const o = b * W;
    for (let t = 0; t < T; t++) {
      const v = rows[o + t];
      if (fmt.roles[t] === 'x') {
        tokens[b * T + t] = table.item(v);
        cls[b * T + t] = Math.floor(v / features.nExemplars);
      } else tokens[b * T + t] = labelToken(v);
    }
    batch.target[b] = rows[o + T];
  }
  const distribution = table.distribution(name, numLabels, where, T);
  return { name, distribution, batch };
}
