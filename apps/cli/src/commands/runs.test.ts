/**
 * `opto runs tag|note` and the tags in `opto runs ls|show|query`, through the built CLI on runs the engine
 * trained. The sidecar is read back from disk, not from what the command printed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, train } from '@optoscope/engine';
import { beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-tags-'));
const runs = path.join(root, 'runs');
const opto = (...args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, 'runs', ...args, '--runs', runs], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const sidecar = (id: string) => JSON.parse(fs.readFileSync(path.join(runs, id, 'tags.json'), 'utf8'));
const files = (id: string) => fs.readdirSync(path.join(runs, id)).sort();

beforeAll(async () => {
  const cfg = (seed: number) => parseRunConfig({ preset: 'smoke', backend: 'wasm', seeds: { init: seed, train: seed + 10, eval: seed + 20 }, schedule: { seqs: 256, evalEvery: 128, ckptEvery: 256, evalSize: 50 } });
  await train(cfg(1), { out: path.join(runs, 'alpha') });
  await train(cfg(2), { out: path.join(runs, 'beta') });
}, 120_000);

describe('opto runs tag / note', () => {
  it('writes tags.json atomically beside run.json; key= removes a tag; later tags merge', () => {
    const before = fs.readFileSync(path.join(runs, 'alpha', 'run.json'));
    const r = opto('tag', 'alpha', 'owner=ana', 'arch=2L');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('alpha: arch=2L owner=ana\n');
    expect(sidecar('alpha')).toMatchObject({ schema: 'optoscope.tags/1', tags: { arch: '2L', owner: 'ana' } });
    expect(opto('tag', 'alpha', 'owner=', 'lr=3e-4').code).toBe(0);
    expect(sidecar('alpha').tags).toEqual({ arch: '2L', lr: '3e-4' });
    // run.json untouched; no temporary file left behind.
    expect(fs.readFileSync(path.join(runs, 'alpha', 'run.json'))).toEqual(before);
    expect(files('alpha').filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(opto('tag', 'beta', 'arch=3L').code).toBe(0);
  });

  it('note: sets, replaces, and "" removes it; tags stay', () => {
    expect(opto('note', 'alpha', 'plateau longer than seed 2').stdout).toBe('alpha: note: plateau longer than seed 2\n');
    expect(sidecar('alpha').note).toBe('plateau longer than seed 2');
    expect(opto('note', 'beta', 'tmp').code).toBe(0);
    expect(opto('note', 'beta', '').stdout).toBe('beta: note removed\n');
    expect(sidecar('beta')).not.toHaveProperty('note');
    expect(sidecar('beta').tags).toEqual({ arch: '3L' });
  });

  it('bad input: one line naming the value, exit 1, tags.json unchanged', () => {
    const keep = fs.readFileSync(path.join(runs, 'alpha', 'tags.json'), 'utf8');
    const cases: [string[], string][] = [
      [['tag', 'nope', 'a=b'], `opto: no run 'nope' in ${runs} (and no run directory at that path)\n`],
      [['tag', 'alpha', 'owner'], `opto: tag 'owner' is not key=value (e.g. owner=ana; key= removes a tag)\n`],
      [['tag', 'alpha', 'ok=1', '=x'], `opto: tag key '' must start with a letter and hold only letters, digits, _ and - (at most 64)\n`],
      [['tag', 'alpha', '9x=1'], `opto: tag key '9x' must start with a letter and hold only letters, digits, _ and - (at most 64)\n`],
      [['tag', 'alpha', `k=${'v'.repeat(201)}`], `opto: tag k: value must be one line of at most 200 characters\n`],
      [['note', 'nope', 'x'], `opto: no run 'nope' in ${runs} (and no run directory at that path)\n`],
      [['ls', '--tag', 'arch'], `opto: tag 'arch' is not key=value (e.g. owner=ana; key= removes a tag)\n`],
    ];
    for (const [args, err] of cases) {
      const r = opto(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toBe(err);
      expect(fs.readFileSync(path.join(runs, 'alpha', 'tags.json'), 'utf8')).toBe(keep);
    }
  });

  it('ls shows tags and notes and filters with --tag (all must match); show and --json carry them', () => {
    const all = opto('ls');
    const line = (id: string) => all.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(line('alpha')).toMatch(/arch=2L lr=3e-4\s+plateau longer than seed 2$/);
    expect(line('beta')).toMatch(/arch=3L$/);
    expect(opto('ls', '--tag', 'arch=2L').stdout).toMatch(/^run .*\nalpha .*\n1 run\(s\)/);
    expect(opto('ls', '--tag', 'arch=2L', '--tag', 'lr=1').stdout).toMatch(/\n0 run\(s\)/);
    const json = JSON.parse(opto('ls', '--json').stdout) as { id: string; tags: Record<string, string>; note: string | null }[];
    expect(json.map((r) => [r.id, r.tags, r.note])).toEqual([
      ['alpha', { arch: '2L', lr: '3e-4' }, 'plateau longer than seed 2'],
      ['beta', { arch: '3L' }, null],
    ]);
    expect(opto('show', 'alpha').stdout).toMatch(/\ntags {8}arch=2L lr=3e-4\nnote {8}plateau longer than seed 2\n/);
  });

  it('query: the tags and notes views', () => {
    const t = JSON.parse(opto('query', 'select run_id, key, value from tags', '--json').stdout);
    expect(t).toEqual([
      { run_id: 'alpha', key: 'arch', value: '2L' },
      { run_id: 'alpha', key: 'lr', value: '3e-4' },
      { run_id: 'beta', key: 'arch', value: '3L' },
    ]);
    const n = JSON.parse(opto('query', "select r.run_id, t.value as arch from runs r join tags t on t.run_id = r.run_id and t.key = 'arch' order by 1", '--json').stdout);
    expect(n).toEqual([
      { run_id: 'alpha', arch: '2L' },
      { run_id: 'beta', arch: '3L' },
    ]);
    expect(JSON.parse(opto('query', 'select * from notes', '--json').stdout)).toEqual([{ run_id: 'alpha', note: 'plateau longer than seed 2' }]);
  });

  it('a corrupt tags.json: ls still lists the run and says so; tag refuses to overwrite it', () => {
    const f = path.join(runs, 'beta', 'tags.json');
    const good = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, '{"schema":');
    expect(opto('ls').stdout).toMatch(/\nbeta .*unreadable tags\.json/);
    const r = opto('tag', 'beta', 'a=b');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^opto: .*beta\/tags\.json: not valid JSON/);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"schema":');
    fs.writeFileSync(f, good);
  });
});
