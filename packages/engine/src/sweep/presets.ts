/**
 * Named sweeps (`opto sweep paper-main`, `opto sweep fig5b`, ...): the paper's sets and figures from the
 * run catalog in `paperRuns.ts`, plus `smoke` for checking an installation.
 */
import { DEFAULT_PRESET_HEADS, type PresetHeads } from '../presets.js';
import { mergeConfig } from '../config.js';
import { dataSweepName, isFileData, type DataInput } from './data.js';
import { PAPER_SWEEPS, classSplitFor, paperRuns, setSweepName, type PaperRun } from './paperRuns.js';
import { memberIdFor, type SweepSpecInput } from './spec.js';

export { classSplitFor };

export interface SweepPreset {
  description: string;
  spec: SweepSpecInput;
}

const catalogs = new Map<string, PaperRun[]>();

/** Every paper run with its role, clamping `heads`, on `data` (built once per choice of heads and data). */
export function paperCatalog(heads: PresetHeads = DEFAULT_PRESET_HEADS, data?: DataInput): PaperRun[] {
  const on = isFileData(data) ? data : undefined;
  const key = JSON.stringify([heads, on ?? null]);
  if (!catalogs.has(key)) catalogs.set(key, paperRuns(memberIdFor, heads, on));
  return catalogs.get(key)!;
}

/** Does sweep preset `name` clamp particular heads (so `--heads-from` changes it)? */
export function sweepPresetUsesHeads(name: string): boolean {
  const p = PAPER_SWEEPS[name];
  if (!p) return false;
  const a = JSON.stringify(paperSweep(name, p.select).variants);
  const b = JSON.stringify(paperSweep(name, p.select, { ih: '1:0', pt: '0:0', ptGroup: ['0:0'] }).variants);
  return a !== b;
}

/**
 * The sweep spec of a paper preset: its runs in catalog order under their set's sweep name, on `data`
 * (a feature file's runs are named `<set>.<file stem>-<hash>`).
 */
export function paperSweep(name: string, select: (r: PaperRun) => boolean, heads?: PresetHeads, data?: DataInput): SweepSpecInput {
  const runs = paperCatalog(heads, data).filter(select);
  const names = new Set(runs.map((r) => setSweepName(r.set, data)));
  if (names.size !== 1) throw new Error(`internal: sweep preset ${name} mixes run-ID prefixes ${[...names].join(', ')}`);
  return { name: [...names][0], description: PAPER_SWEEPS[name].description, variants: runs.map((r) => r.config) };
}

/** A sweep preset's spec on `data`: paper presets through the catalog (graft donors included), others via their base. */
export function sweepPresetOnData(name: string, data: DataInput): SweepSpecInput {
  const paper = PAPER_SWEEPS[name];
  if (paper) return paperSweep(name, paper.select, undefined, data);
  const spec = SWEEP_PRESETS[name].spec;
  if (!isFileData(data)) return spec;
  return { ...spec, name: dataSweepName(spec.name, data), base: mergeConfig(spec.base ?? {}, { data }) };
}

export const SWEEP_PRESETS: Record<string, SweepPreset> = {
  ...Object.fromEntries(
    Object.entries(PAPER_SWEEPS).map(([name, p]) => [
      name,
      {
        description: p.description,
        get spec() {
          return paperSweep(name, p.select);
        },
      },
    ]),
  ),
  smoke: {
    description: '4 tiny runs (3,200 sequences each: # labels 5/10 × init seeds 5/6), for checking an installation',
    spec: {
      name: 'smoke',
      base: { preset: 'smoke', schedule: { seqs: 3200, evalEvery: 640, ckptEvery: 640, evalSize: 100 } },
      grid: { 'task.numLabels': [5, 10] },
      seeds: [5, 6],
    },
  },
};
