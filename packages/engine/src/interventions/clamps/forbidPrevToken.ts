/**
 * Forbidding previous-token attention (the authors' `opto_disallow_prev_token_heads`): the listed heads'
 * score of row t to key t−1 is −1e9 at every row t ≥ 1 (with `labelsOnly`, at the label rows only: the
 * candidates of the task's positions, 1 and 3 on the paper's task, the prefix on repeated tokens), so the head cannot become a previous-token head; the rest of its row renormalises.
 */
import { z } from 'zod';
import { headRef } from '../heads.js';
import { attnIndex, defineClamp, headsHook, listUses, overwrite, positionsFor, STAGE } from './clamp.js';

export const forbidPrevToken = defineClamp({
  key: 'forbidPrevToken',
  order: STAGE.scores + 20,
  section: 'opto.py',
  summary: "the heads cannot attend to the previous token: score[t, t−1] = −1e9 for every row t ≥ 1 (`labelsOnly`: the label rows, 1 and 3 on the paper's task)",
  label: 'previous-token attention forbidden',
  schema: z.object({ heads: z.array(headRef).min(1), labelsOnly: z.boolean().default(false) }).strict().optional(),
  sites: ['blocks.*.attn.scores'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('forbidPrevToken', v.heads, 'scores') : []),
  compile(v, env) {
    return headsHook(v!.heads, 'attn.scores', (hs, S, ctx) => {
      const labels = new Set(positionsFor(env, ctx.inputs.T).candidates);
      const row = (t: number) => t >= 1 && (!v!.labelsOnly || labels.has(t));
      const ix = attnIndex(S);
      return overwrite(ctx, S, (i) => { const e = ix(i); return hs.has(e.head) && row(e.t) && e.j === e.t - 1; }, -1e9);
    });
  },
  flags: [
    { flag: '--forbid-prev-token <heads>', help: 'forbid the heads to attend to the previous token, e.g. 0:2 (every row t ≥ 1)', arg: 'heads', set: (v, s) => ({ ...s, forbidPrevToken: { ...((s.forbidPrevToken as object) ?? {}), heads: v } }) },
    {
      flag: '--forbid-prev-token-labels-only',
      help: "with --forbid-prev-token: only at the label tokens (rows 1 and 3 on the paper's task)",
      arg: 'switch',
      set: (_v, s, f) => {
        if (f.forbidPrevToken === undefined) throw new Error('--forbid-prev-token-labels-only needs --forbid-prev-token <heads>');
        return { ...s, forbidPrevToken: { ...(s.forbidPrevToken as object), labelsOnly: true } };
      },
    },
  ],
  form: { kind: 'heads', layer: 'first', label: 'No previous-token attention', title: 'The head may not attend to the previous token (its score to t−1 is −1e9)' },
});

declare module './clamp.js' {
  interface ClampTypes {
    forbidPrevToken: typeof forbidPrevToken;
  }
}
