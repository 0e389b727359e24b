/**
 * `opto analyze <run> --what …`: the analyses of spec 5 on a run's checkpoints, evaluated on the dense
 * training set (a seeded stratified subsample of the 78,400 sequences by default; `--size all` for every
 * one; on the other tasks a seeded draw of their training distribution, analysis/denseSet.ts). Each result is stored atomically as `<run>/analysis/<what>.json` and summarised on stdout.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ANALYSES, ANALYSIS_NAMES, LIVE_CLAMPS, openAnalysisRun, pickCheckpoints, runAnalysis, storeAnalysis, storedAnalysisName, summarizeAnalysis, type AnalysisName, type HeadLayers, type LiveClamp } from '@optoscope/engine';
import { nonNegativeInt, oneOf, positiveInt, sizeOrAll } from '../args.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';

interface AnalyzeFlags extends ClampFlags {
  what: AnalysisName;
  size?: number | 'all';
  checkpoint?: number;
  checkpoints: number;
  json?: boolean;
  runClamp?: LiveClamp;
  layers?: HeadLayers;
}

/** `--layers l:l'`: the previous-token layer and the later induction layer (0-indexed, as heads are). */
function layerPair(v: string): HeadLayers {
  const m = /^(0|[1-9]\d*):(0|[1-9]\d*)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`'${v}' is not a layer pair; write prevTokenLayer:inductionLayer, e.g. 0:2`);
  return { prevToken: Number(m[1]), induction: Number(m[2]) };
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('spec 5 analyses of a run (stored in <run>/analysis/<what>.json)')
    .argument('<run>', 'run directory')
    .requiredOption('--what <analysis>', ANALYSIS_NAMES.map((n) => `${n} (${ANALYSES[n].section}: ${ANALYSES[n].description})`).join('; '), oneOf(...ANALYSIS_NAMES))
    .option('--size <n|all>', "dense-set size (default 4000): the paper's task subsamples its 78,400-sequence finite set (all = every one); other tasks draw this many sequences of their training distribution", sizeOrAll)
    .option('--checkpoint <seqs>', 'checkpoint for single-checkpoint analyses (default the last)', nonNegativeInt)
    .option('--checkpoints <n>', 'checkpoints for curves (strength, layer-output, progress), evenly spaced', positiveInt, 100)
    .option('--json', 'print the stored result as one JSON line')
    .option(
      '--run-clamp <run|none>',
      "which model a clamped run's wiring is of: run = with the run's own clamp spec, the model it trained (default; stored as wiring.json), none = the checkpoint unclamped (stored as wiring-unclamped.json)",
      oneOf(...LIVE_CLAMPS),
    )
    .option('--layers <l:l2>', "strength and wiring between layer l (previous-token heads) and a later layer l2 (induction heads), 0-indexed; default the first and the last (stored as <what>-L<l+1>-L<l2+1>.json)", layerPair);
  addClampOptions(cmd).action(async (dir: string, f: AnalyzeFlags) => {
    const log = (s: string) => process.stderr.write(s + '\n');
    const a = await openAnalysisRun(dir, { size: f.size });
    if (!a.checkpoints.length) throw new Error(`${dir}: no checkpoints saved yet`);
    if (f.checkpoint !== undefined) {
      if (!a.checkpoints.includes(f.checkpoint)) throw new Error(`${dir}: no checkpoint at ${f.checkpoint} sequences`);
      a.ev.loadTensors(a.load(f.checkpoint), a.run.checkpointFile(f.checkpoint));
    }
    const at = f.checkpoint ?? a.checkpoints[a.checkpoints.length - 1];
    const curve = pickCheckpoints(a.checkpoints, f.checkpoints);
    const result = runAnalysis(f.what, a, { curve, spec: clampSpec(f), clamp: f.runClamp, layers: f.layers, log });
    const { file, stored } = storeAnalysis(a, storedAnalysisName(f.what, a, f.runClamp, f.layers), at, result);
    log(`stored ${file}`);
    process.stdout.write(f.json ? JSON.stringify(stored) + '\n' : summarizeAnalysis(f.what, result) + '\n');
  });
}
