/**
 * The match clamp with a temperature (the authors' `opto_match_heads`): the query row of the listed heads
 * attends only to the two label tokens, with weights softmax(cos(x_j, x_q)/τ) over the context exemplars
 * j = 1, 2, where x are the exemplars' input features: a head that matches by feature similarity (W_Kᵀ W_Q
 * = I/τ without positions), not by the ground-truth label as `match` does. τ = 0 is a hard max; where the
 * two similarities tie it splits 1/2, 1/2 (the authors give both 1, a row that sums to 2).
 */
import { z } from 'zod';
import { headRef } from '../heads.js';
import { defineClamp, headsHook, listUses, STAGE } from './clamp.js';
import { labelAttention } from './match.js';

/** The query's attention to the two context labels from the exemplars' feature rows a, b and the query's q. */
export function featureMatchWeights(a: ArrayLike<number>, b: ArrayLike<number>, q: ArrayLike<number>, temperature: number): [number, number] {
  const cos = (x: ArrayLike<number>) => {
    let xy = 0, xx = 0, yy = 0;
    for (let i = 0; i < x.length; i++) {
      xy += x[i] * q[i];
      xx += x[i] * x[i];
      yy += q[i] * q[i];
    }
    return xy / Math.sqrt(xx * yy);
  };
  const [ca, cb] = [cos(a), cos(b)];
  if (temperature === 0) return ca === cb ? [0.5, 0.5] : ca > cb ? [1, 0] : [0, 1];
  const m = Math.max(ca, cb);
  const [ea, eb] = [Math.exp((ca - m) / temperature), Math.exp((cb - m) / temperature)];
  return [ea / (ea + eb), eb / (ea + eb)];
}

export const featureMatch = defineClamp({
  key: 'featureMatch',
  order: STAGE.pattern + 30,
  section: 'opto.py',
  summary: 'match clamp with a temperature: the query attends to the two labels with softmax(cos(x_j, x_q)/τ) of the exemplar features (τ = 0: hard max)',
  label: 'feature-match clamp',
  schema: z.object({ heads: z.array(headRef).min(1), temperature: z.number().min(0, 'temperature must be ≥ 0').default(0) }).strict().optional(),
  sites: ['blocks.*.attn.pattern (query row)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('featureMatch', v.heads, 'pattern') : []),
  compile: (v) =>
    headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => {
      const F = ctx.config.featureDim;
      const feat = (item: number) => ctx.features().subarray(item * F, (item + 1) * F);
      return labelAttention(ctx, A, hs, (sb, b) => featureMatchWeights(feat(sb.item[3 * b]), feat(sb.item[3 * b + 1]), feat(sb.item[3 * b + 2]), v!.temperature));
    }),
  flags: [
    {
      flag: '--feature-match <heads@t>',
      help: 'match clamp by exemplar-feature similarity at temperature t (0: hard max), e.g. 1:3@0.1',
      arg: 'headsAtNumber',
      set: (v, s) => {
        const { heads, at } = v as { heads: string[]; at?: number };
        return { ...s, featureMatch: { heads, temperature: at ?? 0 } };
      },
    },
  ],
  form: {
    kind: 'heads',
    layer: 'last',
    label: 'Feature-match clamp',
    title: 'The query attends to the labels by the similarity of their exemplars to the query (softmax at temperature τ; 0 = hard max)',
    numbers: [{ path: 'temperature', label: 'τ', default: 0, step: 0.05 }],
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    featureMatch: typeof featureMatch;
  }
}
