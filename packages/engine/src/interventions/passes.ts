/**
 * Compile an intervention spec into the passes of spec 4.1: reference passes whose activations fill an
 * override cache, then a final pass whose site hooks substitute them (`where(mask, clamp, computed)`,
 * spec 2.6). There is no stop-gradient anywhere: a substituted value computed from the parameters in a
 * reference pass carries gradient back through that pass; constants carry none; the computed value gets
 * no gradient where it is replaced.
 *
 * Each clamp of the registry (`clamps/`) compiles itself into the reference passes it needs and a hook
 * on its own sites; this module only collects them in registry order (preservations, replacements,
 * clamps, ablations, readout) and shares reference passes of one name. Dead-code elimination (graph.ts)
 * removes whatever a replaced activation made unnecessary.
 */
import type { PassPlan } from '../model.js';
import { ParamStore } from '../params.js';
import type { CompileEnv, Compiled, SiteAt, SiteHook } from './clamps/clamp.js';
import { activeClamps, type InterventionSpec } from './spec.js';

export interface PassOptions {
  /**
   * Loads a graft donor named by `graft.checkpoint` (4.9). Reading checkpoints needs the filesystem, so the
   * Node entry (`compile.ts`) supplies it; without one a graft spec is refused with a message.
   */
  loadDonor?: CompileEnv['loadDonor'];
}

const BLOCK_SITE = /^blocks\.(\d+)\.(.+)$/;

/** Passes for `spec` on the model with parameters `params` (donors load on the same backend). */
export function compilePasses(spec: InterventionSpec, params: ParamStore, opts: PassOptions = {}): PassPlan[] {
  const active = activeClamps(spec);
  if (!active.length) return [{ name: '' }];
  const plans = new Map<string, PassPlan>();
  const hooks: SiteHook[] = [];
  let final: Compiled['final'];
  for (const { clamp, value } of active) {
    const c = (clamp.compile as (v: unknown, env: CompileEnv) => Compiled)(value, { params, loadDonor: opts.loadDonor });
    for (const p of c.passes ?? []) if (!plans.has(p.name)) plans.set(p.name, p);
    if (c.hook) hooks.push(c.hook);
    if (c.final) final = c.final;
  }
  const hook: PassPlan['hook'] = (site, v, ctx) => {
    const m = BLOCK_SITE.exec(site);
    const at: SiteAt = { site, layer: m ? Number(m[1]) : -1, rest: m ? m[2] : site };
    return hooks.reduce((out, h) => h(at, out, ctx), v);
  };
  return [...plans.values(), ...(final ? [{ name: final.ownPass, hook }] : []), { name: '', params: final?.params, hook }];
}
