/**
 * The paper's runs (spec section 7, main paper and appendix) as one catalog: each run has a role (what
 * the report looks it up by), the figure it feeds and its config. The named sweeps (`opto sweep
 * paper-main`, `fig5b`, ...) and `opto report` are both built from this list, so a figure's preset and
 * the claim that reads it can never disagree about which run is which.
 *
 * Sets (the sweep name, hence the run-ID prefix; a figure preset reuses its set's name, so its runs have
 * the same IDs as in the full set and `opto sweep paper-main` afterwards skips them):
 *   paper-main      32 runs, 26.2×10⁶ sequences: Figs. 3, 4b, 5b, 6
 *   paper-appendix  28 runs, 21.0×10⁶ sequences: Fig. 7's seeds 6 and 7, Figs. 8, 15, 17
 *   fig7-graft      3 runs, 2.4×10⁶ sequences (name paper-appendix): needs the 10⁶-sequence main runs of
 *                   seeds 5 (paper-main) and 6, 7 (paper-appendix) as graft donors
 *   fig18-seeds     36 runs, 36×10⁶ sequences (name paper-appendix): seeds 6-9, main + 8 single-head runs
 *
 * Clamped heads are seed 5's in the paper (L2H3, L1H2; Fig. 8's {L1H1, L1H2, L1H5}) by default; pitfall 10
 * says to pick them per seed from the unclamped run, which `--heads-from <run>` does (`opto sweep fig5b
 * --heads-from runs/<main run>`); the report then looks for runs with either choice.
 */
import { mergeConfig, type RunConfigInput } from '../config.js';
import { classSplitFor } from '../data/task.js';
import { parseHead } from '../interventions/spec.js';
import { DEFAULT_PRESET_HEADS, presetConfig, type PresetHeads } from '../presets.js';
import { dataSweepName, isFileData, type DataInput } from './data.js';
import { headLabel } from '../interventions/heads.js';

export { classSplitFor };

export type PaperSet = 'paper-main' | 'paper-appendix' | 'fig7-graft' | 'fig18-seeds' | 'paper-seeds';

export interface PaperRun {
  /** Unique key, e.g. `main`, `only:3`, `fig5b:match`, `fig6:match:100:5`, `graft:6`. */
  role: string;
  /** Figure (or table) the run feeds: `fig3`, `fig4b`, ... */
  figure: string;
  set: PaperSet;
  config: RunConfigInput;
}

/** The run-ID prefix of each set's members. */
export const SET_SWEEP_NAME: Record<PaperSet, string> = {
  'paper-main': 'paper-main',
  'paper-appendix': 'paper-appendix',
  'fig7-graft': 'paper-appendix',
  'fig18-seeds': 'paper-appendix',
  'paper-seeds': 'paper-seeds',
};

export const HEADS = [0, 1, 2, 3, 4, 5, 6, 7];
export const FIG5B_CONDITIONS = ['none', 'pt', 'layer1', 'match', 'copy', 'layer1-copy'] as const;
export const FIG6_CLAMPS = ['layer1-copy', 'match', 'layer1'] as const;
/** Fig. 6's (classes, labels) cells; 50/5 is the default task (its clamp runs are Fig. 5b's). */
export const FIG6_CELLS: [classes: number, labels: number][] = [
  [50, 5],
  [100, 5],
  [200, 5],
  [50, 10],
  [50, 15],
];
/** Fig. 8's previous-token clamp variants (run presets `fig8-<variant>`). */
export const FIG8_VARIANTS = ['h6', 'ptgroup', 'all'] as const;
/** Fig. 15's 16 match-clamp strengths s = 1, 14/15, ..., 0 (the figure's colour is 2s − 1). */
/**
 * App. Fig. 15's match-clamp strengths: the authors' grid (`ih_paper_appendix_runs.sh` in
 * aadityasingh/icl-dynamics), finer near s = 1 and through s = 0.5, where 2s − 1 changes sign.
 */
export const FIG15_STRENGTHS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1, 0];
export const EXTRA_SEEDS = [6, 7, 8, 9];
/** The donor checkpoint of a 10⁶-sequence run (its final checkpoint). */
export const FINAL_CHECKPOINT_1E6 = 'checkpoints/seqs-0001000000.safetensors';

const task = (classes: number, labels: number) => ({ classSplit: classSplitFor(classes), numLabels: labels });

/** A head-clamping run preset built for `heads`, with `overrides` merged on top. */
const clamped = (name: string, heads: PresetHeads, overrides: RunConfigInput = {}): RunConfigInput => mergeConfig(presetConfig(name, heads), overrides);

