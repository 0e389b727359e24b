/**
 * Which run in a runs directory plays which role of the paper's catalog (`sweep/paperRuns.ts`). Runs are
 * matched by what they compute, not by name: the config without its label fields (`name`, `preset`),
 * the backend, and the checkpoint cadence. So a main run trained with `opto train --preset main --out
 * runs/x` counts as well as the sweep member `paper-main-d8a35d92b4`. A feature file is matched by its
 * absolute path, so `--data feats.h5` and `--data ./feats.h5` name the same data.
 *
 * A user's own runs count too: a run whose config means the same (clamp spec, heads, data, model and
 * task sizes, optimizer, seeds) but whose length or eval cadence differ plays the role as a `config`
 * match; the claims then judge it where their window allows (a shorter run is marked so in the report).
 * `opto report --role fig5b:none=<run>` assigns a run to a role by hand.
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
import { seedOnlyRuns } from '../sweep/paperSeeds.js';

/** How a run came to play its role: its exact catalog config, the same config but another length or cadence, or `--role`. */
export type RoleMatch = 'exact' | 'config' | 'assigned';

export interface FoundRun {
  role: string;
  match: RoleMatch;
  /** The catalog run's length (a `config` or `assigned` run may be shorter or longer). */
  catalogSeqs: number;
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

/** What a run means, whatever its length: its fingerprint without the schedule (length, eval and checkpoint cadence, eval-set size). */
export function roleFingerprint(config: RunConfig): string {
  return runFingerprint({ ...config, schedule: { seqs: 1, evalEvery: 1, ckptEvery: null, evalSize: 1 } });
}

/**
 * Every catalog role with its expected config (validated, defaults filled in), clamping `heads`, on
 * `data`; with `seedHeads`, also seeds 6 and 7's main-set clamp runs on their own heads (`paper-seeds`).
 */
export function catalogConfigs(heads?: PresetHeads, data?: DataInput, seedHeads: Record<number, PresetHeads> = {}): { run: PaperRun; config: RunConfig }[] {
  return [...paperCatalog(heads, data), ...seedOnlyRuns(seedHeads, data)].map((run) => {
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

export interface FindOptions {
  /** Heads picked from seeds 6 and 7's main runs: their `paper-seeds` clamp runs are looked up too. */
  seedHeads?: Record<number, PresetHeads>;
  /** `--role <role>=<run>`: runs assigned to roles by hand (a run directory, or a run ID under `runsDir`). */
  assign?: Record<string, string>;
}

/**
 * The finished or partial runs under `runsDir` that match catalog roles on `data` (the built-in
 * synthetic features by default; `opto report --data`): with the clamps on seed 5's heads, and, given
 * `dataHeads` (picked from this data's main run), on those. An exact catalog config beats a run of the
 * same config with another length; then the run that got furthest wins, then the finished one, then the
 * lowest ID. A run assigned with `--role` beats them all.
 */
export function findPaperRuns(runsDir: string, dataHeads?: PresetHeads, data?: DataInput, opts: FindOptions = {}): FoundRuns {
  if (!fs.existsSync(runsDir) || !fs.statSync(runsDir).isDirectory()) throw new Error(`--runs: ${runsDir} is not a directory`);
  type Want = { role: string; heads: FoundRun['heads']; catalogSeqs: number };
  const exact = new Map<string, Want[]>();
  const similar = new Map<string, Want[]>();
  const add = (m: Map<string, Want[]>, f: string, w: Want) => m.set(f, [...(m.get(f) ?? []), w]);
  const want = (config: RunConfig, w: Want) => {
    add(exact, runFingerprint(config), w);
    add(similar, roleFingerprint(config), w);
  };
  const paperPrints = new Map<string, string>();
  const catalogSeqs = new Map<string, number>();
  for (const { run, config } of catalogConfigs(undefined, data, opts.seedHeads)) {
    paperPrints.set(run.role, runFingerprint(config));
    catalogSeqs.set(run.role, config.schedule.seqs);
    want(config, { role: run.role, heads: 'paper', catalogSeqs: config.schedule.seqs });
  }
  if (dataHeads && JSON.stringify(dataHeads) !== JSON.stringify(DEFAULT_PRESET_HEADS))
    for (const { run, config } of catalogConfigs(dataHeads, data)) {
      // A head-independent run (main, only-L2Hh, ...) is the same run under both choices.
      if (runFingerprint(config) !== paperPrints.get(run.role)) want(config, { role: run.role, heads: 'data', catalogSeqs: config.schedule.seqs });
    }
  const found: FoundRuns = { paper: new Map(), data: new Map() };
  const rank = { exact: 0, config: 1, assigned: -1 };
  for (const id of fs.readdirSync(runsDir).sort()) {
    const dir = path.join(runsDir, id);
    const opened = openRun(dir);
    if (!opened) continue; // unreadable runs are not evidence; `opto runs ls` reports them
    const { record, config } = opened;
    const exactRoles = exact.get(runFingerprint(config)) ?? [];
    const configRoles = (similar.get(roleFingerprint(config)) ?? []).filter((w) => !exactRoles.some((x) => x.role === w.role && x.heads === w.heads));
    if (!exactRoles.length && !configRoles.length) continue;
    const rows = evalRows(dir);
    for (const [match, wants] of [['exact', exactRoles], ['config', configRoles]] as const)
      for (const { role, heads, catalogSeqs: total } of wants) {
        const map = found[heads];
        const prev = map.get(role);
        const better =
          !prev ||
          rank[match] < rank[prev.match] ||
          (rank[match] === rank[prev.match] &&
            (record.progress.seqs > prev.record.progress.seqs ||
              (record.progress.seqs === prev.record.progress.seqs && record.status === 'finished' && prev.record.status !== 'finished')));
        if (better) map.set(role, { role, match, catalogSeqs: total, heads, id, dir, record, rows });
      }
  }
  for (const [role, where] of Object.entries(opts.assign ?? {})) {
    const total = catalogSeqs.get(role);
    if (total === undefined) throw new Error(`--role ${role}=${where}: no such role (roles are the catalog's: main, only:3, fig5b:none, fig6:match:100:5, fig15:0, ...)`);
    const dir = fs.existsSync(path.join(runsDir, where, 'run.json')) ? path.join(runsDir, where) : where;
    const opened = openRun(dir);
    if (!opened) throw new Error(`--role ${role}=${where}: not a readable run directory (no valid run.json under ${dir})`);
    // Into the data-heads choice too only where there is one (a main run whose heads differ from seed 5's).
    for (const heads of found.data.size || (dataHeads && JSON.stringify(dataHeads) !== JSON.stringify(DEFAULT_PRESET_HEADS)) ? (['paper', 'data'] as const) : (['paper'] as const))
      found[heads].set(role, { role, match: 'assigned', catalogSeqs: total, heads, id: path.basename(path.resolve(dir)), dir, record: opened.record, rows: evalRows(dir) });
  }
  return found;
}

function openRun(dir: string): { record: RunRecord; config: RunConfig } | undefined {
  if (!fs.existsSync(path.join(dir, 'run.json'))) return undefined;
  try {
    const record = RunDir.open(dir).readRecord();
    return { record, config: parseRunConfig(record.config, `${dir}/run.json config`) };
  } catch {
    return undefined;
  }
}

const evalRows = (dir: string): MetricRow[] =>
  RunDir.open(dir)
    .readMetrics()
    .filter((r) => r.kind === 'eval');

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
