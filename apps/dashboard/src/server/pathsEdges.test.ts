/**
 * The edges of the dashboard's path layer that paths.test.ts (statuses of hostile names) leaves open: how the
 * runs directory itself is found (unset, missing, a file), what each refusal says (one line naming the value,
 * control characters masked), the 200-character limit to the character, missing files under a real parent, and
 * each of the files the engine reads by name being a link out of the run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { checkRunId, containedPath, runPath, runsDir, runsLocation } from './paths';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-paths-edges-')));
const root = path.join(base, 'runs');
const outside = path.join(base, 'outside');
const saved = { dir: process.env.OPTO_RUNS_DIR, location: process.env.OPTO_RUNS_LOCATION };

beforeAll(() => {
  process.env.OPTO_RUNS_DIR = root;
  fs.mkdirSync(path.join(root, 'ok'), { recursive: true });
  fs.writeFileSync(path.join(root, 'ok', 'run.json'), '{}');
  fs.mkdirSync(path.join(root, 'no-record'));
  fs.writeFileSync(path.join(root, 'plain-file'), 'x');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'x.json'), '{}');
  fs.mkdirSync(path.join(outside, 'dir'));
  // a run whose every engine-read file in turn is a link out: one run per file
  for (const f of ['run.json', 'metrics.jsonl', 'checkpoints', 'analysis']) {
    const run = path.join(root, `leak-${f.replace('.', '-')}`);
    fs.mkdirSync(run);
    if (f !== 'run.json') fs.writeFileSync(path.join(run, 'run.json'), '{}');
    fs.symlinkSync(path.join(outside, f.includes('.') ? 'x.json' : 'dir'), path.join(run, f));
  }
});
afterEach(() => {
  process.env.OPTO_RUNS_DIR = root;
  if (saved.location === undefined) delete process.env.OPTO_RUNS_LOCATION;
  else process.env.OPTO_RUNS_LOCATION = saved.location;
});
afterAll(() => {
  if (saved.dir === undefined) delete process.env.OPTO_RUNS_DIR;
  else process.env.OPTO_RUNS_DIR = saved.dir;
  fs.rmSync(base, { recursive: true, force: true });
});

/** The ApiError `fn` throws, as [status, message]. */
function refusal(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return [e.status, e.message];
    throw e;
  }
  throw new Error('not refused');
}

describe('runsDir: the configured directory, resolved, or a 500 naming what is wrong', () => {
  it('unset, missing and not a directory each get their own message', () => {
    delete process.env.OPTO_RUNS_DIR;
    expect(refusal(runsDir)).toEqual([500, 'OPTO_RUNS_DIR is not set: start the dashboard with `opto dashboard --runs <dir>`']);
    process.env.OPTO_RUNS_DIR = '';
    expect(refusal(runsDir)[0]).toBe(500);
    process.env.OPTO_RUNS_DIR = path.join(base, 'nope');
    expect(refusal(runsDir)).toEqual([500, `runs directory ${path.join(base, 'nope')} does not exist (OPTO_RUNS_DIR)`]);
    process.env.OPTO_RUNS_DIR = path.join(root, 'plain-file');
    expect(refusal(runsDir)).toEqual([500, `runs directory ${path.join(root, 'plain-file')} is not a directory (OPTO_RUNS_DIR)`]);
  });

  it('a symlinked runs directory resolves to its real path', () => {
    const link = path.join(base, 'runs-link');
    fs.symlinkSync(root, link);
    process.env.OPTO_RUNS_DIR = link;
    expect(runsDir()).toBe(root);
  });
});

describe('runsLocation: what resume commands name', () => {
  it('the bucket URL over the directory, the directory over the default', () => {
    process.env.OPTO_RUNS_LOCATION = 's3://bucket/team';
    expect(runsLocation()).toBe('s3://bucket/team');
    delete process.env.OPTO_RUNS_LOCATION;
    expect(runsLocation()).toBe(root);
    delete process.env.OPTO_RUNS_DIR;
    expect(runsLocation()).toBe('runs');
  });
});

describe('checkRunId: the limits to the character and the messages', () => {
  it('200 characters pass, 201 do not; non-strings are refused', () => {
    expect(checkRunId('a'.repeat(200))).toBe('a'.repeat(200));
    expect(refusal(() => checkRunId('a'.repeat(201)))).toEqual([400, 'run id must be a non-empty directory name']);
    expect(refusal(() => checkRunId(''))).toEqual([400, 'run id must be a non-empty directory name']);
    expect(refusal(() => checkRunId(['ok']))).toEqual([400, 'run id must be a non-empty directory name']);
  });

  it('the refusal names the id with control characters masked, printable ones kept', () => {
    expect(refusal(() => checkRunId('a\nb\x7fc'))).toEqual([400, "run id 'a?b?c' is not a plain directory name under the runs directory"]);
    expect(refusal(() => checkRunId('a/b'))).toEqual([400, "run id 'a/b' is not a plain directory name under the runs directory"]);
  });
});

describe('containedPath: missing files, exact refusals', () => {
  it('a path that does not exist yet under a real parent is returned as it would be', () => {
    expect(containedPath(root, 'ok', 'analysis', 'wiring.json')).toBe(path.join(root, 'ok', 'analysis', 'wiring.json'));
    expect(containedPath(root, 'new-run', 'deep', 'file')).toBe(path.join(root, 'new-run', 'deep', 'file'));
    expect(containedPath(root)).toBe(root);
  });

  it('leaving by .. and by a link each get their one-line 403', () => {
    expect(refusal(() => containedPath(root, '..', 'outside'))).toEqual([403, 'path escapes the runs directory']);
    expect(refusal(() => containedPath(root, 'leak-run-json', 'run.json'))).toEqual([403, 'leak-run-json/run.json resolves outside the runs directory']);
    // a missing file under a linked-out directory is refused too (the nearest existing parent is outside)
    expect(refusal(() => containedPath(root, 'leak-checkpoints', 'checkpoints', 'missing.safetensors'))).toEqual([
      403,
      'leak-checkpoints/checkpoints/missing.safetensors resolves outside the runs directory',
    ]);
  });
});

describe('runPath: a run, or the one status that says why not', () => {
  it('a run directory is returned; a file, a missing name and a directory without run.json are 404', () => {
    expect(runPath('ok')).toBe(path.join(root, 'ok'));
    expect(refusal(() => runPath('plain-file'))).toEqual([404, "no run 'plain-file' in the runs directory"]);
    expect(refusal(() => runPath('missing'))).toEqual([404, "no run 'missing' in the runs directory"]);
    expect(refusal(() => runPath('no-record'))).toEqual([404, "'no-record' is not a run directory (no run.json)"]);
  });

  it.each(['run.json', 'metrics.jsonl', 'checkpoints', 'analysis'])('a run whose %s links out of the runs directory is 403', (f) => {
    const run = `leak-${f.replace('.', '-')}`;
    expect(refusal(() => runPath(run))).toEqual([403, `${run}/${f} resolves outside the runs directory`]);
  });
});
