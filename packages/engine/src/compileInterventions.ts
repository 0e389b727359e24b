/**
 * The Node entry of intervention compiling: `compilePasses` (passes.ts, which a page can load) with graft
 * donors read from checkpoint files. Everything else about the passes lives in passes.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParamStore } from './params.js';
import { loadParamTensors } from './store/paramIO.js';
import { readSafetensors } from './store/safetensors.js';
import type { PassPlan } from './model.js';
import { compilePasses, type PassOptions } from './interventions/passes.js';
import { InterventionError, type InterventionSpec } from './interventions/spec.js';

export interface CompileOptions {
  /** What `${runs}` in a graft checkpoint path stands for: the runs directory of the run being built. */
  runsDir?: string;
  /** The spec `spec` runs on top of (the run's own clamp spec; interventions/onBase.ts). */
  base?: InterventionSpec;
  /** The task's positions the clamps' masks follow (absent: the few-shot layout of the pass's length). */
  positions?: PassOptions['positions'];
}

/** Passes for `spec` on the model with parameters `params` (donors load on the same backend). */
export function compileInterventions(spec: InterventionSpec, params: ParamStore, opts: CompileOptions = {}): PassPlan[] {
  return compilePasses(spec, params, { ...donorLoader(opts.runsDir), base: opts.base, positions: opts.positions });
}

/** Pass options that read graft donors from checkpoint files (`${runs}/` resolved against `runsDir`). */
export function donorLoader(runsDir: string | undefined): PassOptions {
  return { loadDonor: (checkpoint, p) => loadDonor(resolveRunsPath(checkpoint, runsDir), p) };
}

/**
 * `${runs}/<id>/...` names a file of another run in the same runs directory (the paper's graft sweep
 * refers to its donors by run ID, so the sweep spec stays valid on any machine).
 */
export function resolveRunsPath(file: string, runsDir: string | undefined): string {
  if (!file.startsWith('${runs}/')) return file;
  if (runsDir === undefined) throw new InterventionError(`graft.checkpoint '${file}' refers to \${runs}, but this run has no runs directory`);
  return path.join(runsDir, file.slice('${runs}/'.length));
}

/** 4.9: a frozen donor of the same architecture, loaded (and shape-checked) from a checkpoint. */
function loadDonor(file: string, params: ParamStore): ParamStore {
  if (!fs.existsSync(file)) throw new InterventionError(`graft.checkpoint: ${file} does not exist (train the donor run to its end first)`);
  const donor = new ParamStore(params.be, params.config, true);
  loadParamTensors(donor, readSafetensors(file).tensors, `graft checkpoint ${file}`);
  return donor;
}