/** The main-paper set (Figs. 3, 4b, 5b, 6), its clamps on `heads`; `sweep/paperSeeds.ts` repeats it per init seed. */
export function mainSet(heads: PresetHeads): PaperRun[] {
  const runs: PaperRun[] = [{ role: 'main', figure: 'fig3', set: 'paper-main', config: { preset: 'main' } }];
  for (const h of HEADS) runs.push({ role: `only:${h}`, figure: 'fig4b', set: 'paper-main', config: { preset: `only-${headLabel(1, h)}` } });
  for (const c of FIG5B_CONDITIONS) runs.push({ role: `fig5b:${c}`, figure: 'fig5b', set: 'paper-main', config: clamped(`fig5b-${c}`, heads) });
  for (const [c, l] of FIG6_CELLS) {
    const figure = l === 5 ? 'fig6-classes' : 'fig6-labels';
    // The long runs need resume points, not the 100 checkpoints the progress measures sample.
    runs.push({ role: `fig6:normal:${c}:${l}`, figure, set: 'paper-main', config: { preset: `only-${headLabel(1, parseHead(heads.ih).head)}`, task: task(c, l), schedule: { seqs: 2_000_000, ckptEvery: 50_000 } } });
    if (c === 50 && l === 5) continue; // the 50/5 clamp curves are Fig. 5b's runs
    for (const x of FIG6_CLAMPS)
      runs.push({ role: `fig6:${x}:${c}:${l}`, figure, set: 'paper-main', config: clamped(`fig5b-${x}`, heads, { task: task(c, l), schedule: { seqs: 300_000 } }) });
  }
  return runs;
}

function appendixSet(heads: PresetHeads): PaperRun[] {
  const runs: PaperRun[] = [];
  for (const s of [6, 7]) runs.push({ role: `seed:${s}:main`, figure: 'fig7', set: 'paper-appendix', config: { preset: 'main', seeds: { init: s } } });
  for (const v of FIG8_VARIANTS) runs.push({ role: `fig8:${v}`, figure: 'fig8', set: 'paper-appendix', config: clamped(`fig8-${v}`, heads) });
  FIG15_STRENGTHS.forEach((s, i) =>
    runs.push({ role: `fig15:${i}`, figure: 'fig15', set: 'paper-appendix', config: clamped('fig15', heads, { interventions: { match: { heads: [heads.ih], strength: s } } }) }),
  );
  for (const h of HEADS.filter((h) => h !== 3)) runs.push({ role: `fig17:${h}`, figure: 'fig17', set: 'paper-appendix', config: { preset: `fig17-${headLabel(1, h)}` } });
  return runs;
}

/**
 * Fig. 7's graft runs: Layer 1 of the 10⁶-sequence main run of seed `s`, frozen, under a fresh seed-5
 * model. `${runs}` in the checkpoint path is the runs directory the graft run lives in (spec 4.9).
 */
function graftSet(donorIds: Record<number, string>): PaperRun[] {
  return [5, 6, 7].map((s) => ({
    role: `graft:${s}`,
    figure: 'fig7',
    set: 'fig7-graft' as const,
    config: {
      preset: 'fig7-graft',
      interventions: { graft: { checkpoint: `\${runs}/${donorIds[s]}/${FINAL_CHECKPOINT_1E6}`, tillLayer: 0 } },
    },
  }));
}

function seedsSet(): PaperRun[] {
  return EXTRA_SEEDS.flatMap((s) => [
    { role: `seed:${s}:main`, figure: 'fig18', set: 'fig18-seeds' as const, config: { preset: 'main', seeds: { init: s } } },
    ...HEADS.map((h) => ({ role: `seed:${s}:only:${h}`, figure: 'fig18', set: 'fig18-seeds' as const, config: { preset: `only-${headLabel(1, h)}`, seeds: { init: s } } })),
  ]);
}

/** The sweep name (run-ID prefix) of a set's runs on `data` (the set's name, tagged for a feature file). */
export function setSweepName(set: PaperSet, data?: DataInput): string {
  return dataSweepName(SET_SWEEP_NAME[set], data);
}

/**
 * Every paper run, its clamps on `heads` (seed 5's by default; pitfall 10: a seed's own, picked from its
 * unclamped run), reading `data` (a feature file's `data` block; the built-in synthetic features by
 * default). `memberId(sweepName, config)` gives a config's run ID (passed in because the sweep expander
 * imports this module): the graft runs name their donors by ID.
 */
