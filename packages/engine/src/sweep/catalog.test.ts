// The paper's run catalog and the sweeps named after it, checked against what their own descriptions and the
// spec (section 7, 9) say: the run counts and sequence totals the descriptions state, each set's run-ID prefix,
// the per-seed sets of `paper-seeds`, a feature file's tag and flags, and every refusal of `opto sweep`'s
// arguments in one line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/synthetic.js';
import { DEFAULT_PRESET_HEADS } from '../presets.js';
import { checkTasksFit, dataFlags, dataSweepName, dataTag, isFileData, loadDataFlag } from './data.js';
import { loadSweepSpec } from './load.js';
import { FINAL_CHECKPOINT_1E6, PAPER_SWEEPS, SET_SWEEP_NAME, paperRuns, setSweepName } from './paperRuns.js';
import { PAPER_SEEDS, paperSeedsMains, paperSeedsRest, seedOnlyRuns, seedRole, seedSet } from './paperSeeds.js';
import { SWEEP_PRESETS, paperCatalog, paperSweep, sweepPresetOnData, sweepPresetUsesHeads } from './presets.js';
import { expandSweep, memberIdFor } from './spec.js';
import { messageOfAsync } from '../testing/thrown.js';

const OTHER_HEADS = { ih: '1:5', pt: '0:4', ptGroup: ['0:4', '0:6'] };
/**
 * The catalog built afresh: paperCatalog() caches it per heads and data, so a test that only reads the cache
 * would not count as covering the code that built it (Stryker's per-test coverage), and a mutant there would be
 * judged by whichever test happened to build it first.
 */
const fresh = () => paperRuns(memberIdFor);
const expandRuns = (name: string) => expandSweep({ name: 'x', variants: fresh().filter(PAPER_SWEEPS[name].select).map((r) => r.config) }).members;

