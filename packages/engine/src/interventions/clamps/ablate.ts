/** 4.2 head ablation: the listed heads' values are 0 at every position, so they contribute nothing. */
import { z } from 'zod';
import { ablateAllBut, headRef, keepOnlyHead, parseHead } from '../heads.js';
import { defineClamp, headsHook, listUses, overwrite, STAGE } from './clamp.js';

/** Ablate every head of the head's layer except it ("only 1:3" in spec 7; 8 heads unless told). */
export function onlyHead(ref: string, nHeads = 8): string[] {
  const { layer, head } = parseHead(ref);
  return ablateAllBut(layer, nHeads, [head]);
}

const union = (a: unknown, b: readonly string[]): string[] => [...new Set([...((a as string[] | undefined) ?? []), ...b])];

export const ablate = defineClamp({
  key: 'ablate',
  order: STAGE.ablate,
  section: '4.2',
  summary: "head ablation: the head's values are 0 at every position (v = 0), so it contributes nothing",
  label: 'ablated heads',
  schema: z.array(headRef).default([]),
  sites: ['blocks.*.attn.v'],
  active: (refs) => refs.length > 0,
  heads: (refs) => listUses('ablate', refs, 'values', true),
  compile: (refs) =>
    headsHook(refs, 'attn.v', (hs, v, ctx) => {
      const d = v.shape[v.shape.length - 1];
      const D = d / ctx.config.nHeads;
      return overwrite(ctx, v, (i) => hs.has(Math.floor((i % d) / D)));
    }),
  flags: [
    { flag: '--ablate <heads>', help: 'ablate heads throughout (spec 4.2), e.g. 1:0,1:2', arg: 'heads', set: (v, s) => ({ ...s, ablate: union(s.ablate, v as string[]) }) },
    {
      flag: '--only-head <head>',
      help: "keep one head of its layer, ablating the layer's others (single-head runs)",
      arg: 'head',
      // Checked against the model: every other head of the layer is named, so a head the model lacks, or
      // one --ablate also removes, would silently ablate the whole layer.
      set: (v, s, _flags, model) => ({ ...s, ablate: keepOnlyHead(v as string, model, Array.isArray(s.ablate) ? (s.ablate as string[]) : [], `--only-head ${v as string}`) }),
    },
  ],
  form: { kind: 'headsPerLayer', label: 'Ablate layer-{layer} heads', title: "The head's values are 0: it contributes nothing (4.2)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    ablate: typeof ablate;
  }
}
