/**
 * `opto` as a newcomer types it: after `npm ci` (which links the workspace's committed launcher,
 * apps/cli/bin/opto.js, into node_modules/.bin) and a build, `npx opto` runs from the repository root,
 * and so does every command's `--help`. Before a build, the launcher says in one line what to run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LAUNCHER = path.join(ROOT, 'apps/cli/bin/opto.js');
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function run(command: string, args: string[], cwd = ROOT) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The command names listed under "Commands:" in a commander help text (without `help`). */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

describe('opto on the command line', () => {
  it('npm links the committed launcher as the workspace bin', () => {
    const link = path.join(ROOT, 'node_modules/.bin/opto');
    expect(fs.realpathSync(link)).toBe(fs.realpathSync(LAUNCHER));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'apps/cli/package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ opto: './bin/opto.js' });
  });

  it('`npx opto --help` exits 0 from the repository root, and so does every command\'s --help', () => {
    const top = run('npx', ['--no-install', 'opto', '--help']);
    expect(top.stderr).toBe('');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: opto /);
    const commands = commandsIn(top.stdout);
    // The commands README documents; a command that vanished from the help fails here.
    expect(commands).toEqual(expect.arrayContaining(['train', 'eval', 'bench', 'sweep', 'worker', 'runs', 'toy', 'analyze', 'report', 'dashboard']));
    const seen: string[] = [];
    const visit = (words: string[]) => {
      const r = run(LAUNCHER, [...words, '--help']);
      expect(r.code, `opto ${words.join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: opto ${words.join(' ')}\\b`));
      seen.push(words.join(' '));
      for (const sub of commandsIn(r.stdout)) visit([...words, sub]);
    };
    for (const c of commands) visit([c]);
    expect(seen).toEqual(expect.arrayContaining(['runs ls', 'runs query']));
  }, 600_000); // ~20 processes, each importing the engine: seconds apiece on a loaded 2-core machine

  it('before a build, the launcher says in one line what to run, and exits 1', () => {
    // The same launcher file in a copy of the package layout without dist/.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-launcher-'));
    temps.push(dir);
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(LAUNCHER, path.join(dir, 'bin/opto.js'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const r = run(process.execPath, [path.join(dir, 'bin/opto.js'), '--help'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('opto: the CLI is not built yet: run `npm run build` in the repository root first\n');
  });
});
