/**
 * The previous-token clamp on label tokens only (the authors' `opto_prev_token_only_label`): the label rows
 * (the task's candidates: 1 and 3 on the paper's task, every prefix token on repeated tokens) of the listed heads attend to the preceding exemplar with weight s and to themselves
 * with 1 − s; every other row keeps its computed attention. The label tokens then carry their exemplar,
 * which is all the induction circuit needs, while the exemplar rows stay free.
 */
import { z } from 'zod';
import { headRef, parseHead, strength } from '../heads.js';
import { defineClamp, headsHook, listUses, positionsFor, STAGE } from './clamp.js';
import { prevTokenRows } from './prevToken.js';

export const prevTokenLabels = defineClamp({
  key: 'prevTokenLabels',
  order: STAGE.pattern + 10,
  section: 'opto.py',
  summary: "previous-token clamp at the label tokens only (the paper's rows 1 and 3): they attend to t−1 with weight s and to themselves with 1−s",
  label: 'previous-token clamp (label tokens)',
  schema: z.object({ heads: z.array(headRef).min(1), strength: strength.default(1) }).strict().optional(),
  sites: ['blocks.*.attn.pattern (rows 1, 3)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('prevTokenLabels', v.heads, 'pattern') : []),
  validate(v, c) {
    const last = c.model.nLayers - 1;
    v!.heads.forEach((ref, i) => {
      if (parseHead(ref).layer === last)
        c.fail(`prevTokenLabels.heads[${i}]`, `head "${ref}" is in the last layer, whose label rows never reach the query's logits (the clamp would have no effect)`);
    });
  },
  compile: (v, env) =>
    headsHook(v!.heads, 'attn.pattern', (hs, A, ctx) => {
      const labels = new Set(positionsFor(env, ctx.inputs.T).candidates);
      return prevTokenRows(ctx, A, hs, v!.strength, (t) => labels.has(t));
    }),
  flags: [{ flag: '--prev-token-labels <heads[@s]>', help: 'previous-token clamp at the label tokens (rows 1, 3) only, e.g. 0:2 or 0:2@0.8', arg: 'headsAt', set: (v, s) => ({ ...s, prevTokenLabels: v }) }],
  form: { kind: 'heads', layer: 'first', label: 'Previous-token clamp (labels)', title: 'Clamp only the label tokens (rows 1, 3) to attend to the preceding exemplar' },
});

declare module './clamp.js' {
  interface ClampTypes {
    prevTokenLabels: typeof prevTokenLabels;
  }
}
