// Which run plays which catalog role, case by case on run directories written without training (report/testing.ts
// fakeRun): what the fingerprints ignore and what they keep, every tie-break of the ranking the header of find.ts
// states (exact config, then progress, then finished, then lowest ID), `--role` and its refusals, and the
// smallest preset that trains a role, counted here from the catalog.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeConfig, parseRunConfig, type RunConfig } from '../config.js';
import { DEFAULT_PRESET_HEADS } from '../presets.js';
import { RunDir, type RunStatus } from '../store/runDir.js';
import { catalogConfigs, findPaperRuns, presetForRole, roleFingerprint, runFingerprint } from './find.js';
import { fakeRun } from './testing.js';
import { messageOf } from '../testing/thrown.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-find-'));
const OTHER = { ih: '1:5', pt: '0:4', ptGroup: ['0:4'] };
const catalogConfig = (role: string, heads = DEFAULT_PRESET_HEADS): RunConfig => catalogConfigs(heads).find((c) => c.run.role === role)!.config;

describe('fingerprints', () => {
  it('a run fingerprint ignores the labels, the backend and the checkpoint cadence, and resolves a feature file path', () => {
    const base = catalogConfig('main');
    const same = parseRunConfig(mergeConfig(base, { name: 'mine', preset: 'smoke', backend: 'reference', schedule: { ckptEvery: 12_345 } }));
    expect(runFingerprint(same)).toBe(runFingerprint(base));
    expect(runFingerprint(parseRunConfig(mergeConfig(base, { schedule: { evalEvery: 2 * base.schedule.evalEvery } })))).not.toBe(runFingerprint(base));
    expect(runFingerprint(parseRunConfig(mergeConfig(base, { optim: { lr: 3e-4 } })))).not.toBe(runFingerprint(base));
    const rel = parseRunConfig(mergeConfig(base, { data: { source: 'feats.npy' } }));
    const abs = parseRunConfig(mergeConfig(base, { data: { source: path.resolve('feats.npy') } }));
    expect(runFingerprint(rel)).toBe(runFingerprint(abs));
    expect(JSON.parse(runFingerprint(rel)).data.source).toBe(path.resolve('feats.npy'));
    expect(JSON.parse(runFingerprint(base)).data.source).toBe('synthetic');
    expect(JSON.parse(runFingerprint(base)).schedule.ckptEvery).toBeUndefined();
    expect(JSON.parse(runFingerprint(base)).name).toBeUndefined();
  });
  it('a role fingerprint also ignores the length, eval cadence and eval-set size', () => {
    const base = catalogConfig('main');
    const shorter = parseRunConfig(mergeConfig(base, { schedule: { seqs: 100_000, evalEvery: 500, evalSize: 64 } }));
    expect(roleFingerprint(shorter)).toBe(roleFingerprint(base));
    expect(runFingerprint(shorter)).not.toBe(runFingerprint(base));
    expect(roleFingerprint(parseRunConfig(mergeConfig(base, { seeds: { init: 9 } })))).not.toBe(roleFingerprint(base));
  });
});

