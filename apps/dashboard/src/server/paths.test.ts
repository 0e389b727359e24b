/**
 * The dashboard's path layers, each with the one status it must return: a run id that is not a plain
 * directory name is 400 at `checkRunId` (before any filesystem access), a path that leaves the runs
 * directory is 403 at `containedPath`, and a missing run is 404 at `runPath`. The boundary cases are a
 * sibling directory whose name extends the runs directory's (`runs-evil` beside `runs`: a prefix test
 * without a separator lets it through) and symlinks into it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { checkRunId, containedPath, runPath } from './paths';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-paths-')));
const root = path.join(base, 'runs');
const evil = path.join(base, 'runs-evil');
let savedRunsDir: string | undefined;

beforeAll(() => {
  fs.mkdirSync(path.join(root, 'run-a', 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(root, 'run-a', 'run.json'), '{}');
  fs.mkdirSync(path.join(root, 'run-b'));
  fs.writeFileSync(path.join(root, 'run-b', 'run.json'), '{}');
  fs.mkdirSync(path.join(evil, 'stolen'), { recursive: true });
  fs.writeFileSync(path.join(evil, 'stolen', 'run.json'), '{"secret": true}');
  fs.writeFileSync(path.join(evil, 'secret.txt'), 'secret');
  fs.symlinkSync(evil, path.join(root, 'to-sibling'));
  fs.symlinkSync(path.join(evil, 'stolen'), path.join(root, 'stolen-link'));
  fs.symlinkSync(path.join(evil, 'secret.txt'), path.join(root, 'run-a', 'metrics.jsonl'));
  savedRunsDir = process.env.OPTO_RUNS_DIR;
  process.env.OPTO_RUNS_DIR = root;
});
afterAll(() => {
  if (savedRunsDir === undefined) delete process.env.OPTO_RUNS_DIR;
  else process.env.OPTO_RUNS_DIR = savedRunsDir;
  fs.rmSync(base, { recursive: true, force: true });
});

/** The status an ApiError carries, or 'ok'. */
function status(fn: () => unknown): number | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
}

describe('checkRunId: 400 for anything but a plain directory name', () => {
  it.each(['%2e%2e', 'a%2fb', '100%', 'a/b', 'a\\b', '..', '.', '.hidden', 'x\0y', 'tab\there', '', '/etc', 'x'.repeat(201)])('refuses %j', (id) => {
    expect(status(() => checkRunId(id))).toBe(400);
  });
  it.each(['run-a', 'paper-main-d8a35d92b4', 'main-20261125-154322', 'a.b'])('accepts %j', (id) => {
    expect(checkRunId(id)).toBe(id);
  });
});

describe('containedPath: 403 for a path that leaves the runs directory, sibling prefixes included', () => {
  it('a sibling directory whose name starts with the runs directory\'s name', () => {
    expect(status(() => containedPath(root, '..', 'runs-evil'))).toBe(403);
    expect(status(() => containedPath(root, '..', 'runs-evil', 'secret.txt'))).toBe(403);
    expect(status(() => containedPath(root, '../runs-evil/missing.json'))).toBe(403);
  });
  it('symlinks into the sibling, as a directory, a run, or a file inside a run', () => {
    expect(status(() => containedPath(root, 'to-sibling'))).toBe(403);
    expect(status(() => containedPath(root, 'to-sibling', 'secret.txt'))).toBe(403);
    expect(status(() => containedPath(root, 'to-sibling', 'not-yet-there'))).toBe(403);
    expect(status(() => containedPath(root, 'stolen-link', 'run.json'))).toBe(403);
    expect(status(() => containedPath(root, 'run-a', 'metrics.jsonl'))).toBe(403);
  });
  it('paths inside resolve to themselves', () => {
    expect(containedPath(root, 'run-a', 'run.json')).toBe(path.join(root, 'run-a', 'run.json'));
    expect(containedPath(root, 'run-a', 'checkpoints', 'missing.safetensors')).toBe(path.join(root, 'run-a', 'checkpoints', 'missing.safetensors'));
    expect(containedPath(root)).toBe(root);
  });
});

describe('runPath: one status per layer', () => {
  it('404 for a run that is not there; 400 before the filesystem for a malformed id; 403 for a link out', () => {
    expect(status(() => runPath('nope'))).toBe(404);
    expect(status(() => runPath('run%2da'))).toBe(400);
    expect(status(() => runPath('stolen-link'))).toBe(403);
    // run-a exists, but its metrics.jsonl is a link into the sibling: refused as a whole.
    expect(status(() => runPath('run-a'))).toBe(403);
    expect(runPath('run-b')).toBe(path.join(root, 'run-b'));
  });
});
