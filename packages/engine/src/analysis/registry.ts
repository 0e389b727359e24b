/**
 * The analysis registry (spec 5): every analysis `opto analyze --what <name>` runs, with what it reads,
 * what it costs and what it stores in `<run>/analysis/<name>.json` (`StoredAnalysis`, store.ts). The
 * CLI's command, its help, the report's cached results and the dashboard's stored analyses (its run
 * page's list and the wiring view) all go through this list.
 */
import { taskData, taskKind, type TaskKind } from '../data/tasks/index.js';
import { isEmptySpec, type InterventionSpecInput } from '../interventions/spec.js';
import { ablationVsStrength, additivityPanels, redundancy } from './ablation.js';
import { inductionStrengthCurve, layerToOutputCurve, progressCurve, type AnalysisRun } from './progress.js';
import { compositionScores, wiringMatrices } from './wiring.js';
import type { LiveClamp } from './live.js';
import { inductionScorer, repeatHeadScorer } from './induction.js';
import { checkHeadLayers, type HeadLayers } from './heads.js';
import * as summaries from './summaries.js';

export interface AnalysisContext {
  /** Checkpoints of the curve analyses (evenly spaced, `--checkpoints`). */
  curve: number[];
  /** The clamp spec of a clamp-progress analysis. */
  spec?: InterventionSpecInput;
  /**
   * Which model a single-checkpoint path-ablation analysis (wiring) is of: 'run' (default) with the run's own
   * clamp spec, the model it trained; 'none' the checkpoint unclamped (live.ts's `LiveClamp`).
   */
  clamp?: LiveClamp;
  /**
   * The previous-token layer and the later induction layer that `strength` and `wiring` compare (`--layers
   * l:l'`); absent: the first and the last layer, the paper's.
   */
  layers?: HeadLayers;
  log: (msg: string) => void;
}

export interface AnalysisDef {
  /** Spec section and figure. */
  section: string;
  description: string;
  /** What it reads: one checkpoint (the last, or `--checkpoint`) or a curve over checkpoints; `spec` if it needs a clamp spec. */
  inputs: 'checkpoint' | 'curve' | 'curve + spec';
  /** Rough cost in dense-set forwards (the dense set is 4000 sequences by default). */
  cost: string;
  /** The `result` field of the stored JSON. */
  stores: string;
  /**
   * The tasks (config.task.kind) it is defined on; absent: every task (the dense-set analyses run on the
   * task's own dense set and positions, denseSet.ts).
   */
  tasks?: readonly TaskKind[];
  run(a: AnalysisRun, ctx: AnalysisContext): unknown;
  /** The terminal summary of a result (summaries.ts). */
  summarize(result: unknown): string;
}

/** The run's own eval sets, drawn again from its config (same eval seed, same sets as in training). */
const runEvalSets = (a: AnalysisRun) => taskData(a.config.task, a.task, a.features, a.config.seeds.eval, a.config.schedule.evalSize).evalSets;

/** `measure` at every checkpoint of the curve, each loaded into the evaluator's parameters in turn. */
function overCheckpoints<T>(a: AnalysisRun, c: AnalysisContext, measure: () => T): ({ seqs: number } & T)[] {
  return c.curve.map((seqs) => {
    a.ev.loadTensors(a.load(seqs), a.run.checkpointFile(seqs));
    return { seqs, ...measure() };
  });
}

