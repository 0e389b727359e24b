/**
 * Silencing the final layer's attention to non-label tokens (the authors'
 * `opto_final_layer_silence_non_label_attn`): the listed last-layer heads' query row gets −1e9 scores at
 * the exemplar positions 0, 2 and 4 (itself), so the query attends to the two label tokens only, with
 * the weights its own scores give them.
 */
import { z } from 'zod';
import { QUERY_POS } from '../../model.js';
import { headRef, parseHead } from '../heads.js';
import { attnIndex, defineClamp, headsHook, listUses, overwrite, STAGE } from './clamp.js';

export const silenceNonLabel = defineClamp({
  key: 'silenceNonLabel',
  order: STAGE.scores + 10,
  section: 'opto.py',
  summary: "the last-layer heads' query attends to label tokens only: its scores to the exemplars (0, 2, 4) are −1e9",
  label: 'non-label attention silenced',
  schema: z.object({ heads: z.array(headRef).min(1) }).strict().optional(),
  sites: ['blocks.<last>.attn.scores (query row)'],
  active: (v) => !!v,
  heads: (v) => (v ? listUses('silenceNonLabel', v.heads, 'scores') : []),
  validate(v, c) {
    const last = c.model.nLayers - 1;
    v!.heads.forEach((ref, i) => {
      if (parseHead(ref).layer !== last) c.fail(`silenceNonLabel.heads[${i}]`, `head "${ref}" is not in the last layer (${last}), the only one silenced`);
    });
  },
  compile: (v) =>
    headsHook(v!.heads, 'attn.scores', (hs, S, ctx) => {
      const ix = attnIndex(S);
      return overwrite(ctx, S, (i) => { const e = ix(i); return hs.has(e.head) && e.t === QUERY_POS && e.j % 2 === 0; }, -1e9);
    }),
  flags: [{ flag: '--silence-non-label <heads>', help: "the last-layer heads' query attends to the label tokens only, e.g. 1:3", arg: 'heads', set: (v, s) => ({ ...s, silenceNonLabel: { heads: v } }) }],
  form: { kind: 'heads', layer: 'last', label: 'Label tokens only', title: "The head's query attends only to the two label tokens (its scores to exemplars are −1e9)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    silenceNonLabel: typeof silenceNonLabel;
  }
}
