/**
 * The match clamp with a temperature (the authors' `opto_match_heads`): the query row of the listed heads
 * attends only to the label tokens, with weights softmax(cos(x_j, x_q)/τ) over the context exemplars
 * j = 1..k, where x are the exemplars' input features: a head that matches by feature similarity (W_Kᵀ W_Q
 * = I/τ without positions), not by the ground-truth label as `match` does. τ = 0 is a hard max; where the
 * top similarities tie they share 1 equally (the authors give both 1, a row that sums to 2). Needs
 * exemplars: repeated tokens have none.
 */
import { z } from 'zod';
import { tokenAt } from '../../data/tasks/positions.js';
import { headRef } from '../heads.js';
import { checkAfterPrevToken, defineClamp, headsHook, listUses, positionsFor, STAGE } from './clamp.js';
import { labelAttention } from './match.js';

const cosine = (x: ArrayLike<number>, q: ArrayLike<number>): number => {
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * q[i];
    xx += x[i] * x[i];
    yy += q[i] * q[i];
  }
  return xy / Math.sqrt(xx * yy);
};

/** The query's attention to the k context labels from the exemplars' feature rows `xs` and the query's `q`. */
export function featureMatchWeightsK(xs: readonly ArrayLike<number>[], q: ArrayLike<number>, temperature: number, out: Float64Array = new Float64Array(xs.length)): Float64Array {
  const c = xs.map((x) => cosine(x, q));
  const m = Math.max(...c);
  if (temperature === 0) {
    const top = c.filter((x) => x === m).length;
    c.forEach((x, i) => (out[i] = x === m ? 1 / top : 0));
    return out;
  }
  const e = c.map((x) => Math.exp((x - m) / temperature));
  const sum = e.reduce((a, x) => a + x, 0);
  e.forEach((x, i) => (out[i] = x / sum));
  return out;
}

/** The two-exemplar case (the paper's task). */
export function featureMatchWeights(a: ArrayLike<number>, b: ArrayLike<number>, q: ArrayLike<number>, temperature: number): [number, number] {
  const w = featureMatchWeightsK([a, b], q, temperature);
  return [w[0], w[1]];
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
  validate: (v, c) => checkAfterPrevToken('featureMatch', v!.heads, c),
  taskIssue: (_v, pos) => (pos.exemplars ? null : `needs exemplar features to compare with the query; ${pos.name} has none (every token is a label token)`),
  compile: (v, env) =>
    headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => {
      const pos = positionsFor(env, ctx.inputs.T);
      const ex = pos.exemplars;
      if (!ex) throw new Error(`featureMatch: ${pos.name} has no exemplar features`);
      const F = ctx.config.featureDim;
      const feat = (item: number) => ctx.features().subarray(item * F, (item + 1) * F);
      return labelAttention(ctx, A, hs, pos, (sb, b, out) => featureMatchWeightsK(ex.map((j) => feat(tokenAt(sb, b, j))), feat(tokenAt(sb, b, pos.query)), v!.temperature, out));
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
