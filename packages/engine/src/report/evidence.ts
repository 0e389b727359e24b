/**
 * Everything the claim checks read, gathered from a runs directory: each catalog role's eval rows, the
 * spec 5 analyses of the final main model, the Fig. 10 eval-time clamp curves of the unclamped
 * single-head run, and the toy model. `Evidence` is plain JSON, so the claim logic can be tested on
 * synthetic evidence that passes and on evidence that fails.
 *
 * Analyses are cached in `<run>/analysis/<what>.json` (`analysis/store.ts`, the format `opto analyze`
 * stores) and recomputed only when the checkpoint or the dense set differs.
 */
import type { FeatureSource } from '../data/types.js';
import {
  headStrengths,
  type AblationVsStrength,
  type AdditivityCurve,
  type LossAcc,
  type RedundancyTable,
} from '../analysis/ablation.js';
import { clampProgressSpecs, layerToOutputSpecs, openAnalysisRun, pickCheckpoints, progressCurve, type AnalysisRun, type LayerToOutputPoint } from '../analysis/progress.js';
import { groupAblations, table1Groups, type GroupAblationRow, type WiringMatrices } from '../analysis/wiring.js';
import type { MetricRow, RunStatus } from '../store/runDir.js';
import { cachedAnalysis } from '../analysis/store.js';
import { ANALYSES, type AnalysisContext, type AnalysisName } from '../analysis/registry.js';
import { runToy, type ToyCondition, TOY_CONDITIONS } from '../toy/toyModel.js';
import { DEFAULT_PRESET_HEADS, type PresetHeads } from '../presets.js';
import { headsFromRun } from '../evaluate.js';
import { parseRunConfig } from '../config.js';
import { loadFeatures } from '../data/load.js';
import { EXTRA_SEEDS } from '../sweep/paperRuns.js';
import { isFileData, loadDataFlag, type DataInput } from '../sweep/data.js';
import { findPaperRuns, type FoundRun, type RoleMatch } from './find.js';
import { PAPER_SEEDS, seedRole } from '../sweep/paperSeeds.js';

export interface RunEvidence {
  id: string;
  /** Clamped heads: seed 5's (the paper's) or the ones picked from this data's main run. */
  heads: 'paper' | 'data';
  status: RunStatus;
  /** Sequences trained so far, and the run's length. */
  seqs: number;
  totalSeqs: number;
  /**
   * How the run plays its role (find.ts): the catalog's exact config, the same config with another
   * length or cadence (a user's own run), or assigned with `--role`; absent in hand-built evidence: exact.
   */
  match?: RoleMatch;
  /** The catalog run's length, when it differs from `totalSeqs`. */
  catalogSeqs?: number;
  /** Eval rows (kind 'eval'), in order. */
  rows: MetricRow[];
}

/** Spec 5 analyses of the final main model (claims 3-8, 10-12). */
export interface MainAnalyses {
  run: string;
  checkpoint: number;
  denseSet: string;
  /** Sequences in the dense set the analyses below used (claim 12's noise bar). */
  denseSize: number;
  /**
   * Claims 3, 4 and 6 on every one of the 78,400 training sequences (ten evaluations, about a second
   * each on the wasm core), whatever subsample the other analyses use.
   */
  fullSet: { denseSet: string; full: LossAcc; noL1Direct: LossAcc; ablateOne: LossAcc[] };
  ablation: AblationVsStrength;
  /** Spec 4.3 / claim 4: the model with Layer 1's direct path to the logits removed. */
  direct: { full: LossAcc; noL1Direct: LossAcc };
  additivity: { fromStrongest: AdditivityCurve; withoutStrongest: AdditivityCurve };
  /** Table 2: mistakes of the strongest head alone fixed by each other head alone. */
  redundancy: RedundancyTable;
  /** Table 3 / Fig. 16: only head h active with a perfected match. */
  redundancyPerfect: RedundancyTable;
  /** Previous-token scores of the first-layer heads (spec 5.2). */
  prevToken: number[];
  prevTokenAtLabels: number[];
  /** The first-layer heads taken as previous-token heads: score at the label positions ≥ half the best. */
  ptHeads: number[];
  /** Table 1: the previous-token group and the rest, pattern- and value-preserving ablation. */
  table1: GroupAblationRow[];
  wiring: WiringMatrices;
  /** Fig. 3b: induction strength of every last-layer head over the run's checkpoints. */
  strengthCurve: { seqs: number; strength: number[] }[];
  /** App. Fig. 12 (spec 5.7): Δloss without Layer 1's direct path / without Layer 2, over checkpoints. */
  layerOutput: LayerToOutputPoint[];
}

