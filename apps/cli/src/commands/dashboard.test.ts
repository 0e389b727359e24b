import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allowedHostsFor, buildReason, dashboardDir, inputsHash, isLoopbackHost } from '../../dist/commands/dashboard.js';

// The built CLI, as a user runs it (nx builds it before the tests run). The server itself is exercised
// end to end by apps/dashboard/src/e2e.
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

describe('opto dashboard', () => {
  it('refuses a runs directory that does not exist, in one line, without building anything', () => {
    const dir = path.join(os.tmpdir(), `opto-no-such-runs-${process.pid}`);
    const r = spawnSync(process.execPath, [MAIN, 'dashboard', '--runs', dir, '--port', '0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`opto: --runs ${dir} is not a directory`);
    expect(r.stdout).toBe('');
  });

  it('needs --runs and a valid port', () => {
    const r = spawnSync(process.execPath, [MAIN, 'dashboard'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--runs <dir>/);
    const p = spawnSync(process.execPath, [MAIN, 'dashboard', '--runs', '.', '--port', 'x'], { encoding: 'utf8', timeout: 60_000 });
    expect(p.status).not.toBe(0);
    expect(p.stderr).toMatch(/--port/);
  });

  describe('access', () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-access-'));
    const dash = (args: string[], env: Record<string, string> = {}) => {
      const e: Record<string, string | undefined> = { ...process.env, ...env };
      if (!('OPTO_DASHBOARD_TOKEN' in env)) delete e.OPTO_DASHBOARD_TOKEN;
      return spawnSync(process.execPath, [MAIN, 'dashboard', '--runs', runs, '--port', '0', ...args], { encoding: 'utf8', timeout: 60_000, env: e });
    };
    const HINT = 'make one with `openssl rand -hex 32 > dashboard.token && chmod 600 dashboard.token`';

    it('refuses a non-loopback address without a token, says why and how to make one, and builds nothing', () => {
      // (An address that is not this machine's, such as 192.168.1.20 here, is refused first for that: the
      // bad-input suite checks it.)
      for (const host of ['0.0.0.0', '::']) {
        const r = dash(['--host', host]);
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(`opto: --host ${host} would serve every run to the network without an access token: pass --token-file <file> (or set OPTO_DASHBOARD_TOKEN); ${HINT}\n`);
        expect(r.stdout).toBe('');
      }
    });

    it('a token file that is missing, empty, short or has spaces is one line naming it', () => {
      const f = path.join(runs, 'tok');
      expect(dash(['--host', '0.0.0.0', '--token-file', path.join(runs, 'nope')]).stderr).toBe(`opto: --token-file ${path.join(runs, 'nope')} cannot be read (ENOENT); ${HINT}\n`);
      for (const text of ['', 'short\n', `${'a'.repeat(20)} ${'b'.repeat(20)}\n`]) {
        fs.writeFileSync(f, text, { mode: 0o600 });
        const r = dash(['--host', '0.0.0.0', '--token-file', f]);
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(`opto: --token-file ${f} must hold one token of at least 32 characters and no spaces; ${HINT}\n`);
      }
      const r = dash(['--host', '0.0.0.0'], { OPTO_DASHBOARD_TOKEN: 'short' });
      expect(r.stderr).toBe(`opto: OPTO_DASHBOARD_TOKEN must hold one token of at least 32 characters and no spaces; ${HINT}\n`);
    });

    it('--allowed-host must be a host name; the allow-list is loopback, the listen address and the extras', () => {
      const r = dash(['--allowed-host', 'evil.example/x']);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`opto: --allowed-host 'evil.example/x' is not a host name or address (e.g. dash.example.org, 192.168.1.20, [fd00::5])\n`);
      expect(allowedHostsFor('0.0.0.0', ['Dash.Example.org'])).toEqual(['localhost', '127.0.0.1', '[::1]', 'dash.example.org']);
      expect(allowedHostsFor('192.168.1.20')).toEqual(['localhost', '127.0.0.1', '[::1]', '192.168.1.20']);
      expect(allowedHostsFor('fd00::5')).toEqual(['localhost', '127.0.0.1', '[::1]', '[fd00::5]']);
      for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
      for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
    });
  });

  it('finds the app in the monorepo', () => {
    expect(fs.existsSync(path.join(dashboardDir(), 'next.config.mjs'))).toBe(true);
  });

  it('rebuilds when there is no build, when the build is not its own, and when a source changed; not otherwise', () => {
    const app = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-app-')), 'apps', 'dashboard');
    fs.mkdirSync(path.join(app, 'src', 'app'), { recursive: true });
    fs.writeFileSync(path.join(app, 'src', 'app', 'page.tsx'), 'export default 1;\n');
    fs.writeFileSync(path.join(app, 'next.config.mjs'), 'export default {};\n');
    expect(buildReason(app)).toBe('it has not been built yet');
    fs.mkdirSync(path.join(app, '.next'));
    fs.writeFileSync(path.join(app, '.next', 'BUILD_ID'), 'x');
    expect(buildReason(app)).toBe('the build was not made by opto dashboard');
    fs.writeFileSync(path.join(app, '.next', 'optoscope-inputs.sha256'), inputsHash(app) + '\n');
    expect(buildReason(app)).toBeNull();
    // Rewriting a file with the same bytes (what an engine rebuild does) is not a change.
    fs.writeFileSync(path.join(app, 'next.config.mjs'), 'export default {};\n');
    expect(buildReason(app)).toBeNull();
    fs.writeFileSync(path.join(app, 'src', 'app', 'page.tsx'), 'export default 2;\n');
    expect(buildReason(app)).toMatch(/changed since the last build/);
  });
});
