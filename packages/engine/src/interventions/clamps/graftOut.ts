/**
 * Grafting out (the authors' `opto_graft_out_model_*`): the layers after `fromLayer` are a frozen trained
 * donor's. The model's own forward runs first (pass `own`, under every other clamp); the donor's pass
 * takes the model's residual stream after layer `fromLayer` and computes the rest, readout included. So
 * a fresh model's early layers learn to feed a trained model's later ones; the model's own parameters
 * after `fromLayer` get no gradient. Clamps on heads after `fromLayer` act on the donor's layers.
 */
import { z } from 'zod';
import { defineClamp, InterventionError, STAGE } from './clamp.js';

export const OWN_PASS = 'own';

export const graftOut = defineClamp({
  key: 'graftOut',
  order: STAGE.replace + 20,
  section: 'opto.py',
  summary: "graft-out: the layers after `fromLayer` (and the readout) are a frozen donor's, fed the model's own residual stream after `fromLayer`",
  label: 'grafted out',
  schema: z.object({ checkpoint: z.string().min(1), fromLayer: z.number().int().nonnegative().default(0) }).strict().optional(),
  sites: ['blocks.<fromLayer>.resid_post (of the donor pass)'],
  active: (v) => !!v,
  validate(g, v) {
    const s = v.spec as { preserve?: { patterns?: boolean; values?: boolean; queries?: boolean; keys?: boolean }; perfectLayer1?: boolean };
    if (g!.fromLayer >= v.model.nLayers - 1)
      v.fail('graftOut.fromLayer', `${g!.fromLayer} leaves no layer to graft (the model has layers 0..${v.model.nLayers - 1}; the donor supplies the layers after fromLayer)`);
    if (s.preserve && Object.values(s.preserve).some(Boolean)) v.fail('graftOut', "contradicts preserve: the clean pass runs the model's own later layers, not the donor's");
    if (s.perfectLayer1) v.fail('graftOut', "contradicts perfectLayer1: its shifted pass runs the model's own layer 1, not the donor's");
  },
  compile(g, env) {
    if (!env.loadDonor) throw new InterventionError('graftOut.checkpoint: grafting needs a checkpoint file, which can only be read where the engine has a filesystem (Node), not in a page');
    const site = `blocks.${g!.fromLayer}.resid_post`;
    return {
      final: { params: env.loadDonor(g!.checkpoint, env.params), ownPass: OWN_PASS },
      // In the own pass there is nothing to take yet; in the donor's (final) pass, the model's stream.
      hook: (at, v, ctx) => (at.site === site && ctx.passes.has(OWN_PASS) ? ctx.passes.get(OWN_PASS)!.sites.get(site)! : v),
    };
  },
  flags: [
    {
      flag: '--graft-out <checkpoint>',
      help: "a frozen donor's layers after --graft-out-from (default 0) replace the model's",
      arg: 'file',
      set: (v, s, f) => ({ ...s, graftOut: { checkpoint: v, fromLayer: f.graftOutFrom ?? 0 } }),
    },
    {
      flag: '--graft-out-from <layer>',
      help: 'last layer of the model itself under --graft-out (default 0)',
      arg: 'layer',
      set: (_v, s, f) => {
        if (f.graftOut === undefined) throw new InterventionError('--graft-out-from needs --graft-out <checkpoint>');
        return s;
      },
    },
  ],
  form: {
    kind: 'file',
    path: 'checkpoint',
    label: 'Graft out (checkpoint)',
    title: "A frozen donor's layers after fromLayer replace the model's; needs the CLI, which can read the file",
    numbers: [{ path: 'fromLayer', label: 'from layer', default: 0, step: 1 }],
    nodeOnly: true,
  },
});

declare module './clamp.js' {
  interface ClampTypes {
    graftOut: typeof graftOut;
  }
}
