import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReason, dashboardDir, inputsHash } from '../../dist/commands/dashboard.js';

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
