/**
 * 4.7 perfect Layer 1: a `shifted` pass whose layer-0 output is the shifted embedding [E0, E0, E1, E2, E4]
 * (label tokens see the preceding exemplar; on any task every position t ≥ 1 but the query sees token
 * t − 1: the perfect previous-token layer, and the query keeps its own token to match with) gives the layer-1 patterns; the final pass has layer-0 output
 * E and those patterns. With perfectCopy, the logits come from the shifted pass's scores (4.8).
 *
 * On a deeper model (issue 23) the same two passes give every later layer l' ≥ 1 its pattern: each is
 * computed in the shifted pass, where layer 0 is a perfect previous-token layer and layers 1..l'−1 run on
 * that stream, while every value (and the logits) comes from the final pass, where layer 0 writes nothing.
 * So a match (perfectCopy) head in any later layer reads a perfect previous-token signal, as the paper's
 * Layer-2 head does. The perfect layer stays layer 0: its input is the embedding, a token per position,
 * which is what "the previous token" is; the residual entering a later layer mixes positions already.
 */
import { z } from 'zod';
import type { Value } from '../../graph.js';
import type { PassContext } from '../../model.js';
import * as op from '../../ops.js';
import { defineClamp, STAGE } from './clamp.js';

export const SHIFTED_PASS = 'shifted';

function shiftedEmbedding(ctx: PassContext): Value {
  const { B, T } = ctx.inputs;
  const shift = (t: number) => (t === 0 || t === T - 1 ? t : t - 1); // [0, 0, 1, 2, 4] for the paper's T = 5
  const idx = ctx.g.be.allocI32(B * T);
  ctx.g.be.write(idx, Int32Array.from({ length: B * T }, (_, i) => Math.floor(i / T) * T + shift(i % T)));
  return op.gatherRows(ctx.g, ctx.current('embed'), idx, B * T);
}

export const perfectLayer1 = defineClamp({
  key: 'perfectLayer1',
  order: STAGE.replace,
  section: '4.7',
  summary: 'perfect Layer 1: layer 0 outputs E; layer-1 patterns come from the shifted stream [E0, E0, E1, E2, E4] (with perfectCopy: 4.8)',
  label: 'perfect Layer 1',
  schema: z.boolean().default(false),
  sites: ['embed', 'blocks.0.resid_post', 'blocks.≥1.attn.pattern'],
  active: (on) => on,
  replaces: (on) => (on ? { field: 'perfectLayer1', name: 'perfectLayer1', throughLayer: 0, setsLaterPatterns: true } : null),
  validate(_on, v) {
    const s = v.spec as { preserve?: { patterns?: boolean; values?: boolean } };
    if (v.model.nLayers < 2) v.fail('perfectLayer1', 'needs a later layer for the perfect layer 0 to feed; this model has 1 layer');
    if (s.preserve?.patterns) v.fail('perfectLayer1', 'contradicts preserve.patterns: both set every layer-1 attention pattern');
    if (s.preserve?.values) v.fail('perfectLayer1', "contradicts preserve.values: the clean pass's values come from the real layer 0");
  },
  compile: () => ({
    passes: [{ name: SHIFTED_PASS, hook: (site, v, ctx) => (site === 'blocks.0.resid_post' ? shiftedEmbedding(ctx) : v) }],
    hook: (at, v, ctx) => {
      const shifted = () => ctx.passes.get(SHIFTED_PASS)!.sites.get(at.site)!;
      if (at.site === 'embed') return shifted(); // share one embedding
      if (at.site === 'blocks.0.resid_post') return ctx.current('embed');
      if (at.layer >= 1 && at.rest === 'attn.pattern') return shifted();
      return v;
    },
  }),
  flags: [{ flag: '--perfect-layer1', aliases: ['--perfect-l1'], help: 'perfect Layer 1 (4.7; with --perfect-copy, 4.8)', arg: 'switch', set: (_v, s) => ({ ...s, perfectLayer1: true }) }],
  form: { kind: 'switch', label: 'Perfect Layer 1 (steps 1, 2)', title: 'Layer 0 is replaced by the perfect previous-token copy of the embedding' },
});

declare module './clamp.js' {
  interface ClampTypes {
    perfectLayer1: typeof perfectLayer1;
  }
}
