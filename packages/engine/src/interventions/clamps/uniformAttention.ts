/**
 * Uniform attention: every row t of the listed heads attends equally to the keys 0..t (weight 1/(t+1)),
 * blended with the computed pattern by a strength s: A' = s·U + (1 − s)·A. It is the counterpart of
 * `ablate`, which keeps a head's pattern and removes what it writes: this keeps what it writes (values,
 * W_O) and removes where it looks, so a head's part in the circuit can be split into "selecting the
 * right token" and "carrying its value". At s = 1 the head is a mean-pooling head and its W_q, W_k get no
 * gradient; s between 0 and 1 is a dose-response from the learned pattern to no selectivity at all.
 * Not in the authors' framework (their pattern clamps set specific patterns: previous token, match).
 */
import { z } from 'zod';
import * as op from '../../ops.js';
import { headRef, strength } from '../heads.js';
import { attnIndex, constant, defineClamp, headsHook, listUses, mask, scaled, STAGE } from './clamp.js';

export const uniformAttention = defineClamp({
  key: 'uniformAttention',
  order: STAGE.pattern + 40,
  section: 'optoscope',
  summary: 'uniform attention: each row t of the heads attends 1/(t+1) to every key 0..t, blended with the computed pattern: s·U + (1−s)·A',
  label: 'uniform attention',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('uniformAttention', v.heads, 'pattern') : []),
  compile(v) {
    const s = v!.strength;
    return headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => {
      // s·U + (1−s)·A: the gradient reaching the computed pattern is (1−s)·dA.
      const ix = attnIndex(A);
      const uniform = constant(ctx, A.shape);
      ctx.g.be.write(uniform.buf, Float64Array.from({ length: A.size }, (_, i) => { const e = ix(i); return e.j <= e.t ? s / (e.t + 1) : 0; }));
      return op.where(ctx.g, mask(ctx, A.size, (i) => hs.has(ix(i).head)), op.add(ctx.g, scaled(ctx, A, 1 - s), uniform.value), A);
    });
  },
  flags: [
    {
      flag: '--uniform-attention <heads[@s]>',
      help: 'pin the heads to uniform causal attention (1/(t+1) on each key ≤ t), e.g. 1:3, or blend with strength s: 1:3@0.5',
      arg: 'headsAt',
      set: (v, s) => ({ ...s, uniformAttention: v }),
    },
  ],
  form: {
    kind: 'heads',
    layer: 'last',
    label: 'Uniform attention',
    title: 'Pin the head to uniform attention over the tokens so far (it keeps its values, loses where it looks)',
    numbers: [{ path: 'strength', label: 'strength', default: 1, step: 0.1 }],
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    uniformAttention: typeof uniformAttention;
  }
}
