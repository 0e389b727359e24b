/**
 * `opto sweep paper-seeds`: the main-paper set over init seeds 5, 6, 7, each seed's clamps on its own
 * heads (engine `sweep/paperSeeds.ts`). Two stages on this machine: the three main runs, then the rest on
 * the heads picked from them. Runs that exist already (from `paper-main`, `fig7`, `fig18-seeds`) are
 * reused, so it always resumes.
 */
import * as path from 'node:path';
import { ConfigError, DEFAULT_PRESET_HEADS, PAPER_SEEDS, checkTasksFit, describeVary, paperSeedsMains, paperSeedsRest, type DataInput, type FeatureSource, type PresetHeads, type SweepMember, type SweepOutcome } from '@optoscope/engine';
import { headsFromFlag } from '../headsFrom.js';
import { formatDuration } from '../sweepView.js';

/** What the stages need of `opto sweep`: its flags, and its local runner and summary (passed in: sweep.ts imports this file). */
interface SeedsFlags {
  runs: string;
  queue?: string;
  index?: string;
  headsFrom?: string;
  list?: boolean;
}
export interface SweepRunner<F extends SeedsFlags> {
  runLocal(name: string, members: SweepMember[], flags: F & { resume: boolean }): Promise<SweepOutcome>;
  finish(outcome: SweepOutcome, specArg: string, flags: F): void;
}

export const PAPER_SEEDS_PRESET = 'paper-seeds';
export const PAPER_SEEDS_DESCRIPTION = `the main-paper set over init seeds ${PAPER_SEEDS.join(', ')}, each on its own heads (pitfall 10): the main runs, then the rest on the heads picked from them; the report's "k of n seeds"`;

export async function sweepPaperSeeds<F extends SeedsFlags>(flags: F, data: DataInput | undefined, features: FeatureSource | undefined, { runLocal, finish }: SweepRunner<F>): Promise<void> {
  for (const [flag, given] of [['--queue', flags.queue], ['--index', flags.index], ['--heads-from', flags.headsFrom]] as const)
    if (given !== undefined) throw new ConfigError(`${flag} does not apply to ${PAPER_SEEDS_PRESET}: its clamps need each seed's main run first, so it runs in two stages on this machine`);
  if (/^s3:\/\//.test(flags.runs)) throw new ConfigError(`--runs ${flags.runs}: ${PAPER_SEEDS_PRESET} picks heads from its main runs between its stages, so it needs a local runs directory`);
  const mains = paperSeedsMains(DEFAULT_PRESET_HEADS, data);
  if (features) checkTasksFit(mains, features, data!);
  if (flags.list) {
    const rest = paperSeedsRest(Object.fromEntries(PAPER_SEEDS.map((s) => [s, DEFAULT_PRESET_HEADS])), data);
    for (const m of mains) process.stdout.write(`${m.index}  ${m.id}  ${describeVary(m.vary)}\n`);
    process.stdout.write(`${mains.length} members in stage 1; then ${rest.length} on the heads picked from them (IDs depend on those heads)\n`);
    return;
  }
  const t0 = Date.now();
  const first = await runLocal(`${PAPER_SEEDS_PRESET} (stage 1: main runs)`, mains, { ...flags, resume: true });
  if (first.interrupted || first.results.some((r) => r.outcome === 'failed' || r.outcome === 'live')) return finish(first, PAPER_SEEDS_PRESET, flags);
  const heads: Record<number, PresetHeads> = {};
  for (const [i, s] of PAPER_SEEDS.entries()) heads[s] = await headsFromFlag(path.join(flags.runs, mains[i].id));
  const rest = paperSeedsRest(heads, data);
  if (features) checkTasksFit(rest, features, data!);
  const second = await runLocal(`${PAPER_SEEDS_PRESET} (stage 2: clamps on each seed's heads)`, rest, { ...flags, resume: true });
  const both: SweepOutcome = { results: [...first.results, ...second.results], interrupted: second.interrupted };
  process.stdout.write(`${PAPER_SEEDS_PRESET}: ${mains.length + rest.length} runs over seeds ${PAPER_SEEDS.join(', ')} in ${formatDuration((Date.now() - t0) / 1000)} of wall time\n`);
  finish(both, PAPER_SEEDS_PRESET, flags);
}
