/**
 * 4.5 match (induction) clamp: the query row of the listed heads attends to the candidates (the label
 * tokens; on repeated tokens the prefix tokens) only: weight s shared by those carrying the target label,
 * 1 − s by the others. On the paper's task that is [0, w1, 0, w2, 0] with w_j = s if label j is the target,
 * else 1 − s. Where every candidate carries the target they share 1; where none does (a bursty context
 * without the query's class) the row is uniform over the candidates: the clamp then carries no answer.
 * Batch-dependent (it uses the ground truth), refreshed per batch.
 */
import { z } from 'zod';
import { candidateLabels, type TaskPositions } from '../../data/tasks/positions.js';
import type { SequenceBatch } from '../../data/types.js';
import type { Value } from '../../graph.js';
import type { PassContext } from '../../model.js';
import * as op from '../../ops.js';
import { headRef, strength } from '../heads.js';
import { attnDims, checkAfterPrevToken, constant, defineClamp, headsHook, listUses, mask, positionsFor, STAGE } from './clamp.js';

/**
 * Pattern `A` whose query row of heads `hs` attends to the candidate positions of `pos` only, with
 * per-sequence weights `weights(batch, b, out)` (one per candidate), refreshed with every batch.
 */
export function labelAttention(ctx: PassContext, A: Value, hs: Set<number>, pos: TaskPositions, weights: (sb: SequenceBatch, b: number, out: Float64Array) => void): Value {
  const { B, H, Tq, T, qPos0 } = attnDims(A);
  const row = pos.query - qPos0;
  const c = constant(ctx, A.shape);
  const host = new Float64Array(A.size);
  const w = new Float64Array(pos.candidates.length);
  ctx.onBatch((sb) => {
    for (let b = 0; b < B; b++) {
      weights(sb, b, w);
      for (const h of hs) {
        const o = ((b * H + h) * Tq + row) * T;
        pos.candidates.forEach((j, i) => (host[o + j] = w[i]));
      }
    }
    ctx.g.be.write(c.buf, host);
  });
  return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(Math.floor(i / (Tq * T)) % H) && Math.floor(i / T) % Tq === row), c.value, A);
}

/** The match weights of one sequence: s shared by the candidates carrying `target`, 1 − s by the rest. */
export function matchWeights(labels: ArrayLike<number>, target: number, s: number, out: Float64Array): Float64Array {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === target) hit++;
  const miss = labels.length - hit;
  for (let i = 0; i < labels.length; i++) out[i] = hit === 0 ? 1 / labels.length : labels[i] === target ? (miss === 0 ? 1 / hit : s / hit) : (1 - s) / miss;
  return out;
}

export const match = defineClamp({
  key: 'match',
  order: STAGE.pattern + 20,
  section: '4.5',
  summary: 'match (induction) clamp: the query attends to the candidates carrying the target with weight s and to the others with 1−s',
  label: 'match clamp',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern (query row)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('match', v.heads, 'pattern') : []),
  validate: (v, c) => checkAfterPrevToken('match', v!.heads, c),
  compile(v, env) {
    const s = v!.strength;
    return headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => {
      const pos = positionsFor(env, ctx.inputs.T);
      const labels = new Int32Array(pos.candidates.length);
      return labelAttention(ctx, A, hs, pos, (sb, b, out) => matchWeights(candidateLabels(pos, sb, b, labels), sb.target[b], s, out));
    });
  },
  flags: [{ flag: '--match <heads[@s]>', aliases: ['--ih-clamp'], help: 'match (induction) clamp on the query row (4.5), e.g. 1:3@0.75', arg: 'headsAt', set: (v, s) => ({ ...s, match: v }) }],
  form: {
    kind: 'heads',
    layer: 'last',
    label: 'Match (IH) clamp',
    title: "Clamp the head's query attention to the matching label token (steps 1, 2, 3qk, 4)",
    numbers: [{ path: 'strength', label: 'strength', default: 1, step: 0.1 }],
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    match: typeof match;
  }
}
