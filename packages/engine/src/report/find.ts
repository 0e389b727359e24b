/**
 * Which run in a runs directory plays which role of the paper's catalog (`sweep/paperRuns.ts`). Runs are
 * matched by what they compute, not by name: the config without its label fields (`name`, `preset`),
 * the backend, and the checkpoint cadence. So a main run trained with `opto train --preset main --out
 * runs/x` counts as well as the sweep member `paper-main-d8a35d92b4`. A feature file is matched by its
 * absolute path, so `--data feats.h5` and `--data ./feats.h5` name the same data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, type RunConfig } from '../config.js';
import { RunDir, type MetricRow, type RunRecord } from '../store/runDir.js';
import { DEFAULT_PRESET_HEADS, type PresetHeads } from '../presets.js';
import { paperCatalog } from '../sweep/presets.js';
import { PAPER_SWEEPS, setSweepName, type PaperRun } from '../sweep/paperRuns.js';
import type { DataInput } from '../sweep/data.js';
import { canonicalJson, memberFor } from '../sweep/spec.js';

export interface FoundRun {
  role: string;
  /** Which clamped heads the run was configured with: seed 5's (the paper's) or the data's own. */
  heads: 'paper' | 'data';
  id: string;
  dir: string;
  record: RunRecord;
  /** Eval rows, in order. */
  rows: MetricRow[];
}

/** What a run computes: its validated config without labels, backend or checkpoint cadence. */
export function runFingerprint(config: RunConfig): string {
  const { name: _n, preset: _p, backend: _b, ...rest } = config;
  const { ckptEvery: _c, ...schedule } = rest.schedule;
  const data = rest.data.source === 'synthetic' ? rest.data : { ...rest.data, source: path.resolve(rest.data.source) };
  return canonicalJson({ ...rest, data, schedule });
}

/** Every catalog role with its expected config (validated, defaults filled in), clamping `heads`, on `data`. */
export function catalogConfigs(heads?: PresetHeads, data?: DataInput): { run: PaperRun; config: RunConfig }[] {
  return paperCatalog(heads, data).map((run) => {
    return { run, config: memberFor(setSweepName(run.set, data), run.config).config };
  });
}

/** Catalog runs found in a runs directory, per choice of clamped heads. */
export interface FoundRuns {
  /** Every role matched with seed 5's (the paper's) heads, head-independent roles included. */
  paper: Map<string, FoundRun>;
  /** Head-dependent roles matched with this data's heads (pitfall 10), when those are given. */
  data: Map<string, FoundRun>;
}

/**
 * The finished or partial runs under `runsDir` that match catalog roles on `data` (the built-in
 * synthetic features by default; `opto report --data`): with the clamps on seed 5's heads, and, given
 * `dataHeads` (picked from this data's main run), on those. When several runs match one role under one
 * choice (a rerun), the one that got furthest wins, then the finished one, then the lowest ID.
 */
export function findPaperRuns(runsDir: string, dataHeads?: PresetHeads, data?: DataInput): FoundRuns {
  if (!fs.existsSync(runsDir) || !fs.statSync(runsDir).isDirectory()) throw new Error(`--runs: ${runsDir} is not a directory`);
  const byFingerprint = new Map<string, { role: string; heads: FoundRun['heads'] }[]>();
  const add = (f: string, role: string, heads: FoundRun['heads']) => byFingerprint.set(f, [...(byFingerprint.get(f) ?? []), { role, heads }]);
  const paperPrints = new Map<string, string>();
  for (const { run, config } of catalogConfigs(undefined, data)) {
    const f = runFingerprint(config);
    paperPrints.set(run.role, f);
    add(f, run.role, 'paper');
  }
  if (dataHeads && JSON.stringify(dataHeads) !== JSON.stringify(DEFAULT_PRESET_HEADS))
    for (const { run, config } of catalogConfigs(dataHeads, data)) {
      const f = runFingerprint(config);
      // A head-independent run (main, only-L2Hh, ...) is the same run under both choices.
      if (f !== paperPrints.get(run.role)) add(f, run.role, 'data');
    }
  const found: FoundRuns = { paper: new Map(), data: new Map() };
  for (const id of fs.readdirSync(runsDir).sort()) {
    const dir = path.join(runsDir, id);
    if (!fs.existsSync(path.join(dir, 'run.json'))) continue;
    let record: RunRecord;
    let config: RunConfig;
    try {
      const run = RunDir.open(dir);
      record = run.readRecord();
      config = parseRunConfig(record.config, `${dir}/run.json config`);
    } catch {
      continue; // unreadable runs are not evidence; `opto runs ls` reports them
    }
    const roles = byFingerprint.get(runFingerprint(config));
    if (!roles) continue;
    const rows = RunDir.open(dir)
      .readMetrics()
      .filter((r) => r.kind === 'eval');
    for (const { role, heads } of roles) {
      const map = found[heads];
      const prev = map.get(role);
      const better =
        !prev ||
        record.progress.seqs > prev.record.progress.seqs ||
        (record.progress.seqs === prev.record.progress.seqs && record.status === 'finished' && prev.record.status !== 'finished');
      if (better) map.set(role, { role, heads, id, dir, record, rows });
    }
  }
  return found;
}

/** The smallest named sweep that trains `role` (what the report tells the user to run). */
export function presetForRole(role: string): string {
  const run = paperCatalog().find((r) => r.role === role);
  if (!run) throw new Error(`internal: no catalog role ${role}`);
  let best: { name: string; size: number } | undefined;
  for (const [name, p] of Object.entries(PAPER_SWEEPS)) {
    if (!p.select(run)) continue;
    const size = paperCatalog().filter(p.select).length;
    if (!best || size < best.size) best = { name, size };
  }
  if (!best) throw new Error(`internal: no sweep preset trains ${role}`);
  return best.name;
}
