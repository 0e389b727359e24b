/**
 * Silencing a head's attention to non-label tokens (the authors'
 * `opto_final_layer_silence_non_label_attn`, there on the final layer): the listed heads' query row gets
 * −1e9 scores at every position but the candidates (the paper's exemplar positions 0, 2 and 4, itself
 * included; on repeated tokens the repeated part), so the query attends to the label tokens only, with
 * the weights its own scores give them. Any layer: in an earlier layer it shapes what the query carries.
 */
import { z } from 'zod';
import { headRef } from '../heads.js';
import { attnIndex, defineClamp, headsHook, listUses, overwrite, positionsFor, STAGE } from './clamp.js';

export const silenceNonLabel = defineClamp({
  key: 'silenceNonLabel',
  order: STAGE.scores + 10,
  section: 'opto.py',
  summary: "the heads' query attends to label tokens only: its scores to the other positions (paper: 0, 2, 4) are −1e9",
  label: 'non-label attention silenced',
  schema: z.object({ heads: z.array(headRef).min(1) }).strict().optional(),
  sites: ['blocks.*.attn.scores (query row)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('silenceNonLabel', v.heads, 'scores') : []),
  compile: (v, env) =>
    headsHook(v!.heads, 'attn.scores', (hs, S, ctx) => {
      const pos = positionsFor(env, ctx.inputs.T);
      const label = new Set(pos.candidates);
      const ix = attnIndex(S);
      return overwrite(ctx, S, (i) => { const e = ix(i); return hs.has(e.head) && e.t === pos.query && !label.has(e.j); }, -1e9);
    }),
  flags: [{ flag: '--silence-non-label <heads>', help: "the heads' query attends to the label tokens only, e.g. 1:3", arg: 'heads', set: (v, s) => ({ ...s, silenceNonLabel: { heads: v } }) }],
  form: { kind: 'heads', layer: 'last', label: 'Label tokens only', title: "The head's query attends only to the two label tokens (its scores to exemplars are −1e9)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    silenceNonLabel: typeof silenceNonLabel;
  }
}
