/**
 * `opto sweep paper-seeds`: the main-paper set (Figs. 3, 4b, 5b, 6) over init seeds 5, 6 and 7, each
 * seed's clamps on its own heads (pitfall 10), so the report can say "k of n seeds pass" instead of
 * hanging a verdict on one seed's choice of heads.
 *
 * The heads of a seed are known only once its main run is finished, so the sweep has two stages: the
 * three main runs, then everything else on the heads picked from them. Every run keeps the ID it has
 * elsewhere where one exists: seed 5's set is `paper-main` (on its own heads: what `opto sweep paper-main
 * --heads-from <main>` trains), seeds 6 and 7's main and single-head runs are App. Fig. 7/18's
 * (`paper-appendix-…`); only their clamp runs are new (`paper-seeds-…`, roles `seed:<s>:fig5b:pt`, ...).
 */
import { mergeConfig } from '../config.js';
import type { PresetHeads } from '../presets.js';
import { isFileData, type DataInput } from './data.js';
import { mainSet, setSweepName, type PaperRun } from './paperRuns.js';
import { memberFor, type SweepMember } from './spec.js';

export const PAPER_SEEDS = [5, 6, 7];

/** The role a main-set role has for init seed `seed` (seed 5's are the catalog's own). */
export const seedRole = (seed: number, role: string): string => (seed === 5 ? role : `seed:${seed}:${role}`);

/**
 * Seed `seed`'s main-paper set, its clamps on `heads`, on `data`. Seed 5's is the `paper-main` set; for
 * the other seeds the main and single-head runs are the appendix's (Figs. 7, 18) and the rest are new.
 */
export function seedSet(seed: number, heads: PresetHeads, data?: DataInput): PaperRun[] {
  const onData = (r: PaperRun): PaperRun => (isFileData(data) ? { ...r, config: mergeConfig(r.config, { data }) } : r);
  if (seed === 5) return mainSet(heads).map(onData);
  return mainSet(heads).map((r) =>
    onData({
      ...r,
      role: seedRole(seed, r.role),
      set: r.role === 'main' ? 'paper-appendix' : r.role.startsWith('only:') ? 'fig18-seeds' : 'paper-seeds',
      config: mergeConfig(r.config, { seeds: { init: seed } }),
    }),
  );
}

/** The runs of the seeds' sets that exist nowhere else in the catalog: seeds 6 and 7's clamp and Fig. 6 runs. */
export function seedOnlyRuns(headsBySeed: Record<number, PresetHeads>, data?: DataInput): PaperRun[] {
  return PAPER_SEEDS.filter((s) => s !== 5 && headsBySeed[s]).flatMap((s) => seedSet(s, headsBySeed[s], data).filter((r) => r.set === 'paper-seeds'));
}

const member = (r: PaperRun, data?: DataInput): SweepMember => memberFor(setSweepName(r.set, data), r.config);
/** Members of several sweep names in one list: positions in this list (the runner starts them in this order). */
const indexed = (ms: SweepMember[]): SweepMember[] => ms.map((m, index) => ({ ...m, index }));

/** Stage 1 of `opto sweep paper-seeds`: the main run of every seed (their heads pick the clamps of stage 2). */
export function paperSeedsMains(heads: PresetHeads, data?: DataInput): SweepMember[] {
  return indexed(PAPER_SEEDS.map((s) => member(seedSet(s, heads, data).find((r) => r.role === seedRole(s, 'main'))!, data)));
}

/** Stage 2: every other run of every seed's set, each seed's clamps on `headsBySeed[seed]`. */
export function paperSeedsRest(headsBySeed: Record<number, PresetHeads>, data?: DataInput): SweepMember[] {
  return indexed(
    PAPER_SEEDS.flatMap((s) =>
      seedSet(s, headsBySeed[s], data)
        .filter((r) => r.role !== seedRole(s, 'main'))
        .map((r) => member(r, data)),
    ),
  );
}
