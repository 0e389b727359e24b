/**
 * 4.6 perfect copy: the query logits become logit[l_1] = S_h[4,1], logit[l_2] = S_h[4,3], every other label
 * −1e9 (on any task: the logit of each candidate's label is the head's score from the query to that
 * candidate; a label at several candidates, as bursty contexts have, takes the one nearest the query), a gather from [computed logits; scores; −1e9] with batch-dependent indices. Rows other than the
 * query (when all positions are computed) keep their computed logits. The scores are read from the same
 * pass (identical to the paper's clean pass 1 whenever no other manipulation is upstream of them), or
 * from perfect Layer 1's shifted pass when there is one (4.8).
 */
import { z } from 'zod';
import type { Value } from '../../graph.js';
import { candidateLabels, type TaskPositions } from '../../data/tasks/positions.js';
import type { PassContext } from '../../model.js';
import * as op from '../../ops.js';
import { headRef, parseHead, type Head } from '../heads.js';
import { SHIFTED_PASS } from './perfectLayer1.js';
import { attnDims, constant, defineClamp, positionsFor, STAGE } from './clamp.js';

const NEG = -1e9;

function copyLogits(ctx: PassContext, logits: Value, scores: Value, head: Head, pos: TaskPositions): Value {
  const g = ctx.g;
  const L = logits.shape[1];
  const rows = logits.shape[0];
  const { B, H, Tq, T, qPos0 } = attnDims(scores);
  const qRow = pos.query - qPos0;
  const labels = new Int32Array(pos.candidates.length);
  const perSeq = rows / B; // 1 (query-only) or T (all positions)
  const nl = logits.size;
  const table = op.concatRows(g, op.concatRows(g, g.view(logits, [nl, 1]), g.view(scores, [scores.size, 1])), constant(ctx, [1, 1], NEG).value);
  const negRow = nl + scores.size;
  const idx = g.be.allocI32(nl);
  const host = Int32Array.from({ length: nl }, (_, i) => i);
  ctx.onBatch((sb) => {
    for (let b = 0; b < B; b++) {
      const r = b * perSeq + (perSeq === 1 ? 0 : pos.query);
      for (let l = 0; l < L; l++) host[r * L + l] = negRow;
      const sBase = nl + ((b * H + head.head) * Tq + qRow) * T;
      candidateLabels(pos, sb, b, labels);
      // Ascending candidates: a repeated label ends on its occurrence nearest the query.
      pos.candidates.forEach((j, i) => (host[r * L + labels[i]] = sBase + j));
    }
    g.be.write(idx, host);
  });
  return g.view(op.gatherRows(g, table, idx, nl), logits.shape);
}

export const perfectCopy = defineClamp({
  key: 'perfectCopy',
  order: STAGE.readout,
  section: '4.6',
  summary: "perfect copy: the query logits are the head's pre-softmax scores to the two label tokens (others −1e9)",
  label: 'perfect copy',
  schema: z.object({ head: headRef }).strict().optional(),
  sites: ['logits'],
  active: (v) => !!v,
  heads: (v) => (v ? [{ at: 'perfectCopy.head', owner: 'perfectCopy.head', ref: v.head, writes: 'read' }] : []),
  compile(v, env) {
    const head = parseHead(v!.head);
    const scoresSite = `blocks.${head.layer}.attn.scores`;
    return {
      hook: (at, logits, ctx) => {
        if (at.site !== 'logits') return logits;
        const shifted = ctx.passes.get(SHIFTED_PASS);
        return copyLogits(ctx, logits, shifted ? shifted.sites.get(scoresSite)! : ctx.current(scoresSite), head, positionsFor(env, ctx.inputs.T));
      },
    };
  },
  flags: [{ flag: '--perfect-copy <head>', help: "read the logits from the head's scores (4.6), e.g. 1:3", arg: 'head', set: (v, s) => ({ ...s, perfectCopy: { head: v } }) }],
  form: { kind: 'head', layer: 'last', label: 'Perfect copy', title: "The logits are the head's scores to the two label tokens (steps 3v, 5)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    perfectCopy: typeof perfectCopy;
  }
}
