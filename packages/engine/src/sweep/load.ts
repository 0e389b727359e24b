/**
 * What `opto sweep <spec.json | preset>` expands: a sweep spec file, or a named sweep preset (its clamps
 * on `--heads-from` heads, on `--data`). Kept apart from the expander (spec.ts), which the presets
 * themselves use to name graft donors by run ID.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../config.js';
import type { PresetHeads } from '../presets.js';
import { isFileData, type DataInput } from './data.js';
import { readJsonObject } from '../store/jsonFile.js';
import { PAPER_SWEEPS } from './paperRuns.js';
import { SWEEP_PRESETS, paperSweep, sweepPresetOnData, sweepPresetUsesHeads } from './presets.js';

/**
 * A spec file, or a sweep preset name (`paper-main`, ...), its clamps on `heads` (`--heads-from`) and
 * every member reading `data` (`--data`; presets only: a spec file sets `data` in its own config).
 */
export function loadSweepSpec(fileOrPreset: string, heads?: PresetHeads, data?: DataInput): { input: unknown; where: string } {
  const preset = SWEEP_PRESETS[fileOrPreset];
  if (preset && !fs.existsSync(fileOrPreset)) {
    const on = isFileData(data) ? ` on ${data.source}` : '';
    if (!heads) return { input: structuredClone(data ? sweepPresetOnData(fileOrPreset, data) : preset.spec), where: `sweep preset ${fileOrPreset}${on}` };
    const paper = PAPER_SWEEPS[fileOrPreset];
    if (!paper || !sweepPresetUsesHeads(fileOrPreset)) throw new ConfigError(`--heads-from: sweep preset '${fileOrPreset}' clamps no particular head`);
    return { input: paperSweep(fileOrPreset, paper.select, heads, data), where: `sweep preset ${fileOrPreset}${on} (heads ${heads.ih}, ${heads.pt}, {${heads.ptGroup.join(', ')}})` };
  }
  if (heads) throw new ConfigError(`--heads-from applies to the paper's sweep presets, not to a spec file (${fileOrPreset})`);
  if (data) throw new ConfigError(`--data applies to the sweep presets, not to a spec file (${fileOrPreset}); set "data" in the spec's base config`);
  if (!fs.existsSync(fileOrPreset))
    throw new ConfigError(`sweep spec not found: ${fileOrPreset} (a JSON file, or a preset: ${Object.keys(SWEEP_PRESETS).join(', ')})`);
  try {
    return { input: readJsonObject(fileOrPreset, 'sweep spec'), where: fileOrPreset };
  } catch (e) {
    throw new ConfigError(`${fileOrPreset}: malformed JSON (${(e as Error).message})`);
  }
}
