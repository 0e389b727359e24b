import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { SWEEP_PRESETS, classSplitFor } from './presets.js';
import { loadSweepSpec } from './load.js';
import { canonicalJson, configHash, expandSweep } from './spec.js';

const tiny = { schedule: { seqs: 3200, evalEvery: 640, ckptEvery: 640, evalSize: 100 } };

describe('sweep spec expansion', () => {
  it('expands variants, grid, zip and seeds as nested loops (first axis slowest, seeds innermost)', () => {
    const { members } = expandSweep({
      name: 's',
      base: tiny,
      grid: { 'task.numLabels': [5, 10], 'optim.lr': [1e-5, 2e-5] },
      zip: { 'model.nHeads': [8, 4], 'model.dModel': [64, 32] },
      seeds: [5, 6],
    });
    expect(members).toHaveLength(2 * 2 * 2 * 2);
    const key = (i: number) => {
      const c = members[i].config;
      return [c.task.numLabels, c.optim.lr, c.model.nHeads, c.model.dModel, c.seeds.init];
    };
    expect(key(0)).toEqual([5, 1e-5, 8, 64, 5]);
    expect(key(1)).toEqual([5, 1e-5, 8, 64, 6]);
    expect(key(2)).toEqual([5, 1e-5, 4, 32, 5]);
    expect(key(4)).toEqual([5, 2e-5, 8, 64, 5]);
    expect(key(15)).toEqual([10, 2e-5, 4, 32, 6]);
    expect(members.map((m) => m.index)).toEqual([...Array(16).keys()]);
    expect(members[3].vary).toEqual([
      ['task.numLabels', 5],
      ['optim.lr', 1e-5],
      ['model.nHeads', 4],
      ['model.dModel', 32],
      ['seeds.init', 6],
    ]);
    for (const m of members) {
      expect(m.config.name).toBe('s');
      expect(m.config.schedule.seqs).toBe(3200);
      expect(m.id).toMatch(/^s-[0-9a-f]{10}$/);
    }
    expect(new Set(members.map((m) => m.id)).size).toBe(16);
  });

  it('run IDs are the sweep name and a hash of the canonical validated config: independent of key order, defaults, axis position', () => {
    const a = expandSweep({ name: 'x', base: { schedule: { seqs: 3200, evalEvery: 640 } }, grid: { 'task.numLabels': [5, 10] } }).members;
    // Same configs written differently: keys reordered, a default spelled out, the value moved to a variant.
    const b = expandSweep({ name: 'x', variants: [{ task: { numLabels: 10 } }, { task: { numLabels: 5, pairSeed: 20 } }], base: { schedule: { evalEvery: 640, seqs: 3200 } } }).members;
    expect(b.map((m) => m.id).sort()).toEqual(a.map((m) => m.id).sort());
    expect(a[0].id).toBe(`x-${configHash(a[0].config)}`);
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    // Adding a grid value keeps the IDs of the existing members.
    const c = expandSweep({ name: 'x', base: { schedule: { seqs: 3200, evalEvery: 640 } }, grid: { 'task.numLabels': [5, 10, 15] } }).members;
    expect(c.slice(0, 2).map((m) => m.id)).toEqual(a.map((m) => m.id));
  });

  it('gives the same IDs in another process with another working directory and environment', () => {
    const here = expandSweep(SWEEP_PRESETS['paper-main'].spec).members.map((m) => m.id);
    // The compiled engine in a fresh Node process: nothing in memory or in the environment leaks into IDs.
    // It is found through the workspace's node_modules link (its real path), so a copy of the sources without
    // dist (Stryker's sandbox) still runs the built engine.
    const engine = pathToFileURL(path.join(fs.realpathSync(new URL('../../../../node_modules/@optoscope/engine', import.meta.url)), 'dist', 'index.js')).href;
    const script = `import(${JSON.stringify(engine)}).then((e) => console.log(JSON.stringify(e.expandSweep(e.SWEEP_PRESETS['paper-main'].spec).members.map((m) => m.id))))`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, TZ: 'Pacific/Auckland', LANG: 'de_DE.UTF-8', HOME: os.tmpdir() },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(here);
  });

  it('expands a preset under the config, so explicit fields win', () => {
    const { members } = expandSweep({ name: 'p', base: { preset: 'fig5b-match', schedule: { seqs: 3200 } }, grid: { 'schedule.evalEvery': [640, 1280] } });
    const c = members[0].config;
    expect(c.preset).toBe('fig5b-match');
    expect(c.schedule).toMatchObject({ seqs: 3200, evalEvery: 640, ckptEvery: 6000 });
    expect(c.interventions?.match?.heads).toEqual(['1:3']);
    expect(members[1].config.schedule.evalEvery).toBe(1280);
  });

  it('merges an object value into the config instead of replacing it', () => {
    const { members } = expandSweep({ name: 'o', base: { schedule: { seqs: 3200, evalEvery: 640 } }, grid: { schedule: [{ ckptEvery: 320 }] } });
    expect(members[0].config.schedule).toMatchObject({ seqs: 3200, evalEvery: 640, ckptEvery: 320 });
  });

  it('the paper presets: 32 main-set runs of 26.2e6 sequences (spec 9), 36 seed runs; every member valid and distinct', () => {
    const main = expandSweep(SWEEP_PRESETS['paper-main'].spec).members;
    expect(main).toHaveLength(32);
    expect(main.reduce((s, m) => s + m.config.schedule.seqs, 0)).toBe(26_200_000);
    const by = (f: (c: (typeof main)[number]['config']) => boolean) => main.filter((m) => f(m.config)).length;
    expect(by((c) => c.preset === 'main')).toBe(1);
    expect(by((c) => /^only-L2H\d$/.test(c.preset ?? '') && c.schedule.seqs === 1e6)).toBe(8);
    expect(by((c) => c.schedule.seqs === 600_000)).toBe(6);
    // Fig. 6 normal training: only L2H3 active, 2e6 sequences, for the five (classes, labels) cells.
    const long = main.filter((m) => m.config.schedule.seqs === 2e6).map((m) => m.config);
    expect(long.map((c) => [c.task.classSplit[0], c.task.numLabels])).toEqual([[50, 5], [100, 5], [200, 5], [50, 10], [50, 15]]);
    for (const c of long) expect(c.interventions?.ablate).toEqual(['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7']);
    expect(long[2].task.classSplit).toEqual(classSplitFor(200));
    expect(by((c) => c.schedule.seqs === 300_000 && c.schedule.evalEvery === 1000)).toBe(12);
    expect(new Set(main.map((m) => m.id)).size).toBe(32);
    const seeds = expandSweep(SWEEP_PRESETS['fig18-seeds'].spec).members;
    expect(seeds).toHaveLength(36);
    expect([...new Set(seeds.map((m) => m.config.seeds.init))]).toEqual([6, 7, 8, 9]);
    expect(expandSweep(loadSweepSpec('smoke').input).members).toHaveLength(4);
  });

  it('the appendix presets: 28 + 3 graft runs of 23.4e6 sequences (spec 9), each run as its figure asks', () => {
    const app = expandSweep(SWEEP_PRESETS['paper-appendix'].spec).members;
    const graft = expandSweep(SWEEP_PRESETS['fig7-graft'].spec).members;
    expect(app.length + graft.length).toBe(31);
    expect([...app, ...graft].reduce((s, m) => s + m.config.schedule.seqs, 0)).toBe(23_400_000);
    const of = (preset: string) => app.filter((m) => m.config.preset === preset).map((m) => m.config);
    // Fig. 8: only L2H3 active, 8e5 sequences, PT clamp on L1H6, {1,2,5} and all eight first-layer heads.
    expect(['fig8-h6', 'fig8-ptgroup', 'fig8-all'].map((p) => of(p)[0].interventions?.prevToken?.heads)).toEqual([
      ['0:6'],
      ['0:1', '0:2', '0:5'],
      ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7'],
    ]);
    for (const p of ['fig8-h6', 'fig8-ptgroup', 'fig8-all']) expect(of(p)[0].interventions?.ablate).toEqual(['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7']);
    // Fig. 15: 16 strengths from 1 down to 0, match on L2H3, no head ablation (pitfall 8).
    const fig15 = of('fig15');
    // The authors' grid (ih_paper_appendix_runs.sh), not an even 1 − i/15.
    expect(fig15.map((c) => c.interventions?.match?.strength)).toEqual([1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    for (const c of fig15) expect([c.interventions?.ablate, c.interventions?.match?.heads, c.schedule.seqs]).toEqual([[], ['1:3'], 600_000]);
    // Fig. 17: L2H3 plus one other head active.
    const fig17 = app.filter((m) => /^fig17-/.test(m.config.preset ?? '')).map((m) => m.config.interventions?.ablate);
    expect(fig17).toHaveLength(7);
    for (const [k, h] of [0, 1, 2, 4, 5, 6, 7].entries()) expect(fig17[k]).toEqual([0, 1, 2, 4, 5, 6, 7].filter((x) => x !== h).map((x) => `1:${x}`));
    // Fig. 7: grafts from the 1e6 main runs of seeds 5 (paper-main), 6 and 7 (paper-appendix), by run ID.
    const mainId = expandSweep(SWEEP_PRESETS['fig3'].spec).members[0].id;
    const seedIds = expandSweep(SWEEP_PRESETS['fig7'].spec).members.map((m) => m.id);
    expect(expandSweep(SWEEP_PRESETS['paper-main'].spec).members.map((m) => m.id)).toContain(mainId);
    expect(app.map((m) => m.id)).toEqual(expect.arrayContaining(seedIds));
    expect(graft.map((m) => m.config.interventions?.graft?.checkpoint)).toEqual(
      [mainId, ...seedIds].map((id) => `\${runs}/${id}/checkpoints/seqs-0001000000.safetensors`),
    );
  });

  it('--heads-from: the clamp presets clamp the given heads (pitfall 10); other presets refuse it; seed 5\'s heads are the default', () => {
    const heads = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    const fig5b = expandSweep(loadSweepSpec('fig5b', heads).input).members.map((m) => m.config.interventions);
    expect(fig5b[3]).toMatchObject({ ablate: ['1:0', '1:1', '1:2', '1:3', '1:5', '1:6', '1:7'], match: { heads: ['1:4'] } });
    expect(fig5b[1]?.prevToken?.heads).toEqual(['0:7']);
    expect(fig5b[4]?.perfectCopy?.head).toBe('1:4');
    const fig8 = expandSweep(loadSweepSpec('fig8', heads).input).members.map((m) => m.config.interventions?.prevToken?.heads);
    expect(fig8[1]).toEqual(['0:0', '0:6', '0:7']);
    const labels = expandSweep(loadSweepSpec('fig6-labels', heads).input).members.filter((m) => m.config.schedule.seqs === 2e6);
    for (const m of labels) expect(m.config.interventions?.ablate).toEqual(['1:0', '1:1', '1:2', '1:3', '1:5', '1:6', '1:7']);
    expect(expandSweep(loadSweepSpec('fig15', heads).input).members.every((m) => m.config.interventions?.match?.heads[0] === '1:4')).toBe(true);
    // Only the clamp runs change: the main run keeps its ID.
    const ids = (x: unknown) => expandSweep(x).members.map((m) => m.id);
    expect(ids(loadSweepSpec('paper-main', heads).input)[0]).toBe(ids(loadSweepSpec('paper-main').input)[0]);
    expect(() => loadSweepSpec('fig4b', heads)).toThrow(/--heads-from: sweep preset 'fig4b' clamps no particular head/);
    expect(() => loadSweepSpec('fig17', heads)).toThrow(/clamps no particular head/);
  });

  it('--data: every member of a preset reads the file, under data-tagged run IDs of its own; --heads-from still applies', () => {
    const data = { source: 'feats/omniglot_resnet18.h5', datasetPath: 'resnet18/224/feat' };
    const expand = (name: string, heads?: Parameters<typeof loadSweepSpec>[1], d?: typeof data | { source: string }) => expandSweep(loadSweepSpec(name, heads, d).input).members;
    for (const name of ['fig5b', 'smoke', 'paper-appendix']) {
      const onFile = expand(name, undefined, data);
      const synthetic = expand(name);
      expect(onFile).toHaveLength(synthetic.length);
      for (const m of onFile) expect(m.config.data).toEqual({ ...synthetic[0].config.data, ...data });
      // Same runs otherwise: the configs differ in their data block (and name) only.
      onFile.forEach((m, i) => expect({ ...m.config, data: null, name: null }).toEqual({ ...synthetic[i].config, data: null, name: null }));
      const prefix = name === 'smoke' ? 'smoke' : SWEEP_PRESETS[name].spec.name;
      for (const m of onFile) expect(m.id).toMatch(new RegExp(`^${prefix}\\.omniglot_resnet18-[0-9a-f]{10}$`));
      const ids = new Set(synthetic.map((m) => m.id));
      expect(onFile.filter((m) => ids.has(m.id))).toEqual([]);
    }
    // --data synthetic is the built-in data: the same runs as without --data.
    expect(expand('fig5b', undefined, { source: 'synthetic' }).map((m) => m.id)).toEqual(expand('fig5b').map((m) => m.id));
    // The grafts name their donors among the file's runs.
    const donor = expand('fig3', undefined, data)[0].id;
    expect(expand('fig7-graft', undefined, data)[0].config.interventions?.graft?.checkpoint).toContain(`\${runs}/${donor}/`);
    // With --heads-from: this data's heads clamped, on the file.
    const heads = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    const both = expand('fig5b', heads, data);
    expect(both[4].config.interventions?.perfectCopy?.head).toBe('1:4');
    expect(both.every((m) => m.config.data.source === data.source && m.id.startsWith('paper-main.omniglot_resnet18-'))).toBe(true);
    expect(both.map((m) => m.id)).not.toEqual(expand('fig5b', undefined, data).map((m) => m.id));
    expect(() => loadSweepSpec('nope.json', undefined, data)).toThrow(/--data applies to the sweep presets, not to a spec file \(nope\.json\)/);
  });

  it('a figure preset names the same runs (same IDs) as the set it belongs to', () => {
    const ids = (name: string) => expandSweep(SWEEP_PRESETS[name].spec).members.map((m) => m.id);
    const main = new Set(ids('paper-main'));
    const app = new Set(ids('paper-appendix'));
    for (const f of ['fig3', 'fig4b', 'fig5b', 'fig6-classes', 'fig6-labels']) for (const id of ids(f)) expect(main.has(id)).toBe(true);
    for (const f of ['fig7', 'fig8', 'fig15', 'fig17']) for (const id of ids(f)) expect(app.has(id)).toBe(true);
    expect(ids('fig4b')).toHaveLength(9);
    expect(ids('fig6-labels')).toHaveLength(12);
    // Fig. 18's seeds 6 and 7 main runs are Fig. 7's: one run each, not two.
    expect(ids('fig18-seeds')).toEqual(expect.arrayContaining(ids('fig7')));
  });
});

describe('sweep spec errors: one line naming the field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no name', { grid: {} }, /^spec: name: /],
    ['a name unfit for a directory', { name: '../x' }, /^spec: name: expected letters, digits/],
    ['a grid value that is not a list', { name: 'a', grid: { 'task.numLabels': 5 } }, /^spec: grid\.task\.numLabels: /],
    ['an empty grid list', { name: 'a', grid: { 'task.numLabels': [] } }, /grid\.task\.numLabels: expected a non-empty list/],
    ['a malformed path', { name: 'a', grid: { 'task..x': [1] } }, /grid\.task\.\.x: .*dotted config path/],
    ['zip lists of different lengths', { name: 'a', zip: { 'task.numLabels': [5, 10], 'seeds.init': [5] } }, /zip: zipped lists must have equal lengths, got task\.numLabels: 2, seeds\.init: 1/],
    ['an unknown top-level key', { name: 'a', gird: {} }, /^spec: \(root\): Unrecognized key: "gird"/],
    ['a bad member value', { name: 'a', base: tiny, grid: { 'task.numLabels': [5, 1] } }, /^spec: member 1 \(task\.numLabels=1\): task\.numLabels: /],
    ['an unknown config path', { name: 'a', grid: { 'task.numLabel': [5] } }, /member 0 .*task: Unrecognized key: "numLabel"/],
    ['a path varied twice', { name: 'a', grid: { 'seeds.init': [5] }, seeds: [6] }, /seeds\.init is varied twice/],
    ['a parent and child path', { name: 'a', grid: { task: [{}], 'task.numLabels': [5] } }, /task\.numLabels is varied twice \(also task\)/],
    ['duplicate members', { name: 'a', grid: { 'task.numLabels': [5, 5] } }, /members 0 and 1 have the same config/],
    ['an unknown preset', { name: 'a', base: { preset: 'nope' } }, /member 0: preset: unknown preset "nope"/],
    ['too many members', { name: 'a', grid: { 'seeds.init': [...Array(200).keys()].map((i) => i + 10), 'optim.lr': [...Array(60).keys()].map((i) => (i + 1) * 1e-6) } }, /expands to 12000 members, more than 10000/],
  ];
  for (const [name, spec, pattern] of cases)
    it(name, () => {
      let msg = '';
      try {
        expandSweep(spec, 'spec');
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(pattern);
      expect(msg).not.toContain('\n');
    });

  it('a missing spec file names the presets', () => {
    expect(() => loadSweepSpec('nope.json')).toThrow(/sweep spec not found: nope\.json \(a JSON file, or a preset: paper-main, paper-appendix, fig7-graft, fig18-seeds, fig3, fig4b, fig5b, fig6-classes, fig6-labels, fig7, fig8, fig15, fig17, smoke\)/);
  });

  it('member configs are the ones parseRunConfig accepts', () => {
    const m = expandSweep({ name: 'v', base: tiny }).members[0];
    expect(parseRunConfig(m.config)).toEqual(m.config);
  });
});
