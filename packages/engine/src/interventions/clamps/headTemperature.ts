/**
 * A head's attention temperature (the authors' `opto_set_head_temperature`): the listed heads' pre-softmax
 * scores are divided by τ at every query row, so τ > 1 flattens their attention and τ < 1 sharpens it.
 * The authors divide the clean pass's scores; this divides the scores of the pass itself (the same numbers
 * when nothing upstream is manipulated, and the natural composition when something is).
 */
import { z } from 'zod';
import * as op from '../../ops.js';
import { headRef } from '../heads.js';
import { attnIndex, defineClamp, headsHook, listUses, mask, scaled, STAGE } from './clamp.js';

export const headTemperature = defineClamp({
  key: 'headTemperature',
  order: STAGE.scores,
  section: 'opto.py',
  summary: "attention temperature: the heads' pre-softmax scores are divided by τ (τ > 1 flattens, τ < 1 sharpens)",
  label: 'head temperature',
  schema: z
    .object({
      heads: z.array(headRef).min(1),
      // Below 1e-3 the scaled causal mask (−1e20/τ) would leave float32's range.
      temperature: z.number().min(1e-3, 'temperature must be at least 0.001').max(1e3, 'temperature must be at most 1000'),
    })
    .strict()
    .optional(),
  sites: ['blocks.*.attn.scores'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('headTemperature', v.heads, 'scores') : []),
  compile: (v) =>
    headsHook(v!.heads, 'attn.scores', (hs, S, ctx) => {
      const ix = attnIndex(S);
      return op.where(ctx.g, mask(ctx, S.size, (i) => hs.has(ix(i).head)), scaled(ctx, S, 1 / v!.temperature), S);
    }),
  flags: [
    {
      flag: '--head-temperature <heads@t>',
      help: "divide the heads' attention scores by a temperature t, e.g. 1:3@2 (flatter) or 0:2@0.5 (sharper)",
      arg: 'headsAtNumber',
      set: (v, s) => {
        const { heads, at } = v as { heads: string[]; at?: number };
        return { ...s, headTemperature: { heads, temperature: at ?? 1 } };
      },
    },
  ],
  form: {
    kind: 'heads',
    layer: 'last',
    label: 'Head temperature',
    title: "Divide the head's pre-softmax scores by τ (sharper below 1, flatter above)",
    numbers: [{ path: 'temperature', label: 'τ', default: 1, step: 0.25 }],
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    headTemperature: typeof headTemperature;
  }
}