/** App. Fig. 18: one seed's final main model, head by head. */
export interface SeedAnalyses {
  seed: number;
  run: string;
  strength: number[];
  onlyOne: LossAcc[];
}

/** App. Fig. 10 right (spec 5.8): eval-time clamps on the unclamped single-head run's checkpoints. */
export interface ClampProgressEvidence {
  run: string;
  heads: PresetHeads;
  points: { seqs: number; composite: number; copy: number }[];
}

export interface ToyEvidence {
  seed: number;
  condition: ToyCondition;
  loss: number[];
  /** Progress measures PM1, PM2 (spec 6; App. Fig. 9). */
  pm1: number[];
  pm2: number[];
}

/** The data whose runs were judged: a feature file (`--data`, repeated in the commands for missing runs) or the built-in synthetic features. */
export type JudgedData = DataInput & { description: string };

export interface Evidence {
  runsDir: string;
  /** Which data's runs the report judged (absent in hand-built evidence: the synthetic features). */
  data?: JudgedData;
  /** The heads the clamp runs use: seed 5's, and (when the main run is finished) this data's own. */
  heads: { paper: PresetHeads; data?: PresetHeads };
  /** Heads picked from the finished main runs of seeds 6 and 7 (`paper-seeds`: their clamp runs are `seed:<s>:…` roles in `runs`). */
  seedHeads?: Record<number, PresetHeads>;
  /** Runs by role: head-independent ones, and the clamp runs on seed 5's heads. */
  runs: Record<string, RunEvidence>;
  /** Clamp runs on this data's heads (`opto sweep … --heads-from <main run>`), by role. */
  dataRuns: Record<string, RunEvidence>;
  main?: MainAnalyses;
  /** App. Fig. 10 right on the unclamped single-head run, with seed 5's heads and with the data's. */
  fig10?: ClampProgressEvidence;
  fig10Data?: ClampProgressEvidence;
  /** Main runs of every init seed present (5: `main`; 6-9: `seed:<s>:main`), for App. Fig. 18. */
  seeds: SeedAnalyses[];
  toy: ToyEvidence[];
  /** How the model analyses were gathered (`GatherOptions.analyses`); absent: computed. The report's words for missing analyses. */
  analyses?: 'computed' | 'skipped' | 'stored';
}

export interface GatherOptions {
  /** Dense-set subsample (default 4000 of 78,400; 'all' for every sequence). */
  size?: number | 'all';
  /**
   * The model analyses: computed where not stored yet (default, what `opto report` does); false: skipped;
   * 'stored': only those an earlier `opto report` stored in the runs' `analysis/`, never computed (the
   * dashboard, which judges on every change and must not spend minutes of CPU or write into runs). Claims
   * whose analyses are skipped or not stored are 'missing'.
   */
  analyses?: boolean | 'stored';
  log?: (msg: string) => void;
  features?: FeatureSource;
  /** Judge the runs trained on this feature file (`opto report --data`); the synthetic features by default. */
  data?: DataInput;
  /** `--role <role>=<run>`: runs assigned to roles by hand (a run directory, or a run ID under the runs directory). */
  assign?: Record<string, string>;
}

/** Toy-model seeds the report runs (claim 17 is judged on the median over them). */
export const TOY_SEEDS = [1, 2, 3, 4, 5];