describe('the catalog against its descriptions', () => {
  it('every paper preset has as many runs as its description says, under one run-ID prefix', () => {
    const catalog = paperCatalog();
    for (const [name, p] of Object.entries(PAPER_SWEEPS)) {
      const m = /(\d+) runs/.exec(p.description);
      const runs = catalog.filter(p.select);
      // every preset but the one-run fig3 and the two-run fig7 states its count
      if (name === 'fig3' || name === 'fig7') expect(p.description, name).toMatch(name === 'fig3' ? /^Fig\. 3 .*the main run$/ : /^App\. Fig\. 7 .*seeds 6 and 7/);
      else expect(m, name).not.toBeNull();
      if (m) expect(runs.length, name).toBe(Number(m[1]));
      expect(runs.length, name).toBeGreaterThan(0);
      const spec = paperSweep(name, p.select);
      expect(spec.description).toBe(p.description);
      expect(spec.variants).toHaveLength(runs.length);
      expect(SWEEP_PRESETS[name].description).toBe(p.description);
    }
  });
  it('the sets hold the sequence totals spec 9 gives (26.2e6 main, 21.0e6 appendix, 2.4e6 grafts, 36e6 seeds)', () => {
    // through the sweep expander, which expands each run preset under its config
    const total = (preset: string) => expandRuns(preset).reduce((s, m) => s + m.config.schedule.seqs, 0);
    expect(total('paper-main') / 1e6).toBeCloseTo(26.2, 1);
    expect(total('paper-appendix') / 1e6).toBeCloseTo(21.0, 1);
    expect(total('fig7-graft') / 1e6).toBeCloseTo(2.4, 1);
    expect(total('fig18-seeds') / 1e6).toBeCloseTo(36, 1);
  });
  it('every role is unique, and the figure sweeps pick exactly their roles', () => {
    const roles = fresh().map((r) => r.role);
    expect(new Set(roles).size).toBe(roles.length);
    const pick = (name: string) => fresh().filter(PAPER_SWEEPS[name].select).map((r) => r.role);
    expect(pick('fig3')).toEqual(['main']);
    expect(pick('fig4b')).toEqual(['main', ...[0, 1, 2, 3, 4, 5, 6, 7].map((h) => `only:${h}`)]);
    expect(pick('fig5b')).toEqual(['none', 'pt', 'layer1', 'match', 'copy', 'layer1-copy'].map((c) => `fig5b:${c}`));
    expect(pick('fig6-classes').sort()).toEqual(
      ['fig5b:layer1-copy', 'fig5b:match', 'fig5b:layer1', ...[50, 100, 200].map((c) => `fig6:normal:${c}:5`), ...[100, 200].flatMap((c) => ['layer1-copy', 'match', 'layer1'].map((x) => `fig6:${x}:${c}:5`))].sort(),
    );
    expect(pick('fig6-labels').sort()).toEqual(
      ['fig5b:layer1-copy', 'fig5b:match', 'fig5b:layer1', ...[5, 10, 15].map((l) => `fig6:normal:50:${l}`), ...[10, 15].flatMap((l) => ['layer1-copy', 'match', 'layer1'].map((x) => `fig6:${x}:50:${l}`))].sort(),
    );
    expect(pick('fig7')).toEqual(['seed:6:main', 'seed:7:main']);
    expect(pick('fig8')).toEqual(['fig8:h6', 'fig8:ptgroup', 'fig8:all']);
    expect(pick('fig15')).toEqual(Array.from({ length: 16 }, (_, i) => `fig15:${i}`));
    expect(pick('fig17')).toEqual([0, 1, 2, 4, 5, 6, 7].map((h) => `fig17:${h}`));
    expect(pick('fig7-graft')).toEqual(['graft:5', 'graft:6', 'graft:7']);
    // seeds 6 and 7's main runs are the appendix's (Fig. 7), listed there; then every seed's own runs
    const only = (s: number) => [0, 1, 2, 3, 4, 5, 6, 7].map((h) => `seed:${s}:only:${h}`);
    expect(pick('fig18-seeds')).toEqual(['seed:6:main', 'seed:7:main', ...only(6), ...only(7), 'seed:8:main', ...only(8), 'seed:9:main', ...only(9)]);
  });
  it('Fig. 6 long runs and clamp runs have the cells, lengths and checkpoint cadence the catalog gives', () => {
    const byRole = new Map(
      ['paper-main', 'paper-appendix'].flatMap((set) => expandRuns(set).map((m, i) => [fresh().filter(PAPER_SWEEPS[set].select)[i].role, m.config] as const)),
    );
    const normal = byRole.get('fig6:normal:100:5')!;
    expect([normal.task.numLabels, normal.schedule.seqs, normal.schedule.ckptEvery, normal.task.classSplit[0]]).toEqual([5, 2_000_000, 50_000, 100]);
    const clamp = byRole.get('fig6:match:50:15')!;
    expect([clamp.task.numLabels, clamp.schedule.seqs, clamp.task.classSplit[0]]).toEqual([15, 300_000, 50]);
    expect(byRole.has('fig6:match:50:5')).toBe(false);
    expect(byRole.get('fig15:0')!.interventions.match).toMatchObject({ heads: ['1:3'], strength: 1 });
    expect(byRole.get('fig15:15')!.interventions.match).toMatchObject({ strength: 0 });
  });
  it('each run feeds the figure its role belongs to', () => {
    const figureOf = (role: string): string => {
      if (role === 'main') return 'fig3';
      if (role.startsWith('only:')) return 'fig4b';
      if (role.startsWith('fig5b:')) return 'fig5b';
      if (role.startsWith('fig6:')) return role.endsWith(':5') ? 'fig6-classes' : 'fig6-labels';
      if (/^seed:[67]:main$/.test(role) || role.startsWith('graft:')) return 'fig7';
      if (role.startsWith('seed:')) return 'fig18';
      return role.split(':')[0];
    };
    for (const r of fresh()) expect(r.figure, r.role).toBe(figureOf(r.role));
    expect(fresh().filter((r) => r.role.startsWith('fig8:')).map((r) => r.role)).toEqual(['fig8:h6', 'fig8:ptgroup', 'fig8:all']);
  });
  it('every run has the preset, seeds, task and length its role says', () => {
    const byRole = new Map(fresh().map((r) => [r.role, r.config as Record<string, any>]));
    expect(byRole.get('main')).toEqual({ preset: 'main' });
    expect(byRole.get('only:3')).toEqual({ preset: 'only-L2H3' });
    expect(byRole.get('seed:6:main')).toEqual({ preset: 'main', seeds: { init: 6 } });
    expect(byRole.get('seed:8:main')).toEqual({ preset: 'main', seeds: { init: 8 } });
    expect(byRole.get('seed:9:only:2')).toEqual({ preset: 'only-L2H2', seeds: { init: 9 } });
    expect(byRole.get('fig17:4')).toEqual({ preset: 'fig17-L2H4' });
    expect(byRole.get('fig6:normal:200:5')).toMatchObject({ preset: 'only-L2H3', task: { numLabels: 5 }, schedule: { seqs: 2_000_000, ckptEvery: 50_000 } });
    expect(byRole.get('fig6:normal:200:5')!.task.classSplit[0]).toBe(200);
    expect(byRole.get('fig6:layer1:50:10')).toMatchObject({ task: { numLabels: 10 }, schedule: { seqs: 300_000 } });
    expect(byRole.get('fig6:layer1:50:10')!.task.classSplit[0]).toBe(50);
    expect(byRole.get('fig15:3')!.interventions.match).toEqual({ heads: ['1:3'], strength: 0.85 });
    // the single-head Fig. 6 runs keep the data's induction head
    const other = new Map(paperRuns(memberIdFor, OTHER_HEADS).map((r) => [r.role, r.config as Record<string, any>]));
    expect(other.get('fig6:normal:100:5')!.preset).toBe('only-L2H5');
    expect(other.get('fig15:0')!.interventions.match.heads).toEqual(['1:5']);
  });
  it('graft runs name their donors by run ID: seed 5 from paper-main, seeds 6 and 7 from paper-appendix', () => {
    const runs = paperRuns(memberIdFor);
    const id = (set: string, role: string) => memberIdFor(set, runs.find((r) => r.role === role)!.config);
    const ckpt = (s: number) => (parseRunConfig(runs.find((r) => r.role === `graft:${s}`)!.config).interventions.graft as { checkpoint: string }).checkpoint;
    expect(ckpt(5)).toBe(`\${runs}/${id('paper-main', 'main')}/${FINAL_CHECKPOINT_1E6}`);
    expect(ckpt(6)).toBe(`\${runs}/${id('paper-appendix', 'seed:6:main')}/${FINAL_CHECKPOINT_1E6}`);
    expect(ckpt(7)).toBe(`\${runs}/${id('paper-appendix', 'seed:7:main')}/${FINAL_CHECKPOINT_1E6}`);
    expect(FINAL_CHECKPOINT_1E6).toBe('checkpoints/seqs-0001000000.safetensors');
  });
  it('each set has its run-ID prefix, tagged for a feature file', () => {
    expect(SET_SWEEP_NAME).toEqual({ 'paper-main': 'paper-main', 'paper-appendix': 'paper-appendix', 'fig7-graft': 'paper-appendix', 'fig18-seeds': 'paper-appendix', 'paper-seeds': 'paper-seeds' });
    expect(setSweepName('fig7-graft')).toBe('paper-appendix');
    expect(setSweepName('paper-main', { source: '/d/omniglot.h5' })).toBe('paper-main.omniglot');
    expect(setSweepName('paper-main', { source: 'synthetic' })).toBe('paper-main');
  });
  it('a feature file puts its data block in every run, graft donors included, and only the clamp presets use heads', () => {
    const data = { source: '/d/feats.npy' };
    const spec = sweepPresetOnData('fig7-graft', data) as { name: string; variants: Record<string, unknown>[] };
    expect(spec.name).toBe('paper-appendix.feats');
    for (const v of spec.variants) expect(v.data).toEqual(data);
    const smoke = sweepPresetOnData('smoke', data) as { name: string; base: Record<string, unknown> };
    expect(smoke.name).toBe('smoke.feats');
    expect(smoke.base.data).toEqual(data);
    expect(smoke.base.preset).toBe('smoke');
    expect(sweepPresetOnData('smoke', { source: 'synthetic' })).toBe(SWEEP_PRESETS.smoke.spec);
    expect(Object.keys(PAPER_SWEEPS).filter(sweepPresetUsesHeads).sort()).toEqual(['fig15', 'fig5b', 'fig6-classes', 'fig6-labels', 'fig8', 'paper-appendix', 'paper-main'].sort());
    expect(sweepPresetUsesHeads('smoke')).toBe(false);
    expect(paperCatalog(OTHER_HEADS)).not.toBe(paperCatalog());
    expect(paperCatalog()).toBe(paperCatalog(DEFAULT_PRESET_HEADS));
  });
});