describe('finding the runs of each role', () => {
  it('refuses a runs directory that is not one', () => {
    const base = tmp();
    expect(messageOf(() => findPaperRuns(path.join(base, 'none')))).toBe(`--runs: ${base}/none is not a directory`);
    fs.writeFileSync(path.join(base, 'f'), '');
    expect(messageOf(() => findPaperRuns(path.join(base, 'f')))).toBe(`--runs: ${base}/f is not a directory`);
  });
  it('ranks an exact config over a shorter one, then the furthest run, then the finished one, then the lowest ID', () => {
    const dir = tmp();
    const main = catalogConfig('main');
    const short = mergeConfig(main, { schedule: { seqs: 200_000 } });
    const best = () => findPaperRuns(dir).paper.get('main')!;
    // Each challenger sorts after the holder, so it wins only by the rule under test, never by its ID.
    fakeRun(path.join(dir, 'a-short'), short, 'finished', 200_000);
    expect([best().id, best().match, best().catalogSeqs, best().heads]).toEqual(['a-short', 'config', main.schedule.seqs, 'paper']);
    // [run added, its config, status, progress, the run that must hold the role after it]
    const steps: [string, typeof main, RunStatus, number, string][] = [
      ['b-exact', main, 'running', 1000, 'b-exact'],
      ['c-short', short, 'running', 150_000, 'b-exact'], // a shorter run further along does not displace an exact one
      ['d-exact', main, 'running', 2000, 'd-exact'],
      ['e-exact', main, 'interrupted', 2000, 'd-exact'], // equal progress: an unfinished run does not win,
      ['g-exact', main, 'finished', 2000, 'g-exact'], // a finished one does
      ['f-exact', main, 'finished', 2000, 'f-exact'], // two finished at equal progress: the lower ID
      ['h-exact', main, 'finished', 1999, 'f-exact'],
    ];
    for (const [id, config, status, seqs, holder] of steps) {
      fakeRun(path.join(dir, id), config, status, seqs);
      expect(best().id, `after ${id}`).toBe(holder);
    }
    expect(best().match).toBe('exact');
    // finished but behind does not beat unfinished and ahead
    const ahead = tmp();
    fakeRun(path.join(ahead, 'a'), main, 'running', 3000);
    fakeRun(path.join(ahead, 'b'), main, 'finished', 2999);
    expect(findPaperRuns(ahead).paper.get('main')!.id).toBe('a');
    // among shorter runs alone, the one further along
    const only = tmp();
    fakeRun(path.join(only, 'a'), short, 'running', 400);
    fakeRun(path.join(only, 'b'), short, 'running', 500);
    expect(findPaperRuns(only).paper.get('main')!.id).toBe('b');
  });
  it("keeps a run's eval rows only, in order", () => {
    const dir = tmp();
    fakeRun(path.join(dir, 'r'), catalogConfig('main'), 'running', 64);
    RunDir.open(path.join(dir, 'r')).appendMetrics([
      { kind: 'train', seqs: 32, step: 1, loss: 1.5 },
      { kind: 'eval', seqs: 64, step: 2, set: 'fsl_train', loss: 1.2 },
    ]);
    expect(findPaperRuns(dir).paper.get('main')!.rows.map((r) => [r.kind, r.seqs])).toEqual([
      ['eval', 0],
      ['eval', 64],
    ]);
  });
  it('skips unreadable runs, loose files and runs of no role', () => {
    const dir = tmp();
    fakeRun(path.join(dir, 'other'), mergeConfig(catalogConfig('main'), { optim: { lr: 3e-4 } }), 'finished', 10);
    // a run of no role is not read further: its metrics could be anything
    fs.appendFileSync(path.join(dir, 'other', 'metrics.jsonl'), '{"kind":\n');
    fakeRun(path.join(dir, 'broken'), catalogConfig('main'), 'finished', 10);
    fs.writeFileSync(path.join(dir, 'broken', 'run.json'), '{');
    fakeRun(path.join(dir, 'badconfig'), catalogConfig('main'), 'finished', 10);
    const rec = JSON.parse(fs.readFileSync(path.join(dir, 'badconfig', 'run.json'), 'utf8'));
    delete rec.sha256;
    rec.config.task.numLabels = -1;
    fs.writeFileSync(path.join(dir, 'badconfig', 'run.json'), JSON.stringify(rec));
    fs.writeFileSync(path.join(dir, 'notes.txt'), '');
    fs.mkdirSync(path.join(dir, 'empty'));
    const found = findPaperRuns(dir);
    expect(found.paper.size).toBe(0);
    expect(found.data.size).toBe(0);
  });
  it("with the data's own heads, finds its clamp runs apart; head-independent runs stay under the paper's", () => {
    const dir = tmp();
    fakeRun(path.join(dir, 'main'), catalogConfig('main'), 'finished', 10);
    fakeRun(path.join(dir, 'pt-paper'), catalogConfig('fig5b:pt'), 'finished', 10);
    fakeRun(path.join(dir, 'pt-data'), catalogConfig('fig5b:pt', OTHER), 'finished', 10);
    const found = findPaperRuns(dir, OTHER);
    expect(found.paper.get('fig5b:pt')!.id).toBe('pt-paper');
    expect(found.data.get('fig5b:pt')!.id).toBe('pt-data');
    expect(found.data.get('fig5b:pt')!.heads).toBe('data');
    expect(found.paper.get('main')!.id).toBe('main');
    expect(found.data.has('main')).toBe(false);
    // seed 5's heads given as the data's: there is no second choice
    expect(findPaperRuns(dir, DEFAULT_PRESET_HEADS).data.size).toBe(0);
    expect(findPaperRuns(dir, { ...DEFAULT_PRESET_HEADS }).data.size).toBe(0);
  });
  it("finds seeds 6 and 7's clamp runs on their own heads once given", () => {
    const dir = tmp();
    const seedRun = catalogConfigs(undefined, undefined, { 6: OTHER }).find((c) => c.run.role === 'seed:6:fig5b:pt')!;
    fakeRun(path.join(dir, 's6pt'), seedRun.config, 'finished', 10);
    expect(findPaperRuns(dir).paper.has('seed:6:fig5b:pt')).toBe(false);
    expect(findPaperRuns(dir, undefined, undefined, { seedHeads: { 6: OTHER } }).paper.get('seed:6:fig5b:pt')!.id).toBe('s6pt');
  });
});

