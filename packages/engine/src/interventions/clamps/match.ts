/**
 * 4.5 match (induction) clamp: the query row of the listed heads becomes [0, w1, 0, w2, 0] with w_j = s
 * if label j is the target, else 1 − s. Batch-dependent (it uses the ground truth), refreshed per batch.
 */
import { z } from 'zod';
import type { SequenceBatch } from '../../data/types.js';
import type { Value } from '../../graph.js';
import { QUERY_POS, type PassContext } from '../../model.js';
import * as op from '../../ops.js';
import { headRef, strength } from '../heads.js';
import { attnDims, constant, defineClamp, headsHook, listUses, mask, STAGE } from './clamp.js';

/**
 * Pattern `A` whose query row of heads `hs` is [0, w1, 0, w2, 0]: attention to the two label tokens only,
 * with per-sequence weights from `weights(batch, b)`, refreshed with every batch.
 */
export function labelAttention(ctx: PassContext, A: Value, hs: Set<number>, weights: (sb: SequenceBatch, b: number) => [number, number]): Value {
  const { B, H, Tq, T, qPos0 } = attnDims(A);
  const row = QUERY_POS - qPos0;
  const c = constant(ctx, A.shape);
  const host = new Float64Array(A.size);
  ctx.onBatch((sb) => {
    for (let b = 0; b < B; b++) {
      const [w1, w2] = weights(sb, b);
      for (const h of hs) {
        const o = ((b * H + h) * Tq + row) * T;
        host[o + 1] = w1;
        host[o + 3] = w2;
      }
    }
    ctx.g.be.write(c.buf, host);
  });
  return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(Math.floor(i / (Tq * T)) % H) && Math.floor(i / T) % Tq === row), c.value, A);
}

export const match = defineClamp({
  key: 'match',
  order: STAGE.pattern + 20,
  section: '4.5',
  summary: "match (induction) clamp: the query attends to the matching label with weight s and to the other with 1−s",
  label: 'match clamp',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern (query row)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('match', v.heads, 'pattern') : []),
  compile(v) {
    const s = v!.strength;
    return headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) =>
      labelAttention(ctx, A, hs, (sb, b) => [sb.contextLabel[2 * b] === sb.target[b] ? s : 1 - s, sb.contextLabel[2 * b + 1] === sb.target[b] ? s : 1 - s]),
    );
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
