/**
 * 4.9 graft-in: a `donor` pass over a frozen donor's parameters (same architecture, from a checkpoint);
 * the final pass takes its residual stream after layer `tillLayer`, so the model trains on top of it.
 */
import { z } from 'zod';
import { defineClamp, InterventionError, STAGE } from './clamp.js';

export const DONOR_PASS = 'donor';

export const graft = defineClamp({
  key: 'graft',
  order: STAGE.replace + 10,
  section: '4.9',
  summary: "graft-in: the residual after layer `tillLayer` is a frozen donor's (its own embeddings and layers 0..tillLayer)",
  label: 'grafted',
  schema: z.object({ checkpoint: z.string().min(1), tillLayer: z.number().int().nonnegative().default(0) }).strict().optional(),
  sites: ['blocks.<tillLayer>.resid_post'],
  active: (v) => !!v,
  replaces: (v) => (v ? { field: 'graft', name: 'the graft', throughLayer: v.tillLayer } : null),
  validate(g, v) {
    const s = v.spec as { preserve?: { patterns?: boolean; values?: boolean } };
    if (s.preserve?.patterns || s.preserve?.values) v.fail('graft', "contradicts preserve: the clean pass runs the model's own layers, not the donor's");
    if (g!.tillLayer >= v.model.nLayers) v.fail('graft.tillLayer', `${g!.tillLayer} out of range (the model has layers 0..${v.model.nLayers - 1})`);
  },
  compile(g, env) {
    if (!env.loadDonor) throw new InterventionError(`graft.checkpoint: grafting needs a checkpoint file, which can only be read where the engine has a filesystem (Node), not in a page`);
    const site = `blocks.${g!.tillLayer}.resid_post`;
    return {
      passes: [{ name: DONOR_PASS, params: env.loadDonor(g!.checkpoint, env.params) }],
      hook: (at, v, ctx) => (at.site === site ? ctx.passes.get(DONOR_PASS)!.sites.get(site)! : v),
    };
  },
  flags: [
    {
      flag: '--graft <checkpoint>',
      help: 'graft a frozen donor up to --graft-till (4.9)',
      arg: 'file',
      set: (v, s, f) => ({ ...s, graft: { checkpoint: v, tillLayer: f.graftTill ?? 0 } }),
    },
    {
      flag: '--graft-till <layer>',
      help: 'last grafted layer (default 0)',
      arg: 'layer',
      set: (_v, s, f) => {
        if (f.graft === undefined) throw new InterventionError('--graft-till needs --graft <checkpoint>');
        return s;
      },
    },
  ],
  form: {
    kind: 'file',
    path: 'checkpoint',
    label: 'Graft in (checkpoint)',
    title: "A frozen donor's layers 0..tillLayer replace the model's (4.9); needs the CLI, which can read the file",
    numbers: [{ path: 'tillLayer', label: 'till layer', default: 0, step: 1 }],
    nodeOnly: true,
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    graft: typeof graft;
  }
}
