import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { loadSweepSpec } from '../sweep/load.js';
import { expandSweep } from '../sweep/spec.js';
import { SWEEP_PRESETS, paperSweep } from '../sweep/presets.js';
import { PAPER_SWEEPS } from '../sweep/paperRuns.js';
import { CLAIMS, judgeClaims } from './claims.js';
import type { Evidence } from './evidence.js';
import { findPaperRuns, presetForRole, runFingerprint } from './find.js';
import { readReport } from './read.js';
import { fakeRun, lossAt, passingEvidence, syntheticRun } from './testing.js';
import { writeReportFrom } from './write.js';

const failing = (e: Evidence) =>
  judgeClaims(e)
    .filter((c) => c.status !== 'pass')
    .map((c) => c.id);

describe('the checklist on synthetic evidence', () => {
  it('passes every claim on evidence shaped like the paper (spec 8)', () => {
    const claims = judgeClaims(passingEvidence());
    expect(claims.map((c) => c.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(claims.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.measured}`)).toEqual([]);
  });

  // Each case breaks one property; exactly the claims that read it must fail.
  const cases: [string, (e: Evidence) => void, number[]][] = [
    ['untrained loss 3.0', (e) => (e.runs.main.rows.find((r) => r.seqs === 0 && r.set === 'fsl_train')!.loss = 3.0), [1]],
    ['main run with no plateau', (e) => (e.runs.main = syntheticRun('m', 1e6, 5000, { start: 1.9, drop: null, tau: 40_000 })), [2, 5, 22]],
    ['held-out pairs stay at ln 2', (e) => e.runs.main.rows.filter((r) => r.set === 'fsl_val_rl').forEach((r) => (r.loss = 0.69)), [2]],
    ['final accuracy 0.95', (e) => ((e.main!.fullSet.full.acc = 0.95), (e.main!.fullSet.noL1Direct.acc = 0.95)), [3]],
    ['the direct path matters (Δacc −0.02)', (e) => (e.main!.fullSet.noL1Direct.acc = 0.98), [4]],
    ['only two heads above 0.5', (e) => (e.main!.ablation.strength = [0.1, 0.6, 0.2, 0.8, 0.1, 0.2, 0.1, 0.3]), [5]],
    ['strengths rise long after the loss drop', (e) => e.main!.strengthCurve.forEach((p) => p.seqs < 500_000 && (p.strength = p.strength.map(() => 0))), [5]],
    ['ablating L2H3 costs 10 points', (e) => (e.main!.fullSet.ablateOne[3].acc = 0.9), [6]],
    ['only-head accuracy unrelated to strength', (e) => (e.main!.ablation.onlyOne = [0.98, 0.3, 0.4, 0.5, 0.9, 0.2, 0.95, 0.3].map((acc) => ({ acc, loss: 1 }))), [7]],
    ['adding a head raises the loss', (e) => (e.main!.additivity.fromStrongest.steps[3].loss = 0.05), [8]],
    ['one single-head run never learns', (e) => (e.runs['only:6'] = syntheticRun('o6', 1e6, 5000, { start: 1.9, drop: 2e6 })), [9]],
    ['perfected-match heads all equal', (e) => e.main!.redundancyPerfect.rows.forEach((r) => ((r.acc = 0.9), (r.mistakesByTarget = [100, 1, 1, 1, 1]))), [10]],
    ['value-preserving ablation of the PT heads harmless', (e) => (e.main!.table1[0].valuePreserving = 0.99), [11]],
    ['one-to-one wiring', (e) => {
      const w = e.main!.wiring;
      w.Mpv = w.Mpv.map((row, i) => row.map((_, j) => (i === j ? -0.2 : 0)));
      w.Mpp = w.Mpp.map((row) => row.map(() => 0));
    }, [12]],
    ['PT clamp learns later than no clamp', (e) => (e.runs['fig5b:pt'] = syntheticRun('pt', 6e5, 1000, { start: 1.9, drop: 400_000 })), [13, 18]],
    ['match clamp with a plateau', (e) => (e.runs['fig5b:match'] = syntheticRun('m', 6e5, 1000, { start: 1.9, drop: 150_000 })), [14, 18, 19, 20]],
    ['Layer 1 + copy starts at 1.6', (e) => (e.runs['fig5b:layer1-copy'] = syntheticRun('b', 6e5, 1000, { start: 1.6, drop: null, tau: 5_000 })), [15]],
    ['copy clamp keeps a long shoulder', (e) => (e.runs['fig5b:copy'] = syntheticRun('c', 6e5, 1000, { start: 1.9, drop: 250_000 })), [16]],
    ['toy: clamping b, c does not remove the plateau', (e) => e.toy.filter((t) => t.condition === 'bc').forEach((t) => (t.loss = e.toy.find((x) => x.seed === t.seed && x.condition === 'none')!.loss)), [17]],
    ['eval-time match clamp learned as early as the clamped training', (e) => e.fig10!.points.forEach((p) => (p.copy = lossAt(p.seqs, { start: 0.6, drop: null, tau: 5000 }))), [18]],
    ['15 labels learn as fast as 5', (e) => (e.runs['fig6:normal:50:15'] = syntheticRun('n', 2e6, 5000, { start: 1.9, drop: 250_000 })), [19]],
    ['B-only slows down with labels', (e) => (e.runs['fig6:layer1-copy:50:15'] = syntheticRun('b', 3e5, 1000, { start: 0.78, drop: null, tau: 40_000 })), [19]],
    ['C-only slows down with classes', (e) => (e.runs['fig6:match:200:5'] = syntheticRun('c', 3e5, 1000, { start: 0.8, drop: null, tau: 30_000 })), [20]],
    ['all eight PT clamps speed learning up', (e) => (e.runs['fig8:all'] = syntheticRun('a', 8e5, 5000, { start: 1.9, drop: 100_000 })), [21]],
    ['the same-seed graft has a plateau', (e) => (e.runs['graft:5'] = syntheticRun('g', 8e5, 1000, { start: 1.9, drop: 200_000 })), [22]],
    ['a negative clamp strength generalises', (e) => (e.runs['fig15:15'] = syntheticRun('s', 6e5, 5000, { start: 1.2, drop: 50_000 })), [23]],
  ];
  for (const [name, breakIt, expected] of cases)
    it(`fails ${expected.join(', ')} when: ${name}`, () => {
      const e = passingEvidence();
      breakIt(e);
      expect(failing(e)).toEqual(expected);
    });

  it('every claim has a case above that makes it fail', () => {
    const covered = new Set(cases.flatMap(([, , ids]) => ids));
    expect(CLAIMS.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe('missing evidence', () => {
  it('names the absent and unfinished runs and the sweep that trains them', () => {
    const e = passingEvidence();
    delete e.runs['fig5b:match'];
    e.runs['fig5b:copy'].status = 'interrupted';
    e.runs['fig5b:copy'].seqs = 120_000;
    const byId = new Map(judgeClaims(e, 'my-runs').map((c) => [c.id, c]));
    expect(byId.get(14)).toMatchObject({ status: 'missing', commands: ['opto sweep fig5b --runs my-runs --resume'] });
    expect(byId.get(14)!.measured).toMatch(/no finished run for fig5b:match/);
    expect(byId.get(16)!.measured).toMatch(/unfinished: fig5b:copy \(run-fig5b-copy, 120k of 600k\)/);
    // Claim 19 reads fig5b:match as Fig. 6's 50-class curve.
    expect(byId.get(19)!.status).toBe('missing');
    expect(byId.get(13)!.status).toBe('pass');
  });

  it("judges a clamp claim on the data's own heads when all its runs exist with them, never mixing the two choices", () => {
    const e = passingEvidence();
    e.heads.data = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    // Fig. 5b's None and PT runs on the data's heads: the PT clamp now learns later than no clamp.
    e.dataRuns['fig5b:none'] = { ...syntheticRun('none-d', 6e5, 1000, { start: 1.9, drop: 200_000 }), heads: 'data' };
    e.dataRuns['fig5b:pt'] = { ...syntheticRun('pt-d', 6e5, 1000, { start: 1.9, drop: 260_000 }), heads: 'data' };
    const byId = new Map(judgeClaims(e, 'r').map((c) => [c.id, c]));
    const c13 = byId.get(13)!;
    expect(c13.status).toBe('fail');
    expect(c13.runs).toEqual(['pt-d', 'none-d']);
    expect(c13.measured).toMatch(/\[this data's heads, from its main run: IH 1:4, PT 0:7, group \{0:0, 0:6, 0:7\}\] · with seed 5's heads \(the paper's\): IH 1:3, PT 0:2, group \{0:1, 0:2, 0:5\}: pass, /);
    // Claim 16 needs fig5b:layer1 and fig5b:copy too, which exist only on seed 5's heads: judged there alone.
    expect(byId.get(16)!.status).toBe('pass');
    expect(byId.get(16)!.runs).toContain('run-fig5b-none');
    expect(byId.get(16)!.measured).toMatch(/\[seed 5's heads \(the paper's\)/);
    expect(byId.get(2)!.measured).not.toMatch(/heads/);
  });

  it("with the data's heads known and a clamp run absent on both, asks for it with --heads-from the main run", () => {
    const e = passingEvidence();
    e.heads.data = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    delete e.runs['fig5b:match'];
    const c14 = judgeClaims(e, 'r').find((c) => c.id === 14)!;
    expect(c14.status).toBe('missing');
    expect(c14.commands).toEqual([`opto sweep fig5b --runs r --resume --heads-from ${path.join('r', 'run-main')}`]);
  });

  it('a finished main run without analyses asks for the report to be rerun with them', () => {
    const e = passingEvidence();
    delete e.main;
    const c = judgeClaims(e, 'r').find((x) => x.id === 3)!;
    expect(c).toMatchObject({ status: 'missing', commands: ['opto report --runs r'] });
  });

  it('an empty runs directory: every claim but the toy model is missing, with the preset that trains it', () => {
    const claims = judgeClaims({ runsDir: 'r', heads: passingEvidence().heads, runs: {}, dataRuns: {}, seeds: [], toy: passingEvidence().toy });
    expect(claims.filter((c) => c.status !== 'missing').map((c) => c.id)).toEqual([17]);
    const cmds = new Set(claims.flatMap((c) => c.commands));
    for (const p of ['fig3', 'fig4b', 'fig5b', 'fig6-labels', 'fig7-graft', 'fig8', 'fig15']) expect([...cmds].some((c) => c.startsWith(`opto sweep ${p} `)), p).toBe(true);
  });

  it('presetForRole picks the smallest sweep preset that trains the role', () => {
    expect(presetForRole('main')).toBe('fig3');
    expect(presetForRole('only:5')).toBe('fig4b');
    expect(presetForRole('fig6:match:200:5')).toBe('fig6-classes');
    expect(presetForRole('graft:6')).toBe('fig7-graft');
    expect(presetForRole('seed:8:only:2')).toBe('fig18-seeds');
  });
});

describe('finding the catalog runs in a runs directory', () => {
  it('matches by what a run computes, not by its name, preset label, backend or checkpoint cadence', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-find-'));
    const main = expandSweep(SWEEP_PRESETS.fig3.spec).members[0].config;
    // `opto train --preset main --out runs/mine`: another name, a checkpoint cadence of its own.
    fakeRun(path.join(dir, 'mine'), { ...main, name: 'mine', backend: 'wasm', schedule: { ...main.schedule, ckptEvery: 50_000 } }, 'finished', 1e6);
    // A different learning rate is a different run.
    fakeRun(path.join(dir, 'other-lr'), { ...main, optim: { ...main.optim, lr: 2e-5 } }, 'finished', 1e6);
    // Two fig5b:match candidates: the one that got further wins.
    const match = expandSweep(SWEEP_PRESETS.fig5b.spec).members.find((m) => m.config.preset === 'fig5b-match')!.config;
    fakeRun(path.join(dir, 'a-short'), match, 'interrupted', 10_000);
    fakeRun(path.join(dir, 'b-long'), match, 'running', 300_000);
    fs.mkdirSync(path.join(dir, 'not-a-run'));
    // The same clamp on this data's own heads (pitfall 10) is found separately from seed 5's.
    const dataHeads = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    const copyPaper = expandSweep(SWEEP_PRESETS.fig5b.spec).members.find((m) => m.config.preset === 'fig5b-copy')!.config;
    const copyData = expandSweep(paperSweep('fig5b', PAPER_SWEEPS.fig5b.select, dataHeads)).members.find((m) => m.config.preset === 'fig5b-copy')!.config;
    expect(copyData.interventions?.perfectCopy?.head).toBe('1:4');
    fakeRun(path.join(dir, 'copy-paper'), copyPaper, 'finished', 600_000);
    fakeRun(path.join(dir, 'copy-data'), copyData, 'running', 50_000);
    expect(findPaperRuns(dir).paper.get('fig5b:copy')!.id).toBe('copy-paper');
    expect(findPaperRuns(dir).data.size).toBe(0);
    const withData = findPaperRuns(dir, dataHeads);
    expect([withData.data.get('fig5b:copy')!.id, withData.data.get('fig5b:copy')!.heads]).toEqual(['copy-data', 'data']);
    expect(withData.paper.get('fig5b:copy')!.id).toBe('copy-paper');
    // Head-independent runs are found once, under seed 5's choice.
    expect(withData.paper.get('main')!.id).toBe('mine');
    expect(withData.data.has('main')).toBe(false);
    fs.rmSync(path.join(dir, 'copy-paper'), { recursive: true });
    fs.rmSync(path.join(dir, 'copy-data'), { recursive: true });
    const found = findPaperRuns(dir).paper;
    expect([...found.keys()].sort()).toEqual(['fig5b:match', 'main']);
    expect(found.get('main')!.id).toBe('mine');
    expect(found.get('fig5b:match')!.id).toBe('b-long');
    expect(found.get('main')!.rows).toHaveLength(1);
    expect(runFingerprint(parseRunConfig({ ...main, preset: 'x' }))).toBe(runFingerprint(main));
    expect(() => findPaperRuns(path.join(dir, 'nope'))).toThrow(/--runs: .*nope is not a directory/);
  });
});

describe('the report on a feature file (--data)', () => {
  it('finds the runs trained on that file and not the synthetic ones with the same other config (and vice versa)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-find-data-'));
    const file = path.join(dir, 'feats.npy');
    const data = { source: file };
    const onFile = expandSweep(loadSweepSpec('fig3', undefined, data).input).members[0];
    const synthetic = expandSweep(loadSweepSpec('fig3').input).members[0];
    fakeRun(path.join(dir, onFile.id), onFile.config, 'finished', 1e6);
    fakeRun(path.join(dir, synthetic.id), synthetic.config, 'finished', 1e6);
    // `opto train --preset main --data <the file, spelled relatively>` counts too: files match by absolute path.
    const relative = path.relative(process.cwd(), file);
    fakeRun(path.join(dir, 'trained-by-hand'), { ...onFile.config, name: 'mine', data: { ...onFile.config.data, source: relative } }, 'finished', 1e6);
    const found = (d?: { source: string }) => [...findPaperRuns(dir, undefined, d).paper.values()].map((f) => `${f.role} ${f.id}`).sort();
    expect(found(data)).toEqual([`main ${onFile.id}`]);
    expect(found({ source: relative })).toEqual([`main ${onFile.id}`]);
    expect(found()).toEqual([`main ${synthetic.id}`]);
    fs.rmSync(path.join(dir, onFile.id), { recursive: true });
    expect(found(data)).toEqual(['main trained-by-hand']);
    fs.rmSync(path.join(dir, 'trained-by-hand'), { recursive: true });
    expect(found(data)).toEqual([]);
    // Another dataset path in the same file is other data.
    expect(found({ ...data, datasetPath: 'other/feat' } as { source: string })).toEqual([]);
  });

  it('the commands for missing runs carry the --data flags', () => {
    const e: Evidence = { runsDir: 'r', data: { source: 'o.h5', datasetPath: 'a/b', description: 'feature file o.h5' }, heads: passingEvidence().heads, runs: {}, dataRuns: {}, seeds: [], toy: passingEvidence().toy };
    const cmds = new Set(judgeClaims(e).flatMap((c) => c.commands));
    expect(cmds).toContain('opto sweep fig3 --runs r --resume --data o.h5 --dataset-path a/b');
    expect([...cmds].every((c) => c.endsWith(' --data o.h5 --dataset-path a/b'))).toBe(true);
  });
});

describe('writing the report', () => {
  it('writes report.json (read back by readReport), report.md with every claim, and one SVG per figure', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-report-'));
    const e = passingEvidence();
    delete e.runs['graft:6'];
    const { report } = await writeReportFrom(e, dir);
    expect(report.summary).toEqual({ pass: 22, fail: 0, missing: 1 });
    expect(readReport(dir)).toEqual(report);
    const md = fs.readFileSync(path.join(dir, 'report', 'report.md'), 'utf8');
    for (const c of report.claims) expect(md).toContain(`| ${c.id} | `);
    expect(md).toContain(`opto sweep fig7-graft --runs ${dir} --resume`);
    const ids = report.figures.map((f) => f.id);
    for (const id of ['fig3a', 'fig3b', 'fig4a', 'fig4b', 'fig5a', 'fig5b', 'fig6-classes', 'fig6-labels', 'fig7', 'fig8', 'fig9', 'fig10', 'fig11', 'fig12', 'fig13', 'fig14', 'fig15-fsl_train', 'fig16', 'fig17', 'fig18-accuracy'])
      expect(ids).toContain(id);
    expect(md).toMatch(/\| L1H1, L1H2, L1H5 \| 0\.9985 \| 0\.6987 \|/);
    for (const f of report.figures) {
      const svg = fs.readFileSync(path.join(dir, 'report', f.file), 'utf8');
      expect(svg.startsWith('<svg'), f.id).toBe(true);
      expect(svg, f.id).toMatch(/role-(mark|graphics-symbol)|aria-roledescription="[a-z ]*mark"/);
    }
    // No temp files left behind by the atomic writes.
    expect(fs.readdirSync(path.join(dir, 'report')).filter((x) => x.endsWith('.tmp'))).toEqual([]);
  });
});
