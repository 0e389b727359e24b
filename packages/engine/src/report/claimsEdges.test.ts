/**
 * How `judgeClaims` turns evidence into verdicts, on tiny hand-built evidence (a few eval points per run, so
 * each case takes milliseconds): the missing runs and the commands that train them, windows and shorter
 * runs, the data's heads against seed 5's, claims over init seeds 5-7 with their medians, and the words
 * for verdict numbers. Every expected string is written out from the checklist's rules, not read back.
 */
import { describe, expect, it } from 'vitest';
import { CLAIMS, CLAMP_ROLE, evidenceView, judgeClaims, numberName, seedsNeeded, summarize } from './claims.js';
import type { Evidence, RunEvidence } from './evidence.js';
import type { ClaimResult } from './types.js';
import { DEFAULT_PRESET_HEADS } from '../presets.js';
import { passingMain, tinyRun } from './testing.js';

const PAPER_NOTE = "seed 5's heads (the paper's): IH 1:3, PT 0:2, group {0:1, 0:2, 0:5}";
const DATA_HEADS = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
const DATA_NOTE = "this data's heads, from its main run: IH 1:4, PT 0:7, group {0:0, 0:6, 0:7}";

/** Evidence with nothing in it. */
function empty(): Evidence {
  return { runsDir: '/runs', heads: { paper: DEFAULT_PRESET_HEADS }, runs: {}, dataRuns: {}, seeds: [], toy: [] };
}

const tiny = (id: string, curve: [number, number][], extra: Partial<RunEvidence> = {}) => tinyRun(id, curve, {}, extra);

/** Claim 14's "no plateau, < 0.1 within ≈ 5×10⁴" met: below 0.1 from 10k. */
const fastMatch = (id: string, below = 10_000) => tiny(id, [[0, 0.8], [below, 0.05], [100_000, 0.01]]);
/** Never below 0.1: claim 14 fails. */
const slowMatch = (id: string) => tiny(id, [[0, 0.8], [10_000, 0.3], [100_000, 0.2]]);

const byId = (claims: ClaimResult[], id: number) => claims.find((c) => c.id === id)!;

