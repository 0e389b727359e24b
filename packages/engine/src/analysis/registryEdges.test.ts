/**
 * The analysis registry (registry.ts) on two tiny trained runs (a clamped few-shot run, a repeated-token
 * run), fast: every analysis's `run` gives what the function its docstring names gives when called here
 * directly on the same checkpoints (the wiring's model choice and layers, the curve's checkpoints, the run's
 * own eval sets), each refusal word for word, and the stored names and commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskData } from '../data/tasks/index.js';
import { parseInterventionSpec } from '../interventions/spec.js';
import { DEFAULT_MODEL } from '../params.js';
import { additivityPanels, ablationVsStrength, redundancy } from './ablation.js';
import { inductionScorer, repeatHeadScorer } from './induction.js';
import { inductionStrengthCurve, layerToOutputCurve, openAnalysisRun, progressCurve, type AnalysisRun } from './progress.js';
import { ANALYSIS_NAMES, analysisCommand, LAYERED, runAnalysis, storedAnalysisName, summarizeAnalysis, WIRING_UNCLAMPED } from './registry.js';
import { tinyRun } from './testing/tinyRun.js';
import { compositionScores, wiringMatrices } from './wiring.js';

const CLAMP = { prevToken: { heads: ['0:0'], strength: 1 } };
let tmp = '';
let fewShot = '';
let repeat = '';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-registry-edges-'));
  fewShot = await tinyRun(path.join(tmp, 'fs'), { interventions: CLAMP }, 3);
  repeat = await tinyRun(path.join(tmp, 'rep'), { task: { classSplit: [6, 2, 4], exemplarSplit: [1, 1, 0], numLabels: 8, labelPairSplit: [5, 1, 0], kind: 'repeatTokens', repeat: { prefixLength: 4, repeatLength: 1 } } });
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const open = (dir: string) => openAnalysisRun(dir, { size: 40 });
const ctx = (a: AnalysisRun, o: object = {}) => ({ curve: a.checkpoints, log: () => {}, ...o });
const last = (a: AnalysisRun) => a.ev.loadTensors(a.load(a.checkpoints.at(-1)!), 'last');

describe('runAnalysis refuses', () => {
  it('an unknown name, options of other analyses, bad layers, another task', async () => {
    const a = await open(fewShot);
    expect(() => runAnalysis('nope', a, ctx(a))).toThrow(`unknown analysis 'nope'; available: ${ANALYSIS_NAMES.join(', ')}`);
    expect(ANALYSIS_NAMES).toEqual(['strength', 'ablation', 'redundancy', 'additivity', 'wiring', 'layer-output', 'progress', 'induction-score', 'prefix-matching']);
    expect(() => runAnalysis('strength', a, ctx(a, { clamp: 'none' }))).toThrow('--run-clamp applies to --what wiring only (got --what strength)');
    expect(() => runAnalysis('ablation', a, ctx(a, { layers: { prevToken: 0, induction: 1 } }))).toThrow('--layers applies to --what strength and wiring only (got --what ablation)');
    expect(() => runAnalysis('strength', a, ctx(a, { layers: { prevToken: 2, induction: 1 } }))).toThrow(/^--layers/);
    expect(() => runAnalysis('induction-score', a, ctx(a))).toThrow(`analysis 'induction-score' is defined on task.kind 'repeatTokens'; ${a.run.dir} trains task.kind 'fewShot'`);
    const k3 = { ...a, config: { ...a.config, task: { ...a.config.task, shots: 3 } } };
    expect(() => runAnalysis('prefix-matching', k3, ctx(a))).toThrow(`analysis 'prefix-matching' is defined on task.kind 'repeatTokens'; ${a.run.dir} trains task.kind 'fewShot' with 3 shots`);
    expect(() => runAnalysis('progress', a, ctx(a))).toThrow('--what progress needs a spec: --clamp spec.json or a clamp flag such as --match 1:3');
  });
});

describe('each analysis is the function it names', () => {
  it('strength, with and without layers; layer-output; progress', async () => {
    const a = await open(fewShot);
    const b = await open(fewShot);
    expect(runAnalysis('strength', a, ctx(a))).toEqual(inductionStrengthCurve(b.ev, b.load, b.checkpoints, {}));
    const layers = { prevToken: 1, induction: 2 };
    const layered = runAnalysis('strength', a, ctx(a, { layers }));
    expect(layered).toEqual(inductionStrengthCurve(b.ev, b.load, b.checkpoints, {}, layers));
    expect(layered).not.toEqual(inductionStrengthCurve(b.ev, b.load, b.checkpoints, {}));
    expect(runAnalysis('layer-output', a, ctx(a))).toEqual(layerToOutputCurve(b.ev, b.load, b.checkpoints, b.run.readMetrics()));
    const spec = { ablate: ['2:1'] };
    const logs: string[] = [];
    expect(runAnalysis('progress', a, ctx(a, { spec, log: (m: string) => logs.push(m) }))).toEqual(progressCurve(b.ev, b.load, b.checkpoints, { clamped: spec }));
    // a shorter curve is followed
    expect(runAnalysis('strength', a, ctx(a, { curve: [a.checkpoints[0]] }))).toHaveLength(1);
  });

  it('ablation, redundancy, additivity at the loaded checkpoint', async () => {
    const a = await open(fewShot);
    const b = await open(fewShot);
    expect(runAnalysis('ablation', a, ctx(a))).toEqual(ablationVsStrength(b.ev));
    expect(runAnalysis('redundancy', a, ctx(a))).toEqual({ computed: redundancy(b.ev), perfectMatch: redundancy(b.ev, { perfectMatch: true }) });
    expect(runAnalysis('additivity', a, ctx(a))).toEqual(additivityPanels(b.ev));
  });

  it("wiring: the run's clamp by default, none on request, the layers mapped to from and to", async () => {
    const a = await open(fewShot);
    const b = await open(fewShot);
    last(a);
    last(b);
    const run = runAnalysis('wiring', a, ctx(a)) as Record<string, unknown>;
    expect(run).toEqual({ matrices: wiringMatrices(b.ev, { base: b.clamp }), composition: compositionScores(b.ev.params), clamp: 'run', spec: b.clamp });
    const none = runAnalysis('wiring', a, ctx(a, { clamp: 'none' })) as Record<string, unknown>;
    expect(none).toEqual({ matrices: wiringMatrices(b.ev, { base: {} }), composition: compositionScores(b.ev.params), clamp: 'none', spec: b.ev.parse({}) });
    expect(none.matrices).not.toEqual(run.matrices);
    const layers = { prevToken: 1, induction: 2 };
    const lay = runAnalysis('wiring', a, ctx(a, { layers })) as Record<string, unknown>;
    expect(lay).toEqual({ matrices: wiringMatrices(b.ev, { base: b.clamp, from: 1, to: 2 }), composition: compositionScores(b.ev.params, { from: 1, to: 2 }), clamp: 'run', spec: b.clamp, layers });
  });

  it("induction-score and prefix-matching: at every checkpoint of the curve, on the run's own eval sets", async () => {
    const a = await open(repeat);
    const b = await open(repeat);
    const sets = taskData(b.config.task, b.task, b.features, b.config.seeds.eval, b.config.schedule.evalSize).evalSets;
    const score = inductionScorer(b.ev.params, sets);
    const heads = repeatHeadScorer(b.ev.params, sets.find((s) => s.name === 'repeat')!);
    const at = <T>(f: () => T) => b.checkpoints.map((seqs) => (b.ev.loadTensors(b.load(seqs), 'x'), { seqs, ...f() }));
    const wantScore = at(score);
    const wantHeads = at(heads);
    expect(runAnalysis('induction-score', a, ctx(a))).toEqual(wantScore);
    expect(runAnalysis('prefix-matching', a, ctx(a))).toEqual(wantHeads);
    expect(wantScore[0]).not.toEqual(wantScore.at(-1));
  });
});

describe('names, commands and summaries', () => {
  it('analysisCommand and storedAnalysisName', async () => {
    expect(analysisCommand('runs/a', 'wiring')).toBe('opto analyze runs/a --what wiring');
    expect(analysisCommand('runs/a', 'wiring', 'none')).toBe('opto analyze runs/a --what wiring --run-clamp none');
    expect(analysisCommand('runs/a', 'strength', 'run')).toBe('opto analyze runs/a --what strength');
    const clamped = { clamp: parseInterventionSpec({ prevToken: { heads: ['0:0'] } }, DEFAULT_MODEL) };
    const bare = { clamp: parseInterventionSpec({}, DEFAULT_MODEL) };
    expect(WIRING_UNCLAMPED).toBe('wiring-unclamped');
    expect(storedAnalysisName('wiring', clamped, 'none')).toBe('wiring-unclamped');
    expect(storedAnalysisName('wiring', clamped)).toBe('wiring');
    expect(storedAnalysisName('wiring', bare, 'none')).toBe('wiring');
    expect(storedAnalysisName('strength', clamped, 'none')).toBe('strength');
    expect(storedAnalysisName('wiring', clamped, 'none', { prevToken: 1, induction: 2 })).toBe('wiring-unclamped-L2-L3');
    expect(storedAnalysisName('strength', bare, 'run', { prevToken: 0, induction: 2 })).toBe('strength-L1-L3');
    expect(storedAnalysisName('ablation', bare, 'run', { prevToken: 0, induction: 2 })).toBe('ablation');
    expect([...LAYERED]).toEqual(['strength', 'wiring']);
  });

  it('an unknown name is summarized as its JSON, cut at 2000 characters', () => {
    expect(summarizeAnalysis('nope', { a: 1 })).toBe('{"a":1}');
    expect(summarizeAnalysis('nope', 'x'.repeat(3000))).toHaveLength(2000);
  });
});