export async function gatherEvidence(runsDir: string, opts: GatherOptions = {}): Promise<Evidence> {
  // A feature file is read (and so checked) before anything else; the analyses use these features.
  const file = isFileData(opts.data) ? opts.data : undefined;
  const fileFeatures = file ? await loadDataFlag(file) : undefined;
  // Pitfall 10: the clamps should use this data's heads, picked from its main run; runs made with
  // `--heads-from <main run>` are preferred over runs with seed 5's heads.
  // The same for seeds 6 and 7 (`opto sweep paper-seeds`): each seed's clamps on its own heads.
  const first = findPaperRuns(runsDir, undefined, file, { assign: opts.assign }).paper;
  const headsOf = async (role: string) => {
    const f = first.get(role);
    return f?.record.status === 'finished' ? (await headsFromRun(f.dir)).heads : undefined;
  };
  const data = await headsOf('main');
  const seedHeads: Record<number, PresetHeads> = {};
  for (const s of PAPER_SEEDS.filter((s) => s !== 5)) {
    const h = await headsOf(seedRole(s, 'main'));
    if (h) seedHeads[s] = h;
  }
  const found = findPaperRuns(runsDir, data, file, { seedHeads, assign: opts.assign });
  const evidenceOf = (m: Map<string, FoundRun>) => Object.fromEntries([...m].map(([role, f]) => [role, runEvidence(f)]));
  const recorded = [...found.paper.values()][0]?.record.data.description;
  const description = fileFeatures
    ? `feature file ${fileFeatures.description} (${fileFeatures.nClasses} classes × ${fileFeatures.nExemplars} exemplars × ${fileFeatures.dim} dimensions)`
    : `the built-in synthetic features${recorded ? ` (${recorded})` : ''}`;
  const ev: Evidence = {
    runsDir,
    data: { ...file, description },
    heads: { paper: DEFAULT_PRESET_HEADS, data },
    seedHeads,
    runs: evidenceOf(found.paper),
    dataRuns: evidenceOf(found.data),
    seeds: [],
    toy: [],
    analyses: opts.analyses === false ? 'skipped' : opts.analyses === 'stored' ? 'stored' : 'computed',
  };
  for (const seed of TOY_SEEDS) for (const condition of TOY_CONDITIONS) ev.toy.push({ seed, condition, ...runToy({ seed, condition }) });
  if (opts.analyses === false) return ev;
  // Every catalog run reads the same data (the catalog fixes it), so the features load once.
  const any = [...found.paper.values(), ...found.data.values()][0];
  if (!any) return ev;
  opts = { ...opts, features: opts.features ?? fileFeatures ?? (await loadFeatures(parseRunConfig(any.record.config))) };
  const main = found.paper.get('main');
  if (main && main.record.status === 'finished') ev.main = await ifStored(() => mainAnalyses(main, opts));
  const none = found.paper.get('fig5b:none');
  if (none?.record.status === 'finished') ev.fig10 = await ifStored(() => clampProgress(none, DEFAULT_PRESET_HEADS, opts));
  const noneData = found.data.get('fig5b:none');
  if (noneData?.record.status === 'finished' && data) ev.fig10Data = await ifStored(() => clampProgress(noneData, data!, opts));
  for (const [seed, role] of [[5, 'main'], ...EXTRA_SEEDS.map((s) => [s, `seed:${s}:main`] as const)] as const) {
    const f = found.paper.get(role);
    if (!f || f.record.status !== 'finished') continue;
    if (role === 'main' && ev.main) {
      ev.seeds.push({ seed, run: f.id, strength: ev.main.ablation.strength, onlyOne: ev.main.ablation.onlyOne });
      continue;
    }
    const seedAnalyses = await ifStored(async () => {
      const a = await openAnalysisRun(f.dir, { size: opts.size, features: opts.features });
      const { strength, onlyOne } = registered(a, 'ablation', opts);
      return { seed, run: f.id, strength, onlyOne };
    });
    if (seedAnalyses) ev.seeds.push(seedAnalyses);
  }
  return ev;
}

/** An analysis `analyses: 'stored'` wanted but found no stored result of (the run's last checkpoint, this dense set). */
class NotStored extends Error {}

/** The analyses `gather` reads, or undefined when one of them is not stored (only with `analyses: 'stored'`). */
async function ifStored<T>(gather: () => Promise<T>): Promise<T | undefined> {
  try {
    return await gather();
  } catch (e) {
    if (e instanceof NotStored) return undefined;
    throw e;
  }
}

/** `cachedAnalysis`, or with `analyses: 'stored'` the stored result only (NotStored where there is none). */
function cached<T>(a: AnalysisRun, what: string, compute: () => T, opts: GatherOptions): T {
  const stored = opts.analyses === 'stored';
  return cachedAnalysis(
    a,
    what,
    () => {
      if (stored) throw new NotStored(`${a.run.id}: ${what} is not stored`);
      return compute();
    },
    stored ? undefined : opts.log,
  );
}

/** A registered analysis (analysis/registry.ts) of the run's last checkpoint, reused when already stored. */
function registered<K extends Exclude<AnalysisName, 'progress'>>(a: AnalysisRun, name: K, opts: GatherOptions): ReturnType<(typeof ANALYSES)[K]['run']> {
  const run = ANALYSES[name].run as (a: AnalysisRun, c: AnalysisContext) => ReturnType<(typeof ANALYSES)[K]['run']>;
  return cached(a, name, () => run(a, { curve: pickCheckpoints(a.checkpoints, 100), log: opts.log ?? (() => undefined) }), opts);
}