describe('--role', () => {
  it('assigns a run by ID under the runs directory or by path, over any found run', () => {
    const dir = tmp();
    fakeRun(path.join(dir, 'found'), catalogConfig('main'), 'finished', 10);
    fakeRun(path.join(dir, 'mine'), mergeConfig(catalogConfig('main'), { optim: { lr: 3e-4 } }), 'running', 5);
    const elsewhere = path.join(tmp(), 'far');
    fakeRun(elsewhere, mergeConfig(catalogConfig('main'), { optim: { lr: 2e-4 } }), 'running', 5);
    const byId = findPaperRuns(dir, undefined, undefined, { assign: { main: 'mine' } }).paper.get('main')!;
    expect([byId.id, byId.dir, byId.match, byId.catalogSeqs, byId.heads]).toEqual(['mine', path.join(dir, 'mine'), 'assigned', catalogConfig('main').schedule.seqs, 'paper']);
    expect(byId.rows).toHaveLength(1);
    const byPath = findPaperRuns(dir, undefined, undefined, { assign: { main: elsewhere + '/' } }).paper.get('main')!;
    expect([byPath.id, byPath.dir]).toEqual(['far', elsewhere + '/']);
    const noData = findPaperRuns(dir, undefined, undefined, { assign: { 'fig5b:pt': 'mine' } });
    expect(noData.data.size).toBe(0);
    expect(findPaperRuns(dir, { ...DEFAULT_PRESET_HEADS }, undefined, { assign: { 'fig5b:pt': 'mine' } }).data.size).toBe(0);
    const withData = findPaperRuns(dir, OTHER, undefined, { assign: { 'fig5b:pt': 'mine' } });
    expect(withData.data.get('fig5b:pt')!.id).toBe('mine');
    expect(withData.paper.get('fig5b:pt')!.id).toBe('mine');
  });
  it('refuses an unknown role and a directory that is not a readable run, in one line', () => {
    const dir = tmp();
    fakeRun(path.join(dir, 'mine'), catalogConfig('main'), 'finished', 10);
    expect(messageOf(() => findPaperRuns(dir, undefined, undefined, { assign: { nope: 'mine' } }))).toBe(
      '--role nope=mine: no such role (roles are the catalog\'s: main, only:3, fig5b:none, fig6:match:100:5, fig15:0, ...)',
    );
    expect(messageOf(() => findPaperRuns(dir, undefined, undefined, { assign: { main: 'absent' } }))).toBe('--role main=absent: not a readable run directory (no valid run.json under absent)');
    // a directory of that name under the runs directory, but no run in it: the name is taken as a path
    fs.mkdirSync(path.join(dir, 'empty'));
    expect(messageOf(() => findPaperRuns(dir, undefined, undefined, { assign: { main: 'empty' } }))).toBe('--role main=empty: not a readable run directory (no valid run.json under empty)');
    fs.writeFileSync(path.join(dir, 'mine', 'run.json'), '[]');
    expect(messageOf(() => findPaperRuns(dir, undefined, undefined, { assign: { main: 'mine' } }))).toBe(`--role main=mine: not a readable run directory (no valid run.json under ${dir}/mine)`);
  });
});

describe('presetForRole', () => {
  // (claims.test.ts has main, only:5, fig6:match:200:5, graft:6 and seed:8:only:2)
  it('names the smallest paper preset that trains the role, for the figures not tried elsewhere', () => {
    const smallest: [role: string, preset: string][] = [
      ['fig5b:match', 'fig5b'],
      ['fig6:normal:50:10', 'fig6-labels'],
      ['seed:6:main', 'fig7'],
      ['fig15:3', 'fig15'],
      ['fig17:4', 'fig17'],
      ['fig8:h6', 'fig8'],
      // in fig6-classes and fig6-labels, 12 runs each: the first listed
      ['fig6:normal:50:5', 'fig6-classes'],
    ];
    for (const [role, preset] of smallest) expect(presetForRole(role), role).toBe(preset);
    expect(messageOf(() => presetForRole('nope'))).toBe('internal: no catalog role nope');
  });
});