export function paperRuns(
  memberId: (sweepName: string, config: RunConfigInput) => string,
  heads: PresetHeads = DEFAULT_PRESET_HEADS,
  data?: DataInput,
): PaperRun[] {
  const onData = (runs: PaperRun[]) => (isFileData(data) ? runs.map((r) => ({ ...r, config: mergeConfig(r.config, { data }) })) : runs);
  const main = onData(mainSet(heads));
  const appendix = onData(appendixSet(heads));
  const donor = (s: number) => {
    const r = s === 5 ? main.find((x) => x.role === 'main')! : appendix.find((x) => x.role === `seed:${s}:main`)!;
    return memberId(setSweepName(r.set, data), r.config);
  };
  const seeds = seedsSet().filter((r) => !appendix.some((a) => a.role === r.role)); // seeds 6, 7 main: already in the appendix set
  return [...main, ...appendix, ...onData(graftSet({ 5: donor(5), 6: donor(6), 7: donor(7) })), ...onData(seeds)];
}

/**
 * Named sweeps over the catalog: the four sets and one per figure. A preset's runs must share a sweep
 * name (the run-ID prefix), so a figure that also reads another set's runs says so in its description.
 */
export const PAPER_SWEEPS: Record<string, { description: string; select: (r: PaperRun) => boolean }> = {
  'paper-main': { description: "the paper's main set (spec 7): Figs. 3, 4b, 5b and 6, 32 runs, 26.2e6 sequences", select: (r) => r.set === 'paper-main' },
  'paper-appendix': {
    description: 'the appendix set (spec 7) without the grafts: Fig. 7 seeds 6/7, Figs. 8, 15, 17, 28 runs, 21.0e6 sequences',
    select: (r) => r.set === 'paper-appendix',
  },
  'fig7-graft': {
    description: 'App. Fig. 7 graft runs (frozen Layer 1 of seeds 5, 6, 7), 3 runs; run after paper-main and fig7 (the donors)',
    select: (r) => r.set === 'fig7-graft',
  },
  'fig18-seeds': { description: 'App. Fig. 18: the main run and the 8 single-head runs for init seeds 6-9, 36 runs', select: (r) => r.role.startsWith('seed:') },
  fig3: { description: 'Fig. 3 and the final-model analyses (Figs. 4a, 11-14, 16; Tables 1-3): the main run', select: (r) => r.role === 'main' },
  fig4b: { description: 'Fig. 4b: the main run ("All") and only-L2H0..7, 9 runs', select: (r) => r.role === 'main' || r.role.startsWith('only:') },
  fig5b: { description: 'Fig. 5b (and App. Fig. 10 left): the six clamp conditions of spec 4.11, 6 runs', select: (r) => r.role.startsWith('fig5b:') },
  'fig6-classes': {
    description: 'Fig. 6 "# classes" row: 50/100/200 classes, normal training and the three clamps (50 classes: the fig5b runs), 12 runs',
    select: (r) => /^fig6:[^:]+:\d+:5$/.test(r.role) || FIG6_REUSED.includes(r.role),
  },
  'fig6-labels': {
    description: 'Fig. 6 "# labels" row: 5/10/15 labels, normal training and the three clamps (5 labels: the fig5b runs), 12 runs',
    select: (r) => /^fig6:[^:]+:50:\d+$/.test(r.role) || FIG6_REUSED.includes(r.role),
  },
  fig7: { description: 'App. Fig. 7 standard-training curves and graft donors: main runs of init seeds 6 and 7 (then fig7-graft)', select: (r) => r.figure === 'fig7' && r.set === 'paper-appendix' },
  fig8: { description: 'App. Fig. 8: previous-token clamps on L1H6, the previous-token group (seed 5: {L1H1, L1H2, L1H5}) and all eight L1 heads, only the IH active, 3 runs (plus fig5b none/pt)', select: (r) => r.figure === 'fig8' },
  fig15: { description: 'App. Fig. 15: match-clamp strength sweep on L2H3, s = 1 ... 0, no head ablation, 16 runs', select: (r) => r.figure === 'fig15' },
  fig17: { description: 'App. Fig. 17: L2H3 plus one other layer-2 head active, 7 runs (plus the main run)', select: (r) => r.figure === 'fig17' },
};

/** Fig. 6's 50-class, 5-label clamp curves are Fig. 5b's runs. */
const FIG6_REUSED = FIG6_CLAMPS.map((x) => `fig5b:${x}`);
