/**
 * Ablating the embedding (the authors' `opto_ablate_embedding`): the token embedding (exemplar and label)
 * is 0 at every position, so the network sees no input. Alone it silences everything; with `preserve`
 * it isolates what flows through the preserved patterns or values.
 */
import { z } from 'zod';
import { constant, defineClamp, STAGE } from './clamp.js';

export const ablateEmbedding = defineClamp({
  key: 'ablateEmbedding',
  order: STAGE.embedding,
  section: 'opto.py',
  summary: 'the token embedding is 0 at every position (the network sees no input; with `preserve`, only what the clean pass carries)',
  label: 'embedding ablated',
  // Optional, not default(false): a parsed spec of a run without it must stay as it was (run IDs hash it).
  schema: z.boolean().optional(),
  sites: ['embed'],
  active: (on) => on === true,
  validate(_on, v) {
    const s = v.spec as { perfectLayer1?: boolean; graft?: unknown };
    if (s.perfectLayer1) v.fail('ablateEmbedding', 'contradicts perfectLayer1: both set the embedding (its shifted pass reads it)');
    if (s.graft) v.fail('ablateEmbedding', "has no effect with graft: the donor's residual stream replaces everything the embedding feeds");
  },
  compile: () => ({ hook: (at, v, ctx) => (at.site === 'embed' ? constant(ctx, v.shape).value : v) }),
  flags: [{ flag: '--ablate-embedding', help: 'the token embedding is 0 (use with --preserve to isolate a path)', arg: 'switch', set: (_v, s) => ({ ...s, ablateEmbedding: true }) }],
  form: { kind: 'switch', label: 'Ablate the embedding', title: 'The token embedding is 0 at every position (with preserve: isolates the preserved path)' },
});

declare module './clamp.js' {
  interface ClampTypes {
    ablateEmbedding: typeof ablateEmbedding;
  }
}