describe('missing evidence', () => {
  it('with nothing there every claim is missing, in checklist order, naming the runs and the sweeps that train them', () => {
    const claims = judgeClaims(empty(), 'R');
    expect(claims.map((c) => c.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    // claim 17 reads only the toy model, which the report always runs
    expect(claims.filter((c) => c.status !== 'missing' || c.runs.length > 0).map((c) => c.id)).toEqual([17]);
    expect(summarize(claims)).toEqual({ pass: 0, fail: 1, missing: 22 });
    expect(byId(claims, 1)).toMatchObject({ title: CLAIMS[0].title, group: CLAIMS[0].group, figures: ['fig3a'], measured: 'no finished run for main', commands: ['opto sweep fig3 --runs R --resume'], numbers: {} });
    // the analyses of the main run need the main run
    expect(byId(claims, 3)).toMatchObject({ measured: 'no finished run for main', commands: ['opto sweep fig3 --runs R --resume'] });
    // fig10 is the unclamped single-head run's analyses: one command for the three Fig. 5b runs
    expect(byId(claims, 18)).toMatchObject({ measured: 'no finished run for fig5b:none, fig5b:pt, fig5b:match', commands: ['opto sweep fig5b --runs R --resume'] });
    expect(byId(claims, 9).measured).toBe(`no finished run for ${[0, 1, 2, 3, 4, 5, 6, 7].map((h) => `only:${h}`).join(', ')}`);
    expect(byId(claims, 9).commands).toEqual(['opto sweep fig4b --runs R --resume']);
  });

  it('the runs directory defaults to the evidence one; a feature file adds its flags to every command', () => {
    const e = empty();
    expect(byId(judgeClaims(e), 1).commands).toEqual(['opto sweep fig3 --runs /runs --resume']);
    e.data = { source: 'feat.npz', datasetPath: 'grp/x', description: 'file' };
    expect(byId(judgeClaims(e, 'R'), 1).commands).toEqual(['opto sweep fig3 --runs R --resume --data feat.npz --dataset-path grp/x']);
    e.data = { source: 'feat.npz', description: 'file' };
    expect(byId(judgeClaims(e, 'R'), 1).commands).toEqual(['opto sweep fig3 --runs R --resume --data feat.npz']);
    e.data = { source: 'synthetic', description: 'built in' };
    expect(byId(judgeClaims(e, 'R'), 1).commands).toEqual(['opto sweep fig3 --runs R --resume']);
  });

  it('absent runs come first, then the unfinished ones with how far they got', () => {
    const e = empty();
    e.runs['only:0'] = tiny('o0', [[0, 1.9], [120_000, 1]], { status: 'running', totalSeqs: 1_000_000 });
    e.runs['only:3'] = tiny('o3', [[0, 1.9], [2_000_000, 0.01]], { status: 'interrupted', seqs: 1_500_000, totalSeqs: 2_000_000 });
    const c = byId(judgeClaims(e, 'R'), 9);
    expect(c.measured).toBe('no finished run for only:1, only:2, only:4, only:5, only:6, only:7; unfinished: only:0 (o0, 120k of 1.00M); unfinished: only:3 (o3, 1.50M of 2.00M)');
    expect(c.commands).toEqual(['opto sweep fig4b --runs R --resume']);
    expect(c.runs).toEqual(['o0', 'o3']);
  });

  it("a finished run shorter than the catalog's is too short unless it reaches the claim's window", () => {
    const e = empty();
    e.runs.main = tiny('m', [[0, 1.9], [200_000, 0.7]], { catalogSeqs: 1_000_000 });
    const c1 = byId(judgeClaims(e, 'R'), 1);
    expect(c1).toMatchObject({ status: 'missing', measured: 'too short: main (m, 200k of the 1.00M sequences claim 1 needs)', commands: ['opto sweep fig3 --runs R --resume'], runs: ['m'] });
    // claim 14 needs 10⁵ of fig5b:match's 6×10⁵
    e.runs['fig5b:match'] = fastMatch('mt', 10_000);
    e.runs['fig5b:match'].seqs = 99_999;
    e.runs['fig5b:match'].catalogSeqs = 600_000;
    expect(byId(judgeClaims(e, 'R'), 14).measured).toBe('too short: fig5b:match (mt, 100k of the 100k sequences claim 14 needs)');
    e.runs['fig5b:match'].seqs = 100_000;
    const c14 = byId(judgeClaims(e, 'R'), 14);
    expect(c14.status).toBe('pass');
    expect(c14.measured).toBe(`plateau 0k; loss < 0.1 from 10k [${PAPER_NOTE}]`);
    // a window longer than the catalog run: the catalog length is enough
    e.runs['fig5b:match'] = fastMatch('mt2');
    e.runs['fig5b:match'].catalogSeqs = 50_000;
    e.runs['fig5b:match'].seqs = 50_000;
    expect(byId(judgeClaims(e, 'R'), 14).status).toBe('pass');
    e.runs['fig5b:match'].seqs = 49_999;
    expect(byId(judgeClaims(e, 'R'), 14).measured).toBe('too short: fig5b:match (mt2, 50k of the 100k sequences claim 14 needs)');
    // without a catalog length, the run's own length is the one
    e.runs['fig5b:match'] = fastMatch('mt3');
    e.runs['fig5b:match'].totalSeqs = 100_001;
    expect(byId(judgeClaims(e, 'R'), 14).status).toBe('pass');
    e.runs['fig5b:match'].seqs = 99_999;
    expect(byId(judgeClaims(e, 'R'), 14).measured).toBe('too short: fig5b:match (mt3, 100k of the 100k sequences claim 14 needs)');
    // a run that is not finished is unfinished, however long
    e.runs['fig5b:match'] = { ...fastMatch('mt4'), status: 'failed' };
    expect(byId(judgeClaims(e, 'R'), 14).measured).toBe('unfinished: fig5b:match (mt4, 100k of 100k)');
  });

  it('a finished main run without analyses: skipped, or not stored yet, with the report command', () => {
    const e = empty();
    e.runs.main = tiny('m', [[0, 1.9], [1_000_000, 0.01]]);
    expect(byId(judgeClaims(e, 'R'), 3)).toMatchObject({ status: 'missing', measured: 'the analyses of m were skipped (--no-analyses)', commands: ['opto report --runs R'] });
    e.analyses = 'stored';
    e.data = { source: 'f.npz', description: '' };
    expect(byId(judgeClaims(e, 'R'), 3)).toMatchObject({ measured: 'the analyses of m are not stored yet (opto report computes and stores them)', commands: ['opto report --runs R --data f.npz'] });
    e.analyses = 'computed';
    expect(byId(judgeClaims(e, 'R'), 3).measured).toBe('the analyses of m were skipped (--no-analyses)');
  });

  it("with the data's heads known, a missing clamp run is asked for with --heads-from the main run; other runs are not", () => {
    const e = empty();
    e.heads.data = DATA_HEADS;
    e.runs.main = tiny('m', [[0, 1.9], [1_000_000, 0.01]]);
    expect(byId(judgeClaims(e, 'R'), 14).commands).toEqual(['opto sweep fig5b --runs R --resume --heads-from R/m']);
    expect(byId(judgeClaims(e, 'R'), 9).commands).toEqual(['opto sweep fig4b --runs R --resume']);
    // without the main run there is nothing to take heads from
    delete e.runs.main;
    expect(byId(judgeClaims(e, 'R'), 14).commands).toEqual(['opto sweep fig5b --runs R --resume']);
    // a too-short clamp run, too
    e.runs.main = tiny('m', [[0, 1.9], [1_000_000, 0.01]]);
    e.dataRuns['fig5b:match'] = { ...fastMatch('dm'), heads: 'data', seqs: 1000, catalogSeqs: 600_000 };
    expect(byId(judgeClaims(e, 'R'), 14)).toMatchObject({ measured: 'too short: fig5b:match (dm, 1k of the 100k sequences claim 14 needs)', commands: ['opto sweep fig5b --runs R --resume --heads-from R/m'] });
    // without the data's heads the paper's view is asked for, without --heads-from
    delete e.heads.data;
    expect(byId(judgeClaims(e, 'R'), 14).commands).toEqual(['opto sweep fig5b --runs R --resume']);
  });
});

describe('judged claims', () => {
  it('pass and fail with the measured words, the runs read and no commands; head-independent claims carry no heads note', () => {
    const e = empty();
    e.runs.main = tiny('m', [[0, 1.8], [1000, 1]]);
    expect(byId(judgeClaims(e), 1)).toEqual({ id: 1, title: CLAIMS[0].title, group: CLAIMS[0].group, figures: ['fig3a'], status: 'pass', measured: 'fsl_train loss at 0 sequences: 1.800', numbers: { untrainedLoss: 1.8 }, runs: ['m'], commands: [] });
    e.runs.main = tiny('m', [[0, 2.5], [1000, 1]]);
    const c = byId(judgeClaims(e), 1);
    expect([c.status, c.measured]).toEqual(['fail', 'fsl_train loss at 0 sequences: 2.500']);
    // claims 1 and 2 read the main run alone (2 fails on two points), 17 the toy model alone
    expect(summarize(judgeClaims(e))).toEqual({ pass: 0, fail: 3, missing: 20 });
    e.runs.main = tiny('m', [[0, 1.8], [1000, 1]]);
    expect(summarize(judgeClaims(e))).toEqual({ pass: 1, fail: 2, missing: 20 });
  });

  it("runs that are not the catalog's exact ones are named: shorter, longer, assigned by --role", () => {
    const e = empty();
    e.runs.main = tiny('m', [[0, 1.8], [2_000_000, 0.01]], { match: 'config', catalogSeqs: 1_000_000 });
    expect(byId(judgeClaims(e), 1).measured).toBe('fsl_train loss at 0 sequences: 1.800 · main: judged on a longer run (2e6 of 1e6 sequences), m');
    e.runs.main = tiny('m', [[0, 1.8], [1_000_000, 0.01]], { match: 'assigned', catalogSeqs: 1_000_000 });
    expect(byId(judgeClaims(e), 1).measured).toBe('fsl_train loss at 0 sequences: 1.800 · main: assigned by --role, m');
    e.runs.main = tiny('m', [[0, 1.8], [1_000_000, 0.01]], { match: 'assigned' });
    expect(byId(judgeClaims(e), 1).measured).toBe('fsl_train loss at 0 sequences: 1.800 · main: assigned by --role, m');
    e.runs.main = tiny('m', [[0, 1.8], [1_000_000, 0.01]], { match: 'config' });
    expect(byId(judgeClaims(e), 1).measured).toBe('fsl_train loss at 0 sequences: 1.800');
    e.runs.main = tiny('m', [[0, 1.8], [1_000_000, 0.01]], { match: 'exact', catalogSeqs: 350_000 });
    expect(byId(judgeClaims(e), 1).measured).toBe('fsl_train loss at 0 sequences: 1.800');
    // a shorter run of fig5b:match reaching claim 14's window, assigned by hand
    e.runs['fig5b:match'] = { ...fastMatch('mt'), match: 'assigned', catalogSeqs: 600_000, seqs: 350_000, totalSeqs: 350_000 };
    expect(byId(judgeClaims(e), 14).measured).toBe(`plateau 0k; loss < 0.1 from 10k [${PAPER_NOTE}] · fig5b:match: assigned by --role, judged on a shorter run (3.5e5 of 6e5 sequences), mt`);
  });

  it("a clamp claim is judged on the data's heads when its runs exist with them, with seed 5's verdict added", () => {
    const e = empty();
    e.heads.data = DATA_HEADS;
    e.runs['fig5b:match'] = fastMatch('paper-match', 20_000);
    e.dataRuns['fig5b:match'] = { ...slowMatch('data-match'), heads: 'data' };
    const c = byId(judgeClaims(e), 14);
    expect(c.status).toBe('fail');
    expect(c.runs).toEqual(['data-match']);
    expect(c.measured).toBe(`plateau 0k; loss < 0.1 from never [${DATA_NOTE}] · with ${PAPER_NOTE}: pass, plateau 0k; loss < 0.1 from 20k`);
    expect(c.numbers).toEqual({ plateau: 0, below01: null });
    // only seed 5's runs: judged there alone
    delete e.dataRuns['fig5b:match'];
    const d = byId(judgeClaims(e), 14);
    expect([d.status, d.measured, d.runs]).toEqual(['pass', `plateau 0k; loss < 0.1 from 20k [${PAPER_NOTE}]`, ['paper-match']]);
    // with both, the other way round
    e.runs['fig5b:match'] = slowMatch('paper-match');
    e.dataRuns['fig5b:match'] = { ...fastMatch('data-match'), heads: 'data' };
    expect(byId(judgeClaims(e), 14).measured).toBe(`plateau 0k; loss < 0.1 from 10k [${DATA_NOTE}] · with ${PAPER_NOTE}: fail, plateau 0k; loss < 0.1 from never`);
  });

  it('evidenceView: the paper view is the evidence; the data view swaps in the data clamp runs and Fig. 10', () => {
    const e = empty();
    e.runs.main = tiny('m', [[0, 1]]);
    e.runs['fig5b:none'] = tiny('none-p', [[0, 1]]);
    e.runs['fig8:all'] = tiny('all-p', [[0, 1]]);
    e.runs['fig7:x'] = tiny('f7', [[0, 1]]);
    e.dataRuns['fig5b:none'] = tiny('none-d', [[0, 1]]);
    e.fig10 = { run: 'p', heads: DEFAULT_PRESET_HEADS, points: [] };
    e.fig10Data = { run: 'd', heads: DATA_HEADS, points: [] };
    expect(evidenceView(e, 'paper')).toBe(e);
    const v = evidenceView(e, 'data');
    expect(Object.fromEntries(Object.entries(v.runs).map(([r, x]) => [r, x.id]))).toEqual({ main: 'm', 'fig7:x': 'f7', 'fig5b:none': 'none-d' });
    expect(v.fig10!.run).toBe('d');
    expect(v.heads).toBe(e.heads);
    expect(e.runs['fig5b:none'].id).toBe('none-p');
    expect(['fig5b:a', 'fig6:b', 'fig8:c', 'fig15:0'].every((r) => CLAMP_ROLE.test(r))).toBe(true);
    expect(['main', 'fig7:a', 'only:1', 'xfig5b:a', 'fig5b', 'seed:6:fig5b:pt'].some((r) => CLAMP_ROLE.test(r))).toBe(false);
  });

  it('a claim its shorter runs cannot decide is missing, with the sweep for the short runs only', () => {
    const e = empty();
    // claim 13 on runs of 2×10⁵ of 6×10⁵, both still on a flat plateau: the order of their drops is open
    const flat = (id: string): RunEvidence => ({
      ...tiny(id, [[0, 1.9], [5000, 1.2], [10_000, 0.8], ...Array.from({ length: 21 }, (_, i) => [20_000 + i * 9000, 0.75] as [number, number])]),
      catalogSeqs: 600_000,
      match: 'config',
    });
    e.runs['fig5b:pt'] = flat('pt');
    e.runs['fig5b:none'] = flat('none');
    e.data = { source: 'f.npz', description: '' };
    const c = byId(judgeClaims(e, 'R'), 13);
    expect(c.status).toBe('missing');
    expect(c.commands).toEqual(['opto sweep fig5b --runs R --resume --data f.npz']);
    expect(c.runs).toEqual(['pt', 'none']);
    expect(c.numbers).toEqual({});
    expect(c.measured.startsWith('undecided on these runs, a longer run decides: PT clamp: plateau ')).toBe(true);
    expect(c.measured.endsWith(`[${PAPER_NOTE}] · fig5b:pt: judged on a shorter run (2e5 of 6e5 sequences), pt; fig5b:none: judged on a shorter run (2e5 of 6e5 sequences), none`)).toBe(true);
    // the same runs at the catalog's length: no command for them
    for (const r of ['fig5b:pt', 'fig5b:none']) e.runs[r].catalogSeqs = e.runs[r].seqs;
    const d = byId(judgeClaims(e, 'R'), 13);
    expect([d.status, d.commands]).toEqual(['missing', []]);
  });
});

describe('claims over init seeds 5, 6 and 7', () => {
  const withSeeds = (five: RunEvidence, six?: RunEvidence, seven?: RunEvidence) => {
    const e = empty();
    e.runs['fig5b:match'] = five;
    if (six) {
      e.runs['seed:6:main'] = tiny('s6m', [[0, 1.9], [1_000_000, 0.01]]);
      e.runs['seed:6:fig5b:match'] = six;
    }
    if (seven) {
      e.runs['seed:7:main'] = tiny('s7m', [[0, 1.9], [1_000_000, 0.01]]);
      e.runs['seed:7:fig5b:match'] = seven;
    }
    return e;
  };

  it('a majority of the seeds judged decides: 2 of 3, 2 of 2; medians over the seeds and each seed on its own heads', () => {
    const e = withSeeds(fastMatch('m5', 10_000), fastMatch('m6', 20_000), slowMatch('m7'));
    e.seedHeads = { 6: { ih: '1:0', pt: '0:3', ptGroup: ['0:3'] } };
    const c = byId(judgeClaims(e), 14);
    expect(c.status).toBe('pass');
    expect(c.measured).toBe(
      '2 of 3 seeds pass (seeds 5 pass, 6 pass, 7 fail; passing needs 2 of 3); medians over the seeds: plateau 0, below 0.1 from 15k' +
        ` · seed 5 (the paper's heads, IH 1:3, PT 0:2): pass, plateau 0k; loss < 0.1 from 10k` +
        ' · seed 6 (its own heads, IH 1:0, PT 0:3): pass, plateau 0k; loss < 0.1 from 20k' +
        ' · seed 7 (its own heads, IH 1:3, PT 0:2): fail, plateau 0k; loss < 0.1 from never',
    );
    expect(c.numbers).toEqual({ 'median:plateau': 0, 'median:below01': 15_000, seedsPass: 2, seedsJudged: 3 });
    expect(c.runs).toEqual(['m5', 'm6', 'm7']);
    // 1 of 2 is not a majority
    const d = byId(judgeClaims(withSeeds(fastMatch('m5'), slowMatch('m6'))), 14);
    expect(d.status).toBe('fail');
    expect(d.measured.startsWith('1 of 2 seeds pass (seeds 5 pass, 6 fail; passing needs 2 of 2); medians over the seeds: plateau 0, below 0.1 from 10k · ')).toBe(true);
    // seed 5 failing, 6 and 7 passing: pass; the median of three is the middle one
    const f = byId(judgeClaims(withSeeds(tiny('m5', [[0, 0.8], [40_000, 0.05], [100_000, 0.01]]), fastMatch('m6', 10_000), fastMatch('m7', 80_000))), 14);
    expect(f.status).toBe('pass');
    expect(f.numbers).toMatchObject({ 'median:below01': 40_000, seedsPass: 2, seedsJudged: 3 });
    expect(f.measured).toMatch(/^2 of 3 seeds pass \(seeds 5 pass, 6 pass, 7 fail; passing needs 2 of 3\); medians over the seeds: plateau 0, below 0.1 from 40k · /);
  });

  it('all seeds failing with no finite number: no medians shown; a seed without its runs is not counted', () => {
    const c = byId(judgeClaims(withSeeds(slowMatch('m5'), slowMatch('m6'))), 14);
    expect(c.status).toBe('fail');
    expect(c.numbers).toEqual({ 'median:plateau': 0, 'median:below01': null, seedsPass: 0, seedsJudged: 2 });
    expect(c.measured.startsWith('0 of 2 seeds pass (seeds 5 fail, 6 fail; passing needs 2 of 2); medians over the seeds: plateau 0 · seed 5 ')).toBe(true);
    // seed 6's main run without its match run: seed 5 alone, as a single verdict
    const e = withSeeds(fastMatch('m5'), fastMatch('m6'));
    delete e.runs['seed:6:fig5b:match'];
    const d = byId(judgeClaims(e), 14);
    expect([d.status, d.measured, d.numbers]).toEqual(['pass', `plateau 0k; loss < 0.1 from 10k [${PAPER_NOTE}]`, { plateau: 0, below01: 10_000 }]);
    // an unfinished seed run is not counted either
    const u = withSeeds(fastMatch('m5'), { ...fastMatch('m6'), status: 'running' });
    expect(byId(judgeClaims(u), 14).measured).toBe(`plateau 0k; loss < 0.1 from 10k [${PAPER_NOTE}]`);
  });

  it('claims that read no clamp run, or runs outside the main set, are never judged over seeds', () => {
    const e = withSeeds(fastMatch('m5'), slowMatch('m6'));
    e.runs.main = tiny('m', [[0, 1.8], [1000, 1]]);
    e.runs['seed:6:main'] = tiny('s6m', [[0, 2.5], [1000, 1]]);
    expect(byId(judgeClaims(e), 1)).toMatchObject({ status: 'pass', measured: 'fsl_train loss at 0 sequences: 1.800', runs: ['m', 's6m'] });
  });

  it('seedsNeeded: a strict majority', () => {
    expect([1, 2, 3, 4, 5].map(seedsNeeded)).toEqual([1, 2, 2, 3, 3]);
  });
});

describe('numberName', () => {
  it('verdict keys in words', () => {
    expect(numberName('learningTime')).toBe('learning time');
    expect(numberName('normal15over5')).toBe('normal 15/5');
    expect(numberName('bMaxOverMin')).toBe('b max/min');
    expect(numberName('below01')).toBe('below 0.1 from');
    expect(numberName('plateau')).toBe('plateau');
    expect(numberName('c200Over50')).toBe('c200/50');
    expect(numberName('x1over2AndY')).toBe('x 1/2 and y');
  });
});

describe('what each verdict read', () => {
  it('the analyses and Fig. 10 count as present when gathered; only what is absent is named', () => {
    const e = empty();
    e.main = passingMain();
    // the analyses come from the finished main run (claim 5 reads its curve too)
    e.runs.main = tiny('m', [[0, 1.9], [1_000_000, 0.01]]);
    const c3 = byId(judgeClaims(e, 'R'), 3);
    expect([c3.status, c3.runs]).toEqual(['pass', ['main-run']]);
    // claim 18 with Fig. 10 and the PT run present, the match run absent
    e.fig10 = { run: 'f10', heads: DEFAULT_PRESET_HEADS, points: [] };
    e.runs['fig5b:pt'] = fastMatch('pt');
    const c18 = byId(judgeClaims(e, 'R'), 18);
    expect([c18.status, c18.measured, c18.runs]).toEqual(['missing', 'no finished run for fig5b:match', ['f10', 'pt']]);
    // claim 13 with one of its two runs
    expect(byId(judgeClaims(e, 'R'), 13).measured).toBe('no finished run for fig5b:none');
  });

  it("a seed whose runs for a claim are incomplete adds none of them; seed 5 on the data's heads is named so", () => {
    const e = empty();
    e.heads.data = DATA_HEADS;
    e.dataRuns['fig5b:match'] = { ...fastMatch('d5'), heads: 'data' };
    e.runs['seed:6:main'] = tiny('s6m', [[0, 1.9], [1_000_000, 0.01]]);
    e.runs['seed:6:fig5b:match'] = fastMatch('m6', 20_000);
    const c = byId(judgeClaims(e), 14);
    expect(c.measured).toContain(" · seed 5 (this data's heads, IH 1:4, PT 0:7): pass, plateau 0k; loss < 0.1 from 10k");
    expect(c.runs).toEqual(['d5', 'm6']);
    // claim 13 needs two runs; seed 6 has only one of them
    e.runs['fig5b:pt'] = fastMatch('pt5');
    e.runs['fig5b:none'] = fastMatch('none5');
    e.runs['seed:6:fig5b:pt'] = fastMatch('pt6');
    const c13 = byId(judgeClaims(e), 13);
    expect(c13.runs).toEqual(['pt5', 'none5']);
    expect(c13.measured).not.toMatch(/seeds pass/);
  });

  it('medians of 1000 and more in thousands', () => {
    const e = empty();
    e.runs['fig5b:match'] = fastMatch('m5', 1000);
    e.runs['seed:6:main'] = tiny('s6m', [[0, 1.9], [1_000_000, 0.01]]);
    e.runs['seed:6:fig5b:match'] = fastMatch('m6', 1000);
    expect(byId(judgeClaims(e), 14).measured).toMatch(/; medians over the seeds: plateau 0, below 0\.1 from 1k · /);
    e.runs['seed:6:fig5b:match'] = fastMatch('m6', 998);
    expect(byId(judgeClaims(e), 14).measured).toMatch(/; medians over the seeds: plateau 0, below 0\.1 from 999 · /);
  });

  it('number words at the edges of a key', () => {
    expect(numberName('15over5')).toBe('15/5');
    expect(numberName('Over5')).toBe('/5');
  });
});
