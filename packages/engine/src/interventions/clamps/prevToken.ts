/** 4.4 previous-token clamp: every query row t of the listed heads attends to t−1 with weight s, to t with 1−s. */
import { z } from 'zod';
import * as op from '../../ops.js';
import { headRef, strength } from '../heads.js';
import type { Value } from '../../graph.js';
import type { PassContext } from '../../model.js';
import { attnIndex, constant, defineClamp, headsHook, listUses, mask, STAGE } from './clamp.js';

/** Row t of the previous-token pattern of strength s at key j (row 0 attends to itself). */
export const prevTokenWeight = (s: number, t: number, j: number): number => (t === 0 ? (j === 0 ? 1 : 0) : j === t - 1 ? s : j === t ? 1 - s : 0);

/** Pattern `A` with the rows t of heads `hs` where `rows(t)` set to the previous-token rows of strength s. */
export function prevTokenRows(ctx: PassContext, A: Value, hs: Set<number>, s: number, rows: (t: number) => boolean): Value {
  const ix = attnIndex(A);
  const c = constant(ctx, A.shape);
  ctx.g.be.write(c.buf, Float64Array.from({ length: A.size }, (_, i) => { const e = ix(i); return prevTokenWeight(s, e.t, e.j); }));
  return op.where(ctx.g, mask(ctx, A.size, (i) => { const e = ix(i); return hs.has(e.head) && rows(e.t); }), c.value, A);
}

export const prevToken = defineClamp({
  key: 'prevToken',
  order: STAGE.pattern,
  section: '4.4',
  summary: 'previous-token clamp: each query row t attends to t−1 with weight s and to itself with 1−s (row 0 to itself)',
  label: 'previous-token clamp',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('prevToken', v.heads, 'pattern') : []),
  compile: (v) => headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => prevTokenRows(ctx, A, hs, v!.strength, () => true)),
  flags: [{ flag: '--prev-token <heads[@s]>', aliases: ['--pt-clamp'], help: 'previous-token attention clamp (4.4), e.g. 0:2 or 0:1,0:2,0:5@0.75', arg: 'headsAt', set: (v, s) => ({ ...s, prevToken: v }) }],
  form: { kind: 'heads', layer: 'first', label: 'Previous-token clamp', title: "Clamp the head's attention to the previous token (step 1 of the circuit)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    prevToken: typeof prevToken;
  }
}