describe('the smoke preset', () => {
  it('is 4 tiny runs: # labels 5/10 × init seeds 5/6, 3,200 sequences each, as its description says', () => {
    expect(SWEEP_PRESETS.smoke.description).toBe('4 tiny runs (3,200 sequences each: # labels 5/10 × init seeds 5/6), for checking an installation');
    const members = expandSweep(SWEEP_PRESETS.smoke.spec).members;
    expect(members.map((m) => [m.config.task.numLabels, m.config.seeds.init, m.config.schedule.seqs, m.config.schedule.evalEvery, m.config.schedule.ckptEvery, m.config.schedule.evalSize])).toEqual([
      [5, 5, 3200, 640, 640, 100],
      [5, 6, 3200, 640, 640, 100],
      [10, 5, 3200, 640, 640, 100],
      [10, 6, 3200, 640, 640, 100],
    ]);
    expect(Object.keys(SWEEP_PRESETS)).toEqual([...Object.keys(PAPER_SWEEPS), 'smoke']);
  });
});

describe('paper-seeds', () => {
  it('names the roles of seeds other than 5 by seed, and puts each run in the set whose ID it already has', () => {
    expect(PAPER_SEEDS).toEqual([5, 6, 7]);
    expect(seedRole(5, 'fig5b:pt')).toBe('fig5b:pt');
    expect(seedRole(6, 'fig5b:pt')).toBe('seed:6:fig5b:pt');
    const six = seedSet(6, OTHER_HEADS);
    const five = seedSet(5, OTHER_HEADS);
    expect(six.map((r) => r.role)).toEqual(five.map((r) => `seed:6:${r.role}`));
    for (const r of six) {
      const base = r.role.slice('seed:6:'.length);
      expect(r.set, r.role).toBe(base === 'main' ? 'paper-appendix' : base.startsWith('only:') ? 'fig18-seeds' : 'paper-seeds');
      expect(parseRunConfig(r.config).seeds.init, r.role).toBe(6);
    }
    expect(five.every((r) => r.set === 'paper-main')).toBe(true);
  });
  it('seed-only runs: the clamp and Fig. 6 runs of the seeds whose heads are known', () => {
    const only6 = seedOnlyRuns({ 6: OTHER_HEADS });
    expect(only6.length).toBeGreaterThan(0);
    expect(only6.every((r) => r.role.startsWith('seed:6:') && r.set === 'paper-seeds')).toBe(true);
    expect(seedOnlyRuns({ 5: OTHER_HEADS })).toEqual([]);
    expect(seedOnlyRuns({ 6: OTHER_HEADS, 7: OTHER_HEADS })).toHaveLength(2 * only6.length);
  });
  it('stage 1 is the three main runs with the IDs they have elsewhere; stage 2 the rest, indexed in order', () => {
    const mains = paperSeedsMains(DEFAULT_PRESET_HEADS);
    expect(mains.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(mains[0].id).toBe(expandSweep(SWEEP_PRESETS.fig3.spec).members[0].id);
    expect(mains.slice(1).map((m) => m.id)).toEqual(expandSweep(SWEEP_PRESETS.fig7.spec).members.map((m) => m.id));
    const rest = paperSeedsRest({ 5: DEFAULT_PRESET_HEADS, 6: OTHER_HEADS, 7: OTHER_HEADS });
    expect(rest.map((m) => m.index)).toEqual(rest.map((_, i) => i));
    expect(rest[0].id).toBe(memberIdFor('paper-main', seedSet(5, DEFAULT_PRESET_HEADS)[1].config));
    expect(rest.every((m) => /^paper-(main|appendix|seeds)-[0-9a-f]{10}$/.test(m.id))).toBe(true);
    expect(rest).toHaveLength(3 * (seedSet(5, DEFAULT_PRESET_HEADS).length - 1));
    const onData = paperSeedsMains(DEFAULT_PRESET_HEADS, { source: '/d/feats.npy' });
    expect(onData[0].id.startsWith('paper-main.feats-')).toBe(true);
    expect(onData[1].id.startsWith('paper-appendix.feats-')).toBe(true);
    expect(onData[0].config.data).toMatchObject({ source: '/d/feats.npy' });
  });
});

describe('a feature file as --data', () => {
  it('is any source but the synthetic features', () => {
    expect([undefined, {}, { source: 'synthetic' }, { source: 'f.npy' }, { datasetPath: 'x' }].map(isFileData)).toEqual([false, false, false, true, false]);
  });
  it('tags its runs with its stem in sweep-name characters, at most 40 of them', () => {
    expect(dataTag({ source: '/data/My Feats.v2.npz' })).toBe('My_Feats_v2');
    expect(dataTag({ source: 'omniglot.h5' })).toBe('omniglot');
    expect(dataTag({ source: '/d/a  +b.npy' })).toBe('a_b');
    expect(dataTag({ source: 'noext' })).toBe('noext');
    expect(dataTag({ source: '/d/__-x.npy' })).toBe('x');
    expect(dataTag({ source: '/d/...npy' })).toBe('data');
    expect(dataTag({ source: `/d/${'a'.repeat(50)}.npy` })).toBe('a'.repeat(40));
    expect(dataSweepName('fig5b', { source: 'f.npy' })).toBe('fig5b.f');
    expect(dataSweepName('fig5b', undefined)).toBe('fig5b');
  });
  it('gives the flags that name it again', () => {
    expect(dataFlags(undefined)).toBe('');
    expect(dataFlags({ source: 'synthetic' })).toBe('');
    expect(dataFlags({ source: 'f.h5' })).toBe(' --data f.h5');
    expect(dataFlags({ source: 'f.h5', datasetPath: 'a/b' })).toBe(' --data f.h5 --dataset-path a/b');
  });
  it('refuses a file that cannot be loaded, and a task the features cannot hold, naming the flags and the run', async () => {
    const missing = path.join(os.tmpdir(), 'opto-none-dir', 'f.npy');
    expect(await messageOfAsync(() => loadDataFlag({ source: missing }))).toMatch(new RegExp(`^--data ${missing}: `));
    expect(await messageOfAsync(() => loadDataFlag({ source: missing, datasetPath: 'x' }))).toMatch(new RegExp(`^--data ${missing} --dataset-path x: `));
    const features = syntheticFeatures({ nClasses: 30, nExemplars: 5, dim: 4, latentDim: 2 });
    const cfg = (classes: number) => parseRunConfig({ task: { classSplit: [classes, 0, 0] } });
    expect(() => checkTasksFit([{ id: 'a', config: cfg(20) }], features, { source: 'f.npy' })).not.toThrow();
    const tooMany = await messageOfAsync(() => checkTasksFit([{ id: 'a', config: cfg(20) }, { id: 'b', config: cfg(20) }, { id: 'c', config: cfg(40) }], features, { source: 'f.npy' }));
    expect(tooMany).toMatch(/^--data f\.npy: run c: /);
  });
});

describe('opto sweep <spec | preset>', () => {
  it('names a preset, on a feature file, with the heads it clamps', () => {
    expect(loadSweepSpec('fig5b').where).toBe('sweep preset fig5b');
    expect(loadSweepSpec('fig5b', undefined, { source: 'f.npy' }).where).toBe('sweep preset fig5b on f.npy');
    const h = loadSweepSpec('fig5b', OTHER_HEADS, { source: 'f.npy' });
    expect(h.where).toBe('sweep preset fig5b on f.npy (heads 1:5, 0:4, {0:4, 0:6})');
    expect(h.input).toEqual(paperSweep('fig5b', PAPER_SWEEPS.fig5b.select, OTHER_HEADS, { source: 'f.npy' }));
    expect(loadSweepSpec('fig5b', undefined, { source: 'synthetic' }).where).toBe('sweep preset fig5b');
    // a preset's spec is a copy: editing it changes nothing for the next caller
    const a = loadSweepSpec('smoke').input as { name: string };
    a.name = 'edited';
    expect((loadSweepSpec('smoke').input as { name: string }).name).toBe('smoke');
  });
  it('refuses --heads-from and --data where they do not apply, and a malformed spec file', async () => {
    expect(await messageOfAsync(() => loadSweepSpec('fig3', OTHER_HEADS))).toBe("--heads-from: sweep preset 'fig3' clamps no particular head");
    expect(await messageOfAsync(() => loadSweepSpec('smoke', OTHER_HEADS))).toBe("--heads-from: sweep preset 'smoke' clamps no particular head");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-load-'));
    const file = path.join(dir, 's.json');
    fs.writeFileSync(file, '{"name": "x"}');
    expect(loadSweepSpec(file)).toEqual({ input: { name: 'x' }, where: file });
    expect(await messageOfAsync(() => loadSweepSpec(file, OTHER_HEADS))).toBe(`--heads-from applies to the paper's sweep presets, not to a spec file (${file})`);
    expect(await messageOfAsync(() => loadSweepSpec(file, undefined, { source: 'f.npy' }))).toBe(`--data applies to the sweep presets, not to a spec file (${file}); set "data" in the spec's base config`);
    expect(await messageOfAsync(() => loadSweepSpec(path.join(dir, 'none.json')))).toMatch(new RegExp(`^sweep spec not found: ${dir}/none\\.json \\(a JSON file, or a preset: paper-main, paper-appendix, .*, smoke\\)$`));
    fs.writeFileSync(file, '[1]');
    expect(await messageOfAsync(() => loadSweepSpec(file))).toBe(`${file}: malformed JSON (${file}: a sweep spec must be a JSON object, got an array)`);
  });
});