/** A found run as the claims read it. */
export function runEvidence(f: FoundRun): RunEvidence {
  return { id: f.id, heads: f.heads, status: f.record.status, seqs: f.record.progress.seqs, totalSeqs: f.record.config.schedule.seqs, rows: f.rows, match: f.match, catalogSeqs: f.catalogSeqs };
}

async function mainAnalyses(f: FoundRun, opts: GatherOptions): Promise<MainAnalyses> {
  const a = await openAnalysisRun(f.dir, { size: opts.size, features: opts.features });
  const cfg = a.ev.params.config;
  const ablation = registered(a, 'ablation', opts);
  const direct = cached(a, 'layer1-direct', () => ({ full: ablation.full, noL1Direct: la(a.ev.evaluate(layerToOutputSpecs(cfg.nLayers, cfg.nHeads).noL1Direct)) }), opts);
  const additivity = registered(a, 'additivity', opts);
  const layerOutput = registered(a, 'layer-output', opts);
  const red = registered(a, 'redundancy', opts);
  const scores = cached(a, 'prev-token', () => headStrengths(a.ev), opts);
  const best = Math.max(...scores.prevTokenAtLabels);
  const ptHeads = scores.prevTokenAtLabels.flatMap((s, j) => (s >= best / 2 ? [j] : []));
  const table1 = cached(a, `table1-${ptHeads.join('')}`, () => groupAblations(a.ev, table1Groups(ptHeads, cfg.nHeads)), opts);
  const wiring = registered(a, 'wiring', opts).matrices;
  const fullSet = await fullSetAnalyses(f, a, opts);
  const strengthCurve = registered(a, 'strength', opts).map((p) => ({
    seqs: p.seqs,
    strength: p.strength,
  }));
  return {
    run: f.id,
    checkpoint: a.checkpoints[a.checkpoints.length - 1],
    denseSet: a.ev.set.description,
    denseSize: a.ev.set.batch.size,
    fullSet,
    ablation,
    direct,
    additivity,
    redundancy: red.computed,
    redundancyPerfect: red.perfectMatch,
    prevToken: scores.prevToken,
    prevTokenAtLabels: scores.prevTokenAtLabels,
    ptHeads,
    table1,
    wiring,
    strengthCurve,
    layerOutput,
  };
}

const la = (r: LossAcc): LossAcc => ({ loss: r.loss, acc: r.acc });

/** Claims 3, 4, 6 on the full finite training set (the analysis run `a` is reused when it already is). */
async function fullSetAnalyses(f: FoundRun, a: AnalysisRun, opts: GatherOptions): Promise<MainAnalyses['fullSet']> {
  const all = a.ev.set.indices === null ? a : await openAnalysisRun(f.dir, { size: 'all', features: opts.features });
  const cfg = all.ev.params.config;
  const layer = cfg.nLayers - 1;
  return cached(
    all,
    'final-full-set',
    () => ({
      denseSet: all.ev.set.description,
      full: la(all.ev.evaluate({})),
      noL1Direct: la(all.ev.evaluate(layerToOutputSpecs(cfg.nLayers, cfg.nHeads).noL1Direct)),
      ablateOne: Array.from({ length: cfg.nHeads }, (_, h) => la(all.ev.evaluate({ ablate: [`${layer}:${h}`] }))),
    }),
    opts,
  );
}

/** Spec 5.8 on the unclamped single-head run (Fig. 5b "None"), with the heads its clamps use. */
async function clampProgress(f: FoundRun, heads: PresetHeads, opts: GatherOptions): Promise<ClampProgressEvidence> {
  const a = await openAnalysisRun(f.dir, { size: opts.size, features: opts.features });
  const specs = clampProgressSpecs(heads, a.ev.params.config.nHeads);
  const curve = cached(a, `clamp-progress-${heads.ih}-${heads.pt}`.replace(/:/g, '.'), () => progressCurve(a.ev, a.load, pickCheckpoints(a.checkpoints, 100), specs as Record<string, unknown>), opts);
  return { run: f.id, heads, points: curve.map((p) => ({ seqs: p.seqs, composite: p.values.composite.loss, copy: p.values.copy.loss })) };
}