export const ANALYSES = {
  strength: {
    section: '5.1, Fig. 3b',
    description: 'induction strength of every last-layer head over training',
    inputs: 'curve',
    cost: '1 forward per checkpoint',
    stores: '[{ seqs, strength[h], prevToken[h], prevTokenAtLabels[h] }]',
    run: (a, c) => inductionStrengthCurve(a.ev, a.load, c.curve, {}, c.layers),
    summarize: summaries.summarizeStrength,
  },
  ablation: {
    section: '5.2, Fig. 4a',
    description: 'accuracy with each head ablated alone, and with only it active, against its strength',
    inputs: 'checkpoint',
    cost: '2·H + 1 forwards',
    stores: '{ full, strength[h], ablateOne[h], onlyOne[h] } (loss and acc each)',
    run: (a) => ablationVsStrength(a.ev),
    summarize: summaries.summarizeAblation,
  },
  redundancy: {
    section: '5.3, Tables 2-3',
    description: "which heads alone fix the reference head's mistakes, computed and with a perfected match",
    inputs: 'checkpoint',
    cost: '2·(H + 1) forwards',
    stores: '{ computed, perfectMatch } redundancy tables',
    run: (a) => ({ computed: redundancy(a.ev), perfectMatch: redundancy(a.ev, { perfectMatch: true }) }),
    summarize: summaries.summarizeRedundancy,
  },
  additivity: {
    section: '5.4, Fig. 4c',
    description: 'loss as heads are added in order of strength, from the strongest and without it',
    inputs: 'checkpoint',
    cost: '2·H forwards',
    stores: '{ fromStrongest, withoutStrongest } curves',
    run: (a) => additivityPanels(a.ev),
    summarize: summaries.summarizeAdditivity,
  },
  wiring: {
    section: '5.5, Fig. 5a',
    description: 'layer-1 → layer-2 wiring matrices (path ablations) and weight-based composition scores',
    inputs: 'checkpoint',
    cost: 'H² path-ablated forwards',
    stores: "{ matrices, composition, clamp, spec } (clamp 'run': with the run's clamp spec; 'none': unclamped)",
    run(a, c) {
      const clamp = c.clamp ?? 'run';
      const spec = clamp === 'run' ? a.clamp : a.ev.parse({});
      const layers = c.layers ? { from: c.layers.prevToken, to: c.layers.induction } : {};
      return { matrices: wiringMatrices(a.ev, { log: c.log, base: spec, ...layers }), composition: compositionScores(a.ev.params, layers), clamp, spec, ...(c.layers && { layers: c.layers }) };
    },
    summarize: summaries.summarizeWiring,
  },
  'layer-output': {
    section: '5.6, Fig. 7',
    description: "layer-to-output loss curves: without layer 1's direct path and without layer 2",
    inputs: 'curve',
    cost: '2 forwards per checkpoint',
    stores: '[{ seqs, noL1Direct, noL2, … }]',
    run: (a, c) => layerToOutputCurve(a.ev, a.load, c.curve, a.run.readMetrics()),
    summarize: summaries.summarizeLayerOutput,
  },
  progress: {
    section: '5.7, Fig. 5c',
    description: 'clamp progress: the loss of the run under a clamp spec at each checkpoint',
    inputs: 'curve + spec',
    cost: '1 clamped forward per checkpoint',
    stores: '[{ seqs, loss, acc, strength[h], … }]',
    run(a, c) {
      if (!c.spec) throw new Error('--what progress needs a spec: --clamp spec.json or a clamp flag such as --match 1:3');
      return progressCurve(a.ev, a.load, c.curve, { clamped: c.spec }, { log: c.log });
    },
    summarize: summaries.summarizeProgress,
  },
  'induction-score': {
    section: 'issue 23, Olsson et al. 2022',
    description: 'induction score over training: loss on repeat_shuffled minus loss on repeat (repeated-token runs)',
    inputs: 'curve',
    tasks: ['repeatTokens'],
    cost: '2 eval-set forwards per checkpoint',
    stores: '[{ seqs, repeat, shuffled, score }]',
    run(a, c) {
      const score = inductionScorer(a.ev.params, runEvalSets(a));
      return overCheckpoints(a, c, score);
    },
    summarize: summaries.summarizeInductionScore,
  },
  'prefix-matching': {
    section: 'issue 23, Olsson et al. 2022',
    description: 'prefix-matching and previous-token scores of every head of every layer over training (repeated-token runs)',
    inputs: 'curve',
    tasks: ['repeatTokens'],
    cost: '1 all-position forward of the repeat set per checkpoint',
    stores: '[{ seqs, prefixMatching[l][h], prevToken[l][h] }]',
    run(a, c) {
      const set = runEvalSets(a).find((s) => s.name === 'repeat')!;
      return overCheckpoints(a, c, repeatHeadScorer(a.ev.params, set));
    },
    summarize: summaries.summarizePrefixMatching,
  },
} satisfies Record<string, AnalysisDef>;

export type AnalysisName = keyof typeof ANALYSES;
export const ANALYSIS_NAMES = Object.keys(ANALYSES) as AnalysisName[];

/** The command that computes and stores analysis `name` for the run in `runDir` (hints where it is missing). */
export function analysisCommand(runDir: string, name: AnalysisName, clamp: LiveClamp = 'run'): string {
  return `opto analyze ${runDir} --what ${name}${clamp === 'none' ? ' --run-clamp none' : ''}`;
}

/**
 * Where analysis `name` of `a` is stored under `clamp`: a clamped run's unclamped wiring is kept beside the
 * clamped one (`wiring-unclamped`); an unclamped run has one model, so one file.
 */
export function storedAnalysisName(name: string, a: Pick<AnalysisRun, 'clamp'>, clamp: LiveClamp = 'run', layers?: HeadLayers): string {
  const base = name === 'wiring' && clamp === 'none' && !isEmptySpec(a.clamp) ? WIRING_UNCLAMPED : name;
  // Other layers than the paper's are stored beside its result, never over it (strength-L2-L3.json).
  return layers && LAYERED.has(name) ? `${base}-L${layers.prevToken + 1}-L${layers.induction + 1}` : base;
}

/** The analyses that take `--layers`. */
export const LAYERED: ReadonlySet<string> = new Set(['strength', 'wiring']);

/** The stored name of a clamped run's wiring computed unclamped (`opto analyze --what wiring --run-clamp none`). */
export const WIRING_UNCLAMPED = 'wiring-unclamped';

/** Run analysis `name` (throws one line for an unknown name). */
export function runAnalysis(name: string, a: AnalysisRun, ctx: AnalysisContext): unknown {
  const def = (ANALYSES as Record<string, AnalysisDef>)[name];
  if (!def) throw new Error(`unknown analysis '${name}'; available: ${ANALYSIS_NAMES.join(', ')}`);
  if (ctx.clamp !== undefined && name !== 'wiring') throw new Error(`--run-clamp applies to --what wiring only (got --what ${name})`);
  if (ctx.layers !== undefined && !LAYERED.has(name)) throw new Error(`--layers applies to --what ${[...LAYERED].join(' and ')} only (got --what ${name})`);
  if (ctx.layers) checkHeadLayers(ctx.layers, a.ev.params.config.nLayers, '--layers');
  const kind = taskKind(a.config.task);
  if (def.tasks && !def.tasks.includes(kind))
    throw new Error(`analysis '${name}' is defined on task.kind ${def.tasks.map((t) => `'${t}'`).join(', ')}; ${a.run.dir} trains task.kind '${kind}'${a.config.task.shots ? ` with ${a.config.task.shots} shots` : ''}`);
  return def.run(a, ctx);
}

/** The terminal summary of a result of `name`. */
export function summarizeAnalysis(name: string, result: unknown): string {
  const def = (ANALYSES as Record<string, AnalysisDef>)[name];
  return def ? def.summarize(result) : JSON.stringify(result).slice(0, 2000);
}
