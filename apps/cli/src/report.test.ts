import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandSweep, loadSweepSpec } from '@optoscope/engine';
import { fakeRun } from '@optoscope/engine/testing';
import { writeNpy } from './testing/features.js';
import { optoSync, removeTemps, tmp } from './testing/procs.js';

afterAll(removeTemps);

describe('opto report', () => {
  it('refuses a runs directory that does not exist, with one line and nothing written', () => {
    const d = tmp();
    const r = optoSync(['report', '--runs', 'nope'], d);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--runs: nope is not a directory/);
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('on the main run alone: judges the main-run claims from its analyses, lists the sweeps for the rest, and reuses stored analyses', () => {
    const d = tmp();
    // ~35 s alone; several minutes when CI shares its two cores with other suites.
    const train = optoSync(['train', '--preset', 'main', '--out', 'runs/main'], d, process.env, 360_000);
    expect(train.code, train.stderr).toBe(0);
    const r = optoSync(['report', '--runs', 'runs', '--size', '400', '--json'], d);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const status = Object.fromEntries(report.claims.map((c: { id: number; status: string }) => [c.id, c.status]));
    // Claims read only from the main run and its analyses are judged; the toy model needs no runs.
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 17]) expect(status[id], `claim ${id}`).not.toBe('missing');
    for (const id of [9, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23]) expect(status[id], `claim ${id}`).toBe('missing');
    const commands = new Set(report.claims.flatMap((c: { commands: string[] }) => c.commands));
    expect(commands).toContain('opto sweep fig4b --runs runs --resume');
    // With the main run finished, the clamp runs are asked for on its own heads (pitfall 10).
    expect(commands).toContain(`opto sweep fig5b --runs runs --resume --heads-from ${path.join('runs', 'main')}`);
    for (const f of ['fig3a', 'fig3b', 'fig4a', 'fig5a', 'fig11', 'fig14', 'fig16'])
      expect(fs.readFileSync(path.join(d, 'runs/report/figures', `${f}.svg`), 'utf8').startsWith('<svg'), f).toBe(true);
    expect(fs.readFileSync(path.join(d, 'runs/report/report.md'), 'utf8')).toMatch(/^# Reproduction report/);
    // The analyses are stored with the run and reused: a second report recomputes nothing.
    const analysis = path.join(d, 'runs/main/analysis');
    const stamp = () => fs.readdirSync(analysis).map((f) => `${f}:${fs.statSync(path.join(analysis, f)).mtimeMs}`).sort();
    const before = stamp();
    expect(before.length).toBeGreaterThanOrEqual(7);
    const again = optoSync(['report', '--runs', 'runs', '--size', '400'], d);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/computing/);
    expect(stamp()).toEqual(before);
    expect(again.stdout).toMatch(/\d+ pass, \d+ fail, 11 missing; \d+ figures/);
  }, 900_000); // a 10⁶-sequence run and its analyses: ~1 min alone, more on a busy machine
});

describe('opto report --data', () => {
  // Unfinished main runs: claim 1 then names the run it found and how far it got (a finished one would
  // need checkpoints to pick its heads from).
  it('judges the runs trained on the file, not the synthetic ones with the same other config (and vice versa), and asks for the rest with --data', () => {
    const d = tmp();
    writeNpy(path.join(d, 'feats.npy'), [1623, 5, 8], (i) => (i % 13) / 13);
    const main = (...args: string[]) => expandSweep(loadSweepSpec('fig3', undefined, args.length ? { source: args[0] } : undefined).input).members[0];
    const onFile = main('feats.npy');
    const synthetic = main();
    fakeRun(path.join(d, 'runs', onFile.id), onFile.config, 'interrupted', 400_000);
    fakeRun(path.join(d, 'runs', synthetic.id), synthetic.config, 'interrupted', 600_000);
    const report = (...args: string[]) => {
      const r = optoSync(['report', '--runs', 'runs', '--no-analyses', '--json', ...args], d);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    };
    const claim1 = (rep: { claims: { id: number; runs: string[]; measured: string }[] }) => rep.claims.find((c) => c.id === 1)!;
    const file = report('--data', 'feats.npy');
    expect(claim1(file).runs).toEqual([onFile.id]);
    expect(claim1(file).measured).toBe(`unfinished: main (${onFile.id}, 400k of 1.00M)`);
    expect(file.data.description).toBe(`feature file ${path.join(fs.realpathSync(d), 'feats.npy')} (1623 classes × 5 exemplars × 8 dimensions)`);
    const commands: string[] = [...new Set<string>(file.claims.flatMap((c: { commands: string[] }) => c.commands))];
    expect(commands).toContain('opto sweep fig3 --runs runs --resume --data feats.npy');
    expect(commands.filter((c) => !c.includes(' --data feats.npy'))).toEqual([]);
    expect(fs.readFileSync(path.join(d, 'runs/report/report.md'), 'utf8')).toContain(`Data: ${file.data.description} (\`--data feats.npy\`).`);
    // Without --data: the synthetic run, and the commands as before.
    const plain = report();
    expect(claim1(plain).runs).toEqual([synthetic.id]);
    expect(claim1(plain).measured).toBe(`unfinished: main (${synthetic.id}, 600k of 1.00M)`);
    expect(plain.data.description).toMatch(/^the built-in synthetic features/);
    expect(plain.claims.flatMap((c: { commands: string[] }) => c.commands)).toContain('opto sweep fig3 --runs runs --resume');
    // Only the file's run: the report on the file finds it, the plain one does not.
    fs.rmSync(path.join(d, 'runs', synthetic.id), { recursive: true });
    expect(claim1(report()).runs).toEqual([]);
    expect(claim1(report('--data', 'feats.npy')).runs).toEqual([onFile.id]);
  });

  it('refuses a bad --data with one line, before writing anything', () => {
    const d = tmp();
    fs.mkdirSync(path.join(d, 'runs'));
    for (const [args, pattern] of [
      [['--data', 'nope.h5'], /^opto: --data nope\.h5: feature file nope\.h5: not found$/],
      [['--dataset-path', 'a/b'], /^opto: --dataset-path a\/b: give the feature file with --data <file>$/],
    ] as const) {
      const r = optoSync(['report', '--runs', 'runs', ...args], d);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(fs.readdirSync(path.join(d, 'runs'))).toEqual([]);
    }
  });
});
