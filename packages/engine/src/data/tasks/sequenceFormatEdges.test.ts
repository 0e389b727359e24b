/**
 * The integer exchange form of every task's sequences (sequenceFormat.ts, and sequenceArray.ts for the
 * paper's task) on a hand-made 3-class x 2-exemplar feature table: the columns, roles and texts written out
 * by hand, batches to rows and rows back to batches token by token, and each rejected value's message.
 */
import { describe, expect, it } from 'vitest';
import { batchToSequences, fixedItemTable, SEQUENCE_COLUMNS, sequencesToEvalSet } from '../sequenceArray.js';
import { allocBatch, allocLayoutBatch, EVAL_SET_NAMES, labelToken, tokenLabel, type FeatureSource } from '../types.js';
import { batchToRows, columnsOf, columnsText, rowsToEvalSet, sequenceFormat } from './sequenceFormat.js';

/** 3 classes x 2 exemplars of dim 2: row r = class·2 + exemplar holds [10r, 10r + 1]. */
function table(): FeatureSource {
  const data = new Float32Array(12);
  for (let r = 0; r < 6; r++) data.set([10 * r, 10 * r + 1], 2 * r);
  return { nClasses: 3, nExemplars: 2, dim: 2, data, description: 'hand' };
}

const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
};

describe('sequenceFormat', () => {
  it("the paper's task: the six columns of sequenceArray, x columns and labels", () => {
    const f = sequenceFormat({ numLabels: 5 });
    expect(f).toEqual({
      task: "the paper's task",
      kind: 'fewShot',
      paper: true,
      seqLen: 5,
      columns: ['x1', 'l1', 'x2', 'l2', 'xq', 'target'],
      roles: ['x', 'label', 'x', 'label', 'x', 'target'],
      x: 'x1, x2, xq index rows of features.reshape(-1, dim)',
      tokens: 'model input [x1, l1, x2, l2, xq]; the loss is cross-entropy of the logits at xq against target',
    });
    expect(sequenceFormat({ numLabels: 5, shots: 2 }).paper).toBe(true);
  });

  it('few-shot with 3 shots and bursty with 2 pairs: 2k + 2 columns, not the paper task', () => {
    const f = sequenceFormat({ numLabels: 5, shots: 3 });
    expect(f.paper).toBe(false);
    expect(f.kind).toBe('fewShot');
    expect(f.seqLen).toBe(7);
    expect(f.task).toBe('fewShot with 3 shots');
    expect(f.columns).toEqual(['x1', 'l1', 'x2', 'l2', 'x3', 'l3', 'xq', 'target']);
    expect(f.roles).toEqual(['x', 'label', 'x', 'label', 'x', 'label', 'x', 'target']);
    expect(f.x).toBe('x1, x2, x3, xq index rows of features.reshape(-1, dim)');
    expect(f.tokens).toBe('model input [x1, l1, x2, l2, x3, l3, xq]; the loss is cross-entropy of the logits at xq against target');
    const b = sequenceFormat({ numLabels: 5, kind: 'bursty', bursty: { contextPairs: 2, burstiness: 1 } });
    expect(b.paper).toBe(false);
    expect(b.kind).toBe('bursty');
    expect(b.task).toBe('bursty (2 pairs)');
    expect(b.columns).toEqual([...SEQUENCE_COLUMNS]);
  });

  it('repeated tokens: p, r and target columns, token roles, no x', () => {
    const f = sequenceFormat({ numLabels: 9, kind: 'repeatTokens', repeat: { prefixLength: 3, repeatLength: 2 } });
    expect(f).toEqual({
      task: 'repeatTokens (3 + 2 tokens)',
      kind: 'repeatTokens',
      paper: false,
      seqLen: 5,
      columns: ['p1', 'p2', 'p3', 'r1', 'r2', 'target'],
      roles: ['token', 'token', 'token', 'token', 'token', 'target'],
      x: null,
      tokens:
        'model input [p1, p2, p3, r1, r2], token ids in [0, task.numLabels); on the training distribution r1 … r2 repeat p(j+1) … p(j+2) for an offset j ' +
        '(repeat_shuffled shuffles the prefix afterwards); only the last position r2 is scored: cross-entropy of its logits against target',
    });
  });

  it('columnsOf and columnsText', () => {
    const f = sequenceFormat({ numLabels: 5, shots: 3 });
    expect(columnsOf(f, 'x')).toEqual([0, 2, 4, 6]);
    expect(columnsOf(f, 'label')).toEqual([1, 3, 5]);
    expect(columnsOf(f, 'target')).toEqual([7]);
    expect(columnsOf(f, 'token')).toEqual([]);
    expect(columnsText(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])).toBe('a b c d e f g h');
    expect(columnsText(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'])).toBe('a b c d … g h i');
  });
});

describe('batchToRows / rowsToEvalSet', () => {
  it("the paper's task: [B, 6] rows from the compact batch, and back", () => {
    const f = sequenceFormat({ numLabels: 5 });
    const batch = allocBatch(2);
    batch.item.set([0, 1, 0, 2, 1, 1]);
    batch.contextLabel.set([3, 4, 0, 2]);
    batch.target.set([3, 2]);
    const dist = { items: Int32Array.from([5, 1, 4]) };
    expect(Array.from(batchToRows(f, batch, dist))).toEqual([5, 3, 1, 4, 5, 3, 4, 0, 1, 2, 1, 2]);
    expect(Array.from(batchToSequences(batch, dist))).toEqual([5, 3, 1, 4, 5, 3, 4, 0, 1, 2, 1, 2]);
    // written at row 1 of a larger array, row 0 untouched
    const out = new Int32Array(18).fill(-7);
    batchToRows(f, batch, dist, out, 1);
    expect(Array.from(out)).toEqual([-7, -7, -7, -7, -7, -7, 5, 3, 1, 4, 5, 3, 4, 0, 1, 2, 1, 2]);

    const rows = [5, 3, 1, 4, 5, 3, 4, 0, 1, 2, 1, 2];
    const set = rowsToEvalSet(f, 'mine', rows, [2, 6], table(), 5);
    expect(set.name).toBe('mine');
    // item table: distinct feature rows in first use order 5, 1, 4
    expect(Array.from(set.distribution.items)).toEqual([5, 1, 4]);
    expect(Array.from(set.distribution.itemFeatures)).toEqual([50, 51, 10, 11, 40, 41]);
    expect(set.distribution.dim).toBe(2);
    expect(set.distribution.numLabels).toBe(5);
    expect(set.distribution.seqLen).toBeUndefined();
    expect(Array.from(set.batch.item)).toEqual([0, 1, 0, 2, 1, 1]);
    expect(Array.from(set.batch.cls)).toEqual([2, 0, 2, 2, 0, 0]);
    expect(Array.from(set.batch.contextLabel)).toEqual([3, 4, 0, 2]);
    expect(Array.from(set.batch.target)).toEqual([3, 2]);
    expect(Array.from(set.batch.querySlot)).toEqual([0, 1]);
    expect(set.batch.layout).toBeUndefined();
    expect(thrown(() => set.distribution.sample({} as never, set.batch))).toBe('mine: a fixed set of sequences cannot be resampled');
  });

  it('3 shots: [B, 8] rows from the token layout, and back into one', () => {
    const f = sequenceFormat({ numLabels: 4, shots: 3 });
    const batch = allocLayoutBatch(1, 7);
    batch.layout.tokens.set([1, labelToken(2), 0, labelToken(0), 2, labelToken(3), 0]);
    batch.target[0] = 0;
    const dist = { items: Int32Array.from([3, 5, 0]) };
    expect(Array.from(batchToRows(f, batch, dist))).toEqual([5, 2, 3, 0, 0, 3, 3, 0]);
    const out = new Int32Array(16).fill(9);
    batchToRows(f, batch, dist, out, 1);
    expect(Array.from(out)).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 5, 2, 3, 0, 0, 3, 3, 0]);

    const set = rowsToEvalSet(f, 'k3', [5, 2, 3, 0, 0, 3, 3, 0, 1, 1, 1, 0, 0, 2, 1, 1], [2, 8], table(), 4);
    expect(Array.from(set.distribution.items)).toEqual([5, 3, 0, 1]);
    expect(Array.from(set.distribution.itemFeatures)).toEqual([50, 51, 30, 31, 0, 1, 10, 11]);
    expect(set.distribution.seqLen).toBe(7);
    expect(Array.from(set.batch.layout!.tokens)).toEqual([0, -3, 1, -1, 2, -4, 1, 3, -2, 3, -1, 2, -3, 3]);
    expect(Array.from(set.batch.layout!.cls)).toEqual([2, -1, 1, -1, 0, -1, 1, 0, -1, 0, -1, 0, -1, 0]);
    expect(Array.from(set.batch.target)).toEqual([0, 1]);
    expect(set.batch.size).toBe(2);
  });

  it('repeated tokens: every column is a token id; a set with no feature row gets one zero row', () => {
    const f = sequenceFormat({ numLabels: 6, kind: 'repeatTokens', repeat: { prefixLength: 3, repeatLength: 1 } });
    const batch = allocLayoutBatch(1, 4);
    batch.layout.tokens.set([labelToken(4), labelToken(0), labelToken(5), labelToken(0)]);
    batch.target[0] = 5;
    expect(Array.from(batchToRows(f, batch, { items: Int32Array.from([0]) }))).toEqual([4, 0, 5, 0, 5]);
    const set = rowsToEvalSet(f, 'rep', [4, 0, 5, 0, 5], [1, 5], table(), 6);
    expect(Array.from(set.batch.layout!.tokens)).toEqual([-5, -1, -6, -1]);
    expect(Array.from(set.batch.layout!.cls)).toEqual([-1, -1, -1, -1]);
    expect(Array.from(set.distribution.items)).toEqual([0]);
    expect(Array.from(set.distribution.itemFeatures)).toEqual([0, 0]);
  });

  it('a layout batch of the wrong length, or none, is refused', () => {
    const f = sequenceFormat({ numLabels: 4, shots: 3 });
    expect(thrown(() => batchToRows(f, allocLayoutBatch(1, 5), { items: new Int32Array(1) }))).toBe('a batch of fewShot with 3 shots needs its 7-token layout');
    expect(thrown(() => batchToRows(f, allocBatch(1), { items: new Int32Array(1) }))).toBe('a batch of fewShot with 3 shots needs its 7-token layout');
  });

  it('shape and value errors name the row, the column and the limit', () => {
    const k3 = sequenceFormat({ numLabels: 4, shots: 3 });
    const ok = [5, 2, 3, 0, 0, 3, 3, 0];
    const err = (f: typeof k3, rows: number[], shape: number[], L = 4) => thrown(() => rowsToEvalSet(f, 'set', rows, shape, table(), L, 'file.npy'));
    expect(err(k3, ok, [1, 6])).toBe('file.npy: shape (1, 6), expected (n, 8) with columns x1 l1 x2 l2 x3 l3 xq target for fewShot with 3 shots');
    expect(err(k3, ok, [8])).toBe('file.npy: shape (8), expected (n, 8) with columns x1 l1 x2 l2 x3 l3 xq target for fewShot with 3 shots');
    expect(err(k3, [], [0, 8])).toBe('file.npy: no sequences (shape (0, 8))');
    const bad = (col: number, v: number) => err(k3, [...ok.slice(0, col), v, ...ok.slice(col + 1)], [1, 8]);
    expect(bad(0, 6)).toBe("file.npy: row 0, column x1: 6 is outside the feature table's 6 rows (3 classes x 2 exemplars)");
    expect(bad(6, -1)).toBe("file.npy: row 0, column xq: -1 is outside the feature table's 6 rows (3 classes x 2 exemplars)");
    expect(bad(2, 1.5)).toBe("file.npy: row 0, column x2: 1.5 is outside the feature table's 6 rows (3 classes x 2 exemplars)");
    expect(bad(1, 4)).toBe('file.npy: row 0, column l1: 4 is outside the 4 labels');
    expect(bad(7, -1)).toBe('file.npy: row 0, column target: -1 is outside the 4 labels');
    // the limits themselves are inside
    expect(() => err(k3, [5, 3, 0, 0, 0, 3, 5, 3], [1, 8])).toThrow('did not throw');
    // the second row is checked too
    expect(err(k3, [...ok, ...ok.slice(0, 5), 7, 0, 0], [2, 8])).toBe('file.npy: row 1, column l3: 7 is outside the 4 labels');
    const rep = sequenceFormat({ numLabels: 6, kind: 'repeatTokens', repeat: { prefixLength: 3, repeatLength: 1 } });
    expect(err(rep, [4, 0, 6, 0, 5], [1, 5], 6)).toBe('file.npy: row 0, column p3: 6 is outside the vocabulary of 6 tokens (task.numLabels)');
    expect(err(rep, [4, 0, 5, 0, 5], [1, 4], 6)).toBe('file.npy: shape (1, 4), expected (n, 5) with columns p1 p2 p3 r1 target for repeatTokens (3 + 1 tokens)');
  });

  it("the paper's task's own messages (sequenceArray)", () => {
    const f = sequenceFormat({ numLabels: 3 });
    const err = (rows: number[], shape: number[]) => thrown(() => rowsToEvalSet(f, 'set', rows, shape, table(), 3));
    expect(err([0, 0, 1, 1, 0], [1, 5])).toBe('set: shape (1, 5), expected (n, 6) with columns x1, l1, x2, l2, xq, target');
    expect(err([0, 0, 1, 1, 0, 0], [6])).toBe('set: shape (6), expected (n, 6) with columns x1, l1, x2, l2, xq, target');
    expect(err([], [0, 6])).toBe('set: no sequences (shape (0, 6))');
    const ok = [5, 2, 0, 1, 5, 2];
    const bad = (col: number, v: number) => err([...ok.slice(0, col), v, ...ok.slice(col + 1)], [1, 6]);
    for (const [col, name] of [[0, 'x1'], [2, 'x2'], [4, 'xq']] as const) {
      expect(bad(col, 6)).toBe(`set: row 0, column ${name}: 6 is outside the feature table's 6 rows (3 classes x 2 exemplars)`);
      expect(bad(col, -1)).toBe(`set: row 0, column ${name}: -1 is outside the feature table's 6 rows (3 classes x 2 exemplars)`);
    }
    for (const [col, name] of [[1, 'l1'], [3, 'l2'], [5, 'target']] as const) {
      expect(bad(col, 3)).toBe(`set: row 0, column ${name}: 3 is outside the 3 labels`);
      expect(bad(col, 0.5)).toBe(`set: row 0, column ${name}: 0.5 is outside the 3 labels`);
    }
    expect(err([...ok, 5, 2, 0, 1, 5, -2], [2, 6])).toBe('set: row 1, column target: -2 is outside the 3 labels');
    expect(() => err(ok, [1, 6])).toThrow('did not throw');
  });

  it('fixedItemTable: first-use rows, repeated rows reuse theirs', () => {
    const t = fixedItemTable(table());
    expect([t.item(4), t.item(2), t.item(4), t.item(0), t.item(2)]).toEqual([0, 1, 0, 2, 1]);
    const d = t.distribution('d', 7, 'here', 9);
    expect(Array.from(d.items)).toEqual([4, 2, 0]);
    expect(Array.from(d.itemFeatures)).toEqual([40, 41, 20, 21, 0, 1]);
    expect(d.seqLen).toBe(9);
    expect(d.name).toBe('d');
    expect(d.numLabels).toBe(7);
    expect(thrown(() => d.sample({} as never, allocBatch(1)))).toBe('here: a fixed set of sequences cannot be resampled');
  });

  it('several layout rows written at an offset into a larger array, the rest untouched', () => {
    const f = sequenceFormat({ numLabels: 4, shots: 3 });
    const batch = allocLayoutBatch(2, 7);
    batch.layout.tokens.set([1, labelToken(2), 0, labelToken(0), 2, labelToken(3), 0, 2, labelToken(1), 1, labelToken(3), 0, labelToken(0), 1]);
    batch.target.set([0, 3]);
    const out = new Int32Array(40).fill(9);
    batchToRows(f, batch, { items: Int32Array.from([3, 5, 0]) }, out, 1);
    expect(Array.from(out)).toEqual([...Array(8).fill(9), 5, 2, 3, 0, 0, 3, 3, 0, 0, 1, 5, 3, 3, 0, 5, 3, ...Array(16).fill(9)]);
    // the paper's form: two rows at offset 0 of a larger array
    const pb = allocBatch(2);
    pb.item.set([0, 1, 0, 2, 1, 1]);
    pb.contextLabel.set([3, 4, 0, 2]);
    pb.target.set([3, 2]);
    const po = new Int32Array(18).fill(-7);
    batchToSequences(pb, { items: Int32Array.from([5, 1, 4]) }, po);
    expect(Array.from(po)).toEqual([5, 3, 1, 4, 5, 3, 4, 0, 1, 2, 1, 2, -7, -7, -7, -7, -7, -7]);
  });

  it('a shape of rank 3 is refused even when its second axis is the row width', () => {
    const k3 = sequenceFormat({ numLabels: 4, shots: 3 });
    expect(thrown(() => rowsToEvalSet(k3, 's', [5, 2, 3, 0, 0, 3, 3, 0], [1, 8, 1], table(), 4))).toBe('s: shape (1, 8, 1), expected (n, 8) with columns x1 l1 x2 l2 x3 l3 xq target for fewShot with 3 shots');
    const paper = sequenceFormat({ numLabels: 3 });
    expect(thrown(() => rowsToEvalSet(paper, 's', [5, 2, 0, 1, 5, 2], [1, 6, 1], table(), 3))).toBe('s: shape (1, 6, 1), expected (n, 6) with columns x1, l1, x2, l2, xq, target');
    // a paper set has no seqLen field at all
    expect('seqLen' in rowsToEvalSet(paper, 's', [5, 2, 0, 1, 5, 2], [1, 6], table(), 3).distribution).toBe(false);
  });

  it('tokens, labels and the paper eval set names (types.ts)', () => {
    expect([labelToken(0), labelToken(4)]).toEqual([-1, -5]);
    expect([tokenLabel(-1), tokenLabel(-5), tokenLabel(0), tokenLabel(3)]).toEqual([0, 4, -1, -1]);
    expect(EVAL_SET_NAMES).toEqual(['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class']);
    const b = allocLayoutBatch(2, 3);
    expect([b.size, b.item.length, b.contextLabel.length, b.target.length, b.querySlot.length, b.cls.length]).toEqual([2, 6, 4, 2, 2, 6]);
    expect(Array.from(b.layout.cls)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect([b.layout.seqLen, b.layout.tokens.length]).toEqual([3, 6]);
  });
});
