/** 4.4 previous-token clamp: every query row t of the listed heads attends to t−1 with weight s, to t with 1−s. */
import { z } from 'zod';
import * as op from '../../ops.js';
import { headRef, strength } from '../heads.js';
import { attnIndex, constant, defineClamp, headsIn, listUses, mask, parseHeads } from './clamp.js';

/** Row t of the previous-token pattern of strength s at key j (row 0 attends to itself). */
export const prevTokenWeight = (s: number, t: number, j: number): number => (t === 0 ? (j === 0 ? 1 : 0) : j === t - 1 ? s : j === t ? 1 - s : 0);

export const prevToken = defineClamp({
  key: 'prevToken',
  section: '4.4',
  summary: 'previous-token clamp: each query row t attends to t−1 with weight s and to itself with 1−s (row 0 to itself)',
  label: 'previous-token clamp',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('prevToken', v.heads, 'pattern') : []),
  compile(v) {
    const heads = parseHeads(v!.heads);
    return {
      hook: (at, A, ctx) => {
        if (at.rest !== 'attn.pattern') return A;
        const hs = headsIn(heads, at.layer);
        if (!hs.size) return A;
        const ix = attnIndex(A);
        const c = constant(ctx, A.shape);
        ctx.g.be.write(c.buf, Float64Array.from({ length: A.size }, (_, i) => { const e = ix(i); return prevTokenWeight(v!.strength, e.t, e.j); }));
        return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(ix(i).head)), c.value, A);
      },
    };
  },
  flags: [{ flag: '--prev-token <heads[@s]>', aliases: ['--pt-clamp'], help: 'previous-token attention clamp (4.4), e.g. 0:2 or 0:1,0:2,0:5@0.75', arg: 'headsAt', set: (v, s) => ({ ...s, prevToken: v }) }],
  form: { kind: 'heads', layer: 'first', label: 'Previous-token clamp', title: "Clamp the head's attention to the previous token (step 1 of the circuit)" },
});
