/**
 * Where things sit in a task's sequences, for the clamps that address positions (issue 23 item 3): the
 * query, the candidates (the positions whose token the query may copy as its answer) and the exemplar
 * before each candidate. The clamps build their masks from this, never from the paper's 5-token indices.
 *
 * - few-shot tasks (the paper's, k shots, bursty): x_1, l_1, …, x_k, l_k, x_q. Candidates are the label
 *   positions 1, 3, …, 2k − 1; the exemplar of candidate 2i + 1 is 2i; the query is 2k.
 * - repeated tokens: r_0 … r_{n−1}, then m of them again. Candidates are the prefix positions 0..n − 1
 *   (the answer is the prefix token after the query token's earlier occurrence); there are no exemplars.
 *
 * The answer of a sequence is the candidate (or candidates: bursty contexts repeat a label) whose token is
 * the target label, read from the batch, so it is defined on any eval set of the task.
 */
import type { SequenceBatch } from '../types.js';
import { tokenLabel } from '../types.js';
import { repeatOf, taskKind, taskSeqLen, type TaskKind, type TaskSelection } from './schema.js';

export interface TaskPositions {
  /** The task in words, for messages ("the paper's task", "fewShot with 4 shots", ...). */
  readonly name: string;
  readonly kind: TaskKind;
  readonly seqLen: number;
  /** The query position, whose logits are the prediction (always the last). */
  readonly query: number;
  /** Positions whose token the query may copy, ascending. */
  readonly candidates: readonly number[];
  /** The exemplar position before each candidate (same order), or null when no token carries features. */
  readonly exemplars: readonly number[] | null;
}

/** The few-shot layout of 2k + 1 tokens (the paper's is k = 2). */
export function fewShotPositions(seqLen: number, name = seqLen === 5 ? "the paper's task" : `fewShot with ${(seqLen - 1) / 2} shots`, kind: TaskKind = 'fewShot'): TaskPositions {
  if (seqLen < 3 || seqLen % 2 !== 1) throw new Error(`a few-shot layout has 2k + 1 tokens, got ${seqLen}`);
  const k = (seqLen - 1) / 2;
  return { name, kind, seqLen, query: seqLen - 1, candidates: Array.from({ length: k }, (_, i) => 2 * i + 1), exemplars: Array.from({ length: k }, (_, i) => 2 * i) };
}

/** n prefix tokens then m repeated ones. */
export function repeatPositions(prefixLength: number, repeatLength: number): TaskPositions {
  const seqLen = prefixLength + repeatLength;
  return { name: `repeatTokens (${prefixLength} + ${repeatLength} tokens)`, kind: 'repeatTokens', seqLen, query: seqLen - 1, candidates: Array.from({ length: prefixLength }, (_, i) => i), exemplars: null };
}

/** The positions of the task a config selects. */
export function taskPositions(sel: TaskSelection): TaskPositions {
  const kind = taskKind(sel);
  const T = taskSeqLen(sel);
  switch (kind) {
    case 'fewShot':
      return fewShotPositions(T);
    case 'bursty':
      return fewShotPositions(T, `bursty (${(T - 1) / 2} pairs)`, 'bursty');
    case 'repeatTokens': {
      const r = repeatOf(sel);
      return repeatPositions(r.prefixLength, r.repeatLength);
    }
  }
}

/**
 * Token `pos` of sequence b: an item-table row (≥ 0) or `labelToken(l)`, from either batch form (the
 * paper's compact fields or the general layout).
 */
export function tokenAt(sb: SequenceBatch, b: number, pos: number): number {
  if (sb.layout) return sb.layout.tokens[b * sb.layout.seqLen + pos];
  if (pos % 2 === 1) return -1 - sb.contextLabel[2 * b + (pos - 1) / 2];
  return sb.item[3 * b + pos / 2];
}

/** The label each candidate of sequence b carries (what the query would answer by copying it). */
export function candidateLabels(p: TaskPositions, sb: SequenceBatch, b: number, out: Int32Array): Int32Array {
  p.candidates.forEach((pos, i) => (out[i] = tokenLabel(tokenAt(sb, b, pos))));
  return out;
}
