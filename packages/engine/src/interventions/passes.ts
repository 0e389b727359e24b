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
import { CLEAN_PASS } from './clamps/preserve.js';
import { baseNeedsPasses, specOnBase } from './onBase.js';
import { activeClamps, isEmptySpec, type InterventionSpec } from './spec.js';

export interface PassOptions {
  /**
   * Loads a graft donor named by `graft.checkpoint` (4.9). Reading checkpoints needs the filesystem, so the
   * Node entry (`compile.ts`) supplies it; without one a graft spec is refused with a message.
   */
  loadDonor?: CompileEnv['loadDonor'];
  /**
   * The spec the analysis spec runs on top of (the run's own clamp spec, onBase.ts): its clamps apply in
   * the final pass and in the clean pass that preservation reads. Absent or empty: the bare model.
   */
  base?: InterventionSpec;
  /** The task's positions (data/tasks/positions.ts) the clamps build their masks from; absent: few-shot by length. */
  positions?: CompileEnv['positions'];
}

const BLOCK_SITE = /^blocks\.(\d+)\.(.+)$/;

/** Passes for `spec` on the model with parameters `params` (donors load on the same backend), on `opts.base` if given. */
export function compilePasses(spec: InterventionSpec, params: ParamStore, opts: PassOptions = {}): PassPlan[] {
  const env: CompileEnv = { params, loadDonor: opts.loadDonor, positions: opts.positions };
  if (!opts.base || isEmptySpec(opts.base)) {
    if (!activeClamps(spec).length) return [{ name: '' }];
    return assemble(compileEach(spec, env));
  }
  const base = compileEach(opts.base, env);
  for (const b of base) if (b.compiled.passes?.length || b.compiled.final) throw baseNeedsPasses(b.key, [...(b.compiled.passes ?? []).map((p) => p.name), ...(b.compiled.final ? [b.compiled.final.ownPass] : [])]);
  const baseHook = siteHook(base.flatMap((b) => (b.compiled.hook ? [b.compiled.hook] : [])));
  const merged = compileEach(specOnBase(opts.base, spec, params.config), env);
  // The clean pass of preservation is the base model: the run's clamps, nothing of the analysis.
  for (const m of merged) m.compiled = { ...m.compiled, passes: m.compiled.passes?.map((p) => (p.name === CLEAN_PASS ? { ...p, hook: baseHook } : p)) };
  return assemble(merged);
}

function compileEach(spec: InterventionSpec, env: CompileEnv): { key: string; compiled: Compiled }[] {
  return activeClamps(spec).map(({ clamp, value }) => ({ key: clamp.key, compiled: (clamp.compile as (v: unknown, env: CompileEnv) => Compiled)(value, env) }));
}

/** One pass hook running `hooks` in order at every site. */
function siteHook(hooks: readonly SiteHook[]): NonNullable<PassPlan['hook']> {
  return (site, v, ctx) => {
    const m = BLOCK_SITE.exec(site);
    const at: SiteAt = { site, layer: m ? Number(m[1]) : -1, rest: m ? m[2] : site };
    return hooks.reduce((out, h) => h(at, out, ctx), v);
  };
}

function assemble(clamps: readonly { compiled: Compiled }[]): PassPlan[] {
  const plans = new Map<string, PassPlan>();
  const hooks: SiteHook[] = [];
  let final: Compiled['final'];
  for (const { compiled: c } of clamps) {
    for (const p of c.passes ?? []) if (!plans.has(p.name)) plans.set(p.name, p);
    if (c.hook) hooks.push(c.hook);
    if (c.final) final = c.final;
  }
  const hook = siteHook(hooks);
  return [...plans.values(), ...(final ? [{ name: final.ownPass, hook }] : []), { name: '', params: final?.params, hook }];
}
