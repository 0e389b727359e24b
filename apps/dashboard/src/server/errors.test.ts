/**
 * How the API turns an error into an answer, without a server: the status (an ApiError's own, 422 for anything
 * else), one line of message, no server path in it (the runs directory as `<runs>`, other absolute paths cut to
 * their last part), never cached; and the two success wrappers' headers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, answerJsonText, ApiError, errorAnswer, errorResponse, redactDeep, redactPaths } from './errors';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-errors-')));
const real = path.join(base, 'runs-real');
const link = path.join(base, 'runs-link');
const saved = process.env.OPTO_RUNS_DIR;

beforeAll(() => {
  fs.mkdirSync(real);
  fs.symlinkSync(real, link);
  process.env.OPTO_RUNS_DIR = link;
});
afterAll(() => {
  if (saved === undefined) delete process.env.OPTO_RUNS_DIR;
  else process.env.OPTO_RUNS_DIR = saved;
  fs.rmSync(base, { recursive: true, force: true });
});

describe('redactPaths', () => {
  it('the runs directory, as configured and as resolved, becomes <runs>', () => {
    expect(redactPaths(`no run.json in ${link}/a`)).toBe('no run.json in <runs>/a');
    expect(redactPaths(`bad checkpoint ${real}/a/checkpoints/5.safetensors`)).toBe('bad checkpoint <runs>/a/checkpoints/5.safetensors');
  });

  it('any other absolute path keeps only its last part, after a blank, quote, bracket, = : or comma', () => {
    expect(redactPaths('cannot read /home/alice/secret/features.h5 here')).toBe('cannot read …/features.h5 here');
    expect(redactPaths("file '/etc/x/y.json' (from=/var/lib/z,/opt/q/r)")).toBe("file '…/y.json' (from=…/z,…/r)");
    expect(redactPaths('/srv/data/a.npy: bad header')).toBe('…/a.npy: bad header');
    expect(redactPaths('[/a/b/c]')).toBe('[…/c]');
  });

  it('leaves relative paths, URLs and single-segment absolute names alone', () => {
    expect(redactPaths('runs/a/run.json is missing')).toBe('runs/a/run.json is missing');
    expect(redactPaths('see https://example.org/docs/page')).toBe('see https://example.org/docs/page');
    expect(redactPaths('/login is the form')).toBe('/login is the form');
  });

  it('without OPTO_RUNS_DIR only the generic rule applies; a missing directory is matched as configured', () => {
    process.env.OPTO_RUNS_DIR = '';
    expect(redactPaths(`${real}/a/run.json`)).toBe('…/run.json');
    // '' is no directory, not the working directory it would resolve to
    expect(redactPaths(`${process.cwd()}/x/run.json`)).toBe('…/run.json');
    process.env.OPTO_RUNS_DIR = path.join(base, 'gone');
    expect(redactPaths(`${path.join(base, 'gone')}/x`)).toBe('<runs>/x');
    process.env.OPTO_RUNS_DIR = link;
  });

  it('of the configured and the real path, the longer is replaced first (one may be a prefix of the other)', () => {
    const realLonger = path.join(base, 'r-real-longer');
    fs.mkdirSync(realLonger);
    fs.symlinkSync(realLonger, path.join(base, 'r'));
    process.env.OPTO_RUNS_DIR = path.join(base, 'r');
    expect(redactPaths(`${realLonger}/a/run.json and ${path.join(base, 'r')}/b`)).toBe('<runs>/a/run.json and <runs>/b');
    process.env.OPTO_RUNS_DIR = link;
  });

  it('redactDeep: every string of a JSON value, numbers, booleans and null kept', () => {
    const v = { a: [`${real}/x`, 3, null, true], b: { c: '/p/q/r' }, d: 'plain' };
    expect(redactDeep(v)).toEqual({ a: ['<runs>/x', 3, null, true], b: { c: '…/r' }, d: 'plain' });
  });
});

describe('error answers', () => {
  it("an ApiError keeps its status; anything else is 422; one line of message, redacted; never cached", async () => {
    const a = errorAnswer(new ApiError(404, `no run 'x'\nstack`));
    expect(a).toEqual({ status: 404, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ error: "no run 'x'" }) });
    expect(errorAnswer(new Error(`corrupt ${real}/a/metrics.jsonl line 3`))).toMatchObject({ status: 422, body: JSON.stringify({ error: 'corrupt <runs>/a/metrics.jsonl line 3' }) });
    expect(errorAnswer('thrown string')).toMatchObject({ status: 422, body: JSON.stringify({ error: 'thrown string' }) });
    expect(new ApiError(400, 'x').name).toBe('ApiError');
    const r = errorResponse(new ApiError(400, 'bad sort'));
    expect(r.status).toBe(400);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.json()).toEqual({ error: 'bad sort' });
  });

  it('answer: the value as uncached JSON, or the error answer', async () => {
    const ok = await answer(async () => ({ n: 1 }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toEqual({ n: 1 });
    const bad = await answer(() => {
      throw new ApiError(403, 'no');
    });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ error: 'no' });
  });

  it('answerJsonText: the text as sent, no-transform when not to be compressed, errors as above', async () => {
    const r = await answerJsonText(async () => '{"a":1}');
    expect([r.status, r.headers.get('content-type'), r.headers.get('cache-control'), await r.text()]).toEqual([200, 'application/json', 'no-store', '{"a":1}']);
    const raw = await answerJsonText(async () => '[]', { compress: false });
    expect(raw.headers.get('cache-control')).toBe('no-store, no-transform');
    const bad = await answerJsonText(async () => {
      throw new Error('boom\nmore');
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ error: 'boom' });
  });
});
