/**
 * The dashboard's API, through its route handlers, against a runs directory the engine wrote: listing,
 * filtering, paging, incremental metrics of a live run, partial and corrupt files, head scores and
 * attention from checkpoints, stored wiring, the report, and every traversal attempt we know of.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inductionStrengthCurve, LIVE_DENSE_SIZE, LiveAnalysis, openAnalysisRun, RunDir, runAnalysis, storeAnalysis, storedAnalysisName, wiringMatrices, writeJsonAtomic, type RunRecord } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as compareRoute from '../app/api/compare/route';
import * as reportFigureRoute from '../app/api/report/figure/[id]/route';
import * as reportRoute from '../app/api/report/route';
import * as attentionRoute from '../app/api/runs/[id]/attention/route';
import * as headsRoute from '../app/api/runs/[id]/heads/route';
import * as metricsRoute from '../app/api/runs/[id]/metrics/route';
import * as detailRoute from '../app/api/runs/[id]/route';
import * as wiringRoute from '../app/api/runs/[id]/wiring/route';
import runListRoute from '../pages/api/runs';
import { viaNodeServer } from '../testing/http';
import { CLAMPED_SPEC, makeFixture, SECRET, type Fixture } from '../testing/fixtures';
import { attentionAt, clearHeadCaches, headCurves } from './heads';
import { headCacheDir } from './headStore';
import { clampSummary, flatten } from './runs';

let fx: Fixture;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-api-'));

beforeAll(async () => {
  fx = await makeFixture(tmp);
  process.env.OPTO_RUNS_DIR = fx.runsDir;
  process.env.OPTO_DASHBOARD_CACHE = path.join(tmp, 'cache');
}, 180_000);
afterAll(async () => {
  await clearHeadCaches();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function call(res: Promise<Response> | Response): Promise<{ status: number; body: Json; text: string }> {
  const r = await res;
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text), text };
}
const list = (q = '') => call(viaNodeServer(runListRoute, `/api/runs${q}`));
type IdRoute = { GET: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response> };
const byId = (route: IdRoute, id: string, q = '') => call(route.GET(new Request(`http://x/api/runs/x${q}`), { params: Promise.resolve({ id }) }));
/** Head curves once the background scorer has nothing pending (the page polls the same way). */
async function settledHeads(id: string, q = ''): Promise<{ status: number; body: Json; polls: number }> {
  for (let polls = 1; ; polls++) {
    const r = await byId(headsRoute, id, q);
    if (r.status !== 200 || r.body.pending === 0) return { ...r, polls };
  }
}
/** Attention patterns once the worker has computed them (the page polls the same way). */
async function settledAttention(id: string, q = ''): Promise<{ status: number; body: Json }> {
  for (;;) {
    const r = await byId(attentionRoute, id, q);
    if (r.status !== 200 || !r.body.pending) return r;
  }
}

describe('run list', () => {
  it('lists every run, an unreadable one with its reason, and not the symlink that leaves the directory', async () => {
    const { status, body } = await list('?limit=500');
    expect(status).toBe(200);
    const ids = body.rows.map((r: Json) => r.id);
    expect(ids).toEqual(['badrows', 'clamped', 'corrupt', 'labels10', 'leaky', 'live', 'smoke']);
    const corrupt = body.rows.find((r: Json) => r.id === 'corrupt');
    expect(corrupt.status).toBe('unreadable');
    expect(corrupt.error).toMatch(/corrupt\/run\.json: not valid JSON/);
    expect(body.presets).toEqual(['smoke']);
    expect(body.statuses).toEqual(['finished', 'running', 'unreadable']);
    expect(body.fields).toEqual(expect.arrayContaining(['task.numLabels', 'schedule.seqs', 'preset', 'status']));
  });

  it('filters by preset, status, clamp and any config field; sorts; pages', async () => {
    expect((await list('?status=running')).body.rows.map((r: Json) => r.id)).toEqual(['live']);
    expect((await list('?f=task.numLabels%3D10&f=status%3Dfinished')).body.rows.map((r: Json) => r.id)).toEqual(['badrows', 'labels10', 'leaky']);
    expect((await list('?f=schedule.seqs%3E%3D20000')).body.rows.map((r: Json) => r.id)).toEqual(['live', 'smoke']);
    expect((await list('?f=data.source~synth&q=smo')).body.rows.map((r: Json) => r.id)).toEqual(['smoke']);
    expect((await list('?clamp=none&preset=smoke')).body.matched).toBe(5);
    expect((await list('?clamp=match')).body.matched).toBe(0);
    const sorted = (await list('?sort=labels&dir=desc')).body.rows.map((r: Json) => r.labels);
    expect(sorted).toEqual([10, 10, 10, 5, 5, 5, null]);
    const page = await list('?sort=id&offset=3&limit=2');
    expect(page.body.rows.map((r: Json) => r.id)).toEqual(['labels10', 'leaky']);
    expect(page.body.matched).toBe(7);
    expect((await list('?f=nonsense')).status).toBe(400);
    expect((await list('?sort=secret')).status).toBe(400);
    expect((await list('?offset=-1')).body.error).toMatch(/offset must be a non-negative integer/);
  });

  it('sees a run appear and its status change without a restart (cache keyed by mtime)', async () => {
    const dir = path.join(fx.runsDir, 'zz-new');
    fs.cpSync(path.join(fx.runsDir, 'labels10'), dir, { recursive: true });
    const rd = RunDir.open(dir);
    rd.writeRecord({ ...rd.readRecord(), status: 'running' });
    expect((await list('?q=zz-new')).body.rows[0].status).toBe('running');
    rd.writeRecord({ ...rd.readRecord(), status: 'failed', error: 'boom' });
    expect((await list('?q=zz-new')).body.rows[0].status).toBe('failed');
    fs.rmSync(dir, { recursive: true });
    expect((await list('?q=zz-new')).body.matched).toBe(0);
  });

  it('lists a run whose run.json arrives after the index first saw its directory (files first, the record last)', async () => {
    const dir = path.join(fx.runsDir, 'zz-late');
    fs.cpSync(path.join(fx.runsDir, 'labels10'), dir, { recursive: true });
    const record = fs.readFileSync(path.join(dir, 'run.json'));
    fs.rmSync(path.join(dir, 'run.json'));
    expect((await list('?q=zz-late')).body.matched).toBe(0);
    // Then nothing but the record, written in the way a bucket refresh writes it, and nothing after it.
    fs.writeFileSync(path.join(dir, '.run.json.tmp'), record);
    fs.renameSync(path.join(dir, '.run.json.tmp'), path.join(dir, 'run.json'));
    expect((await list('?q=zz-late')).body.rows.map((r: Json) => r.id)).toEqual(['zz-late']);
    fs.rmSync(dir, { recursive: true });
    expect((await list('?q=zz-late')).body.matched).toBe(0);
  });

  it('handles 1,000 runs: one page at a time, filters over all of them', async () => {
    const big = path.join(tmp, 'big');
    const template = RunDir.open(path.join(fx.runsDir, 'smoke')).readRecord();
    for (let i = 0; i < 1000; i++) {
      const rd = RunDir.create(path.join(big, `run-${String(i).padStart(4, '0')}`));
      const rec: RunRecord = { ...template, id: `run-${i}`, config: { ...template.config, task: { ...template.config.task, numLabels: 5 + (i % 3) * 5 } } };
      rd.writeRecord(rec);
    }
    const prev = process.env.OPTO_RUNS_DIR;
    process.env.OPTO_RUNS_DIR = big;
    try {
      const all = await list('?limit=50&offset=950');
      expect(all.body.total).toBe(1000);
      expect(all.body.rows).toHaveLength(50);
      expect(all.body.rows[49].id).toBe('run-0999');
      const tens = await list('?f=task.numLabels%3D10&limit=500');
      expect(tens.body.matched).toBe(333);
      expect(tens.body.rows).toHaveLength(333);
      expect((await list('?limit=100000')).body.rows).toHaveLength(500); // a page is capped
    } finally {
      process.env.OPTO_RUNS_DIR = prev;
    }
  });
});

describe('one run', () => {
  it('record, clamp summary, checkpoints and stored analyses', async () => {
    const { status, body } = await byId(detailRoute, 'smoke');
    expect(status).toBe(200);
    expect(body.record.status).toBe('finished');
    expect(body.checkpoints).toEqual([0, 5024, 10016, 15008, 20000].filter((c) => body.checkpoints.includes(c)));
    expect(body.checkpoints.length).toBeGreaterThanOrEqual(4);
    expect(body.analyses).toEqual(['wiring']);
    expect(body.clamp).toBe('none');
  });

  it('metrics: everything, then only the rows after an offset; appended rows show up', async () => {
    const all = await byId(metricsRoute, 'live');
    expect(all.body.status).toBe('running');
    expect(all.body.total).toBe(fx.liveRows);
    expect(all.body.rows).toHaveLength(fx.liveRows);
    const rd = RunDir.open(path.join(fx.runsDir, 'live'));
    rd.appendMetrics(fx.smokeRows.slice(fx.liveRows, fx.liveRows + 3));
    const next = await byId(metricsRoute, 'live', `?after=${fx.liveRows}`);
    expect(next.body.after).toBe(fx.liveRows);
    expect(next.body.rows).toEqual(fx.smokeRows.slice(fx.liveRows, fx.liveRows + 3));
    expect(next.body.total).toBe(fx.liveRows + 3);
    const evalOnly = await byId(metricsRoute, 'smoke', '?kind=eval');
    expect(evalOnly.body.rows.every((r: Json) => r.kind === 'eval')).toBe(true);
    expect((await byId(metricsRoute, 'smoke', '?kind=bogus')).status).toBe(400);
    expect((await byId(metricsRoute, 'smoke', '?after=-3')).status).toBe(400);
  });

  it('a partial last row is ignored and flagged until it is complete; a shrunk file resets the offset', async () => {
    const rd = RunDir.open(path.join(fx.runsDir, 'live'));
    const before = (await byId(metricsRoute, 'live')).body.total;
    const line = JSON.stringify(fx.smokeRows[fx.liveRows + 3]);
    fs.appendFileSync(rd.metricsFile, line.slice(0, 20));
    const torn = await byId(metricsRoute, 'live', `?after=${before}`);
    expect(torn.status).toBe(200);
    expect(torn.body.partial).toBe(true);
    expect(torn.body.rows).toEqual([]);
    fs.appendFileSync(rd.metricsFile, line.slice(20) + '\n');
    const whole = await byId(metricsRoute, 'live', `?after=${before}`);
    expect(whole.body.partial).toBe(false);
    expect(whole.body.rows).toEqual([fx.smokeRows[fx.liveRows + 3]]);
    const reset = await byId(metricsRoute, 'live', '?after=100000');
    expect(reset.body.reset).toBe(true);
    expect(reset.body.after).toBe(0);
  });

  it('a malformed row in the middle is a 422 naming the file and line, not a crash', async () => {
    const r = await byId(metricsRoute, 'badrows');
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/badrows\/metrics\.jsonl:4: malformed metrics row/);
    const c = await byId(detailRoute, 'corrupt');
    expect(c.status).toBe(422);
    expect(c.body.error).toMatch(/corrupt\/run\.json: not valid JSON/);
  });

  it('head curves: every checkpoint scored, 8 induction strengths and 8 previous-token scores each', async () => {
    const { status, body } = await settledHeads('smoke');
    expect(status).toBe(200);
    const detail = (await byId(detailRoute, 'smoke')).body;
    expect(body.points.map((p: Json) => p.seqs)).toEqual(detail.checkpoints);
    for (const p of body.points) {
      expect(p.strength).toHaveLength(8);
      expect(p.prevToken).toHaveLength(8);
      for (const v of [...p.strength, ...p.prevToken]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    expect(body.errors).toEqual([]);
    expect(body.denseSet).toMatch(/stratified subsample 1000\/78400/);
    // Cached: the same numbers again, and a rewritten checkpoint is rescored.
    const again = await byId(headsRoute, 'smoke');
    expect(again.body.pending).toBe(0);
    expect(again.body.points).toEqual(body.points);
  });

  it('head curves from the worker thread are the numbers of the engine called directly on the same dense set', async () => {
    const { body } = await settledHeads('smoke');
    const a = await openAnalysisRun(path.join(fx.runsDir, 'smoke'), { size: LIVE_DENSE_SIZE });
    expect(body.denseSet).toBe(a.ev.set.description);
    expect(body.points).toEqual(inductionStrengthCurve(a.ev, a.load, a.checkpoints));
  });

  it('the first answer for an unscored run does not wait for every checkpoint; later answers fill in', async () => {
    fs.cpSync(path.join(fx.runsDir, 'smoke'), path.join(fx.runsDir, 'fresh'), { recursive: true });
    const cks = (await byId(detailRoute, 'fresh')).body.checkpoints;
    const first = await headCurves('fresh', { waitMs: 0 });
    expect(first.pending).toBeGreaterThan(0);
    expect(first.points.length + first.pending).toBe(cks.length);
    const done = await settledHeads('fresh');
    expect(done.polls).toBeGreaterThan(0);
    expect(done.body.points.map((p: Json) => p.seqs)).toEqual(cks);
    fs.rmSync(path.join(fx.runsDir, 'fresh'), { recursive: true });
  });

  it('the first attention answer for an unopened run is pending; later answers are the in-process numbers', async () => {
    fs.cpSync(path.join(fx.runsDir, 'smoke'), path.join(fx.runsDir, 'fresh-att'), { recursive: true });
    const dir = path.join(fx.runsDir, 'fresh-att');
    const last = RunDir.open(dir).listCheckpoints().at(-1)!;
    const first = await attentionAt('fresh-att', undefined, { waitMs: 0 });
    expect(first).toMatchObject({ seqs: last, pending: true, heads: [] });
    const done = await settledAttention('fresh-att');
    expect(done.status).toBe(200);
    expect(done.body.pending).toBe(false);
    expect(done.body.seqs).toBe(last);
    const live = new LiveAnalysis(LIVE_DENSE_SIZE);
    expect(done.body.heads).toEqual(await live.attention(dir, RunDir.open(dir).checkpointFile(last), 'run'));
    expect(done.body.denseSet).toBe((await live.info(dir)).denseSet);
    fs.rmSync(dir, { recursive: true });
  });

  it("a run the worker cannot open answers pending at first, then the engine's reason, for heads and attention", async () => {
    const dir = path.join(fx.runsDir, 'badconfig');
    fs.cpSync(path.join(fx.runsDir, 'smoke'), dir, { recursive: true });
    const rd = RunDir.open(dir);
    const rec = rd.readRecord();
    rd.writeRecord({ ...rec, config: { ...rec.config, model: { ...rec.config.model, nHeads: 'eight' } } } as unknown as RunRecord);
    // The first answer is pending unless the worker, already running, failed to open the run within that
    // same turn (a race CI lost once); either way it must not be a score.
    const first = await headCurves('badconfig', { waitMs: 0 }).then(
      (r) => r,
      (e: Error) => e,
    );
    if (first instanceof Error) expect(first.message).toMatch(/badconfig\/run\.json config.*nHeads/);
    else expect(first).toMatchObject({ pending: rd.listCheckpoints().length, points: [] });
    const heads = await settledHeads('badconfig');
    expect(heads.status).toBe(422);
    expect(heads.body.error).toMatch(/badconfig\/run\.json config.*nHeads/);
    const att = await settledAttention('badconfig');
    expect(att.status).toBe(422);
    expect(att.body.error).toMatch(/badconfig\/run\.json config.*nHeads/);
    fs.rmSync(dir, { recursive: true });
  });

  it("a clamped run: head curves under its own spec are the engine's curve with that spec, ?clamp=none the clean curve; an ablated head differs", async () => {
    const dir = path.join(fx.runsDir, 'clamped');
    const asTrained = await settledHeads('clamped');
    expect(asTrained.status).toBe(200);
    // Kept apart by clamp choice: the unclamped curves are not the clamped ones from the cache.
    const firstNone = await headCurves('clamped', { clamp: 'none', waitMs: 0 });
    expect(firstNone.clamp).toBe('none');
    expect(firstNone.pending).toBeGreaterThan(0);
    const unclamped = await settledHeads('clamped', '?clamp=none');
    const a = await openAnalysisRun(dir, { size: LIVE_DENSE_SIZE });
    expect(a.clamp).toMatchObject(CLAMPED_SPEC);
    expect(asTrained.body.points).toEqual(inductionStrengthCurve(a.ev, a.load, a.checkpoints, CLAMPED_SPEC));
    expect(unclamped.body.points).toEqual(inductionStrengthCurve(a.ev, a.load, a.checkpoints));
    expect(asTrained.body).toMatchObject({ clamp: 'run', runClamp: 'ablate 0:1,1:0; prevToken 0:2', ablated: ['L1H1', 'L2H0'], patternClamped: ['L1H2'], pending: 0, errors: [] });
    expect(unclamped.body).toMatchObject({ clamp: 'none', runClamp: 'ablate 0:1,1:0; prevToken 0:2', ablated: ['L1H1', 'L2H0'], pending: 0 });
    const [c, u] = [asTrained.body.points.at(-1), unclamped.body.points.at(-1)];
    // L2H0 (ablated) reads a residual without L1H1 and with L1H2 clamped: its scores change.
    expect(c.strength[0]).not.toBe(u.strength[0]);
    // L1H2 is clamped to the previous token (a_t = 1 at every position: score 1); free, it is not.
    expect(c.prevToken[2]).toBeCloseTo(1, 6);
    expect(u.prevToken[2]).toBeLessThan(0.99);
    expect((await byId(headsRoute, 'clamped', '?clamp=run')).body.points).toEqual(asTrained.body.points);
    const bad = await byId(headsRoute, 'clamped', '?clamp=clean');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("clamp must be run (the run's own clamp spec) or none (unclamped), got 'clean'");
  });

  it('an unclamped run: both clamp choices are one model, scored once', async () => {
    const run = await settledHeads('smoke');
    const none = await headCurves('smoke', { clamp: 'none', waitMs: 0 });
    expect(none).toMatchObject({ clamp: 'none', runClamp: 'none', ablated: [], patternClamped: [], pending: 0 });
    expect(none.points).toEqual(run.body.points);
  });

  it("a clamped run's attention: the clamped head's pattern is the clamp under its own spec, the model's own unclamped", async () => {
    const dir = path.join(fx.runsDir, 'clamped');
    const last = RunDir.open(dir).listCheckpoints().at(-1)!;
    const asTrained = await settledAttention('clamped');
    const unclamped = await settledAttention('clamped', '?clamp=none');
    expect(asTrained.body).toMatchObject({ clamp: 'run', seqs: last, ablated: ['L1H1', 'L2H0'], patternClamped: ['L1H2'] });
    expect(unclamped.body).toMatchObject({ clamp: 'none', seqs: last });
    const live = new LiveAnalysis(LIVE_DENSE_SIZE);
    const file = RunDir.open(dir).checkpointFile(last);
    expect(asTrained.body.heads).toEqual(await live.attention(dir, file, 'run'));
    expect(unclamped.body.heads).toEqual(await live.attention(dir, file, 'none'));
    const pattern = (b: Json, head: string) => b.heads.find((h: Json) => h.head === head).pattern as number[][];
    // Spec 4.4 at strength 1: every position attends to its predecessor only (position 0 to itself).
    pattern(asTrained.body, 'L1H2').forEach((row, q) => row.forEach((v, k) => expect(v).toBeCloseTo(k === Math.max(0, q - 1) ? 1 : 0, 6)));
    expect(pattern(unclamped.body, 'L1H2')[4][3]).toBeLessThan(0.99);
    expect(pattern(asTrained.body, 'L2H0')).not.toEqual(pattern(unclamped.body, 'L2H0'));
    expect((await byId(attentionRoute, 'clamped', '?clamp=x')).status).toBe(400);
  });

  it('head curves survive a restart: stored outside the runs directory, used only while checkpoint, config and engine build are unchanged', async () => {
    const cache = process.env.OPTO_DASHBOARD_CACHE!;
    const dir = path.join(fx.runsDir, 'clamped');
    const listing = (root: string) =>
      fs
        .readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .map((f) => `${f}:${fs.statSync(f).mtimeMs}`)
        .sort();
    const asTrained = await settledHeads('clamped');
    const unclamped = await settledHeads('clamped', '?clamp=none');
    const runsBefore = listing(fx.runsDir);
    expect(fs.readdirSync(cache).filter((f) => f.startsWith('heads-')).length).toBeGreaterThanOrEqual(2);
    await clearHeadCaches(); // memory and worker gone, as after a restart
    const first = await headCurves('clamped', { waitMs: 0 });
    expect(first).toMatchObject({ pending: 0, clamp: 'run' });
    expect(first.points).toEqual(asTrained.body.points);
    expect((await headCurves('clamped', { clamp: 'none', waitMs: 0 })).points).toEqual(unclamped.body.points);
    // Still the engine's numbers under each choice.
    const a = await openAnalysisRun(dir, { size: LIVE_DENSE_SIZE });
    expect(first.points).toEqual(inductionStrengthCurve(a.ev, a.load, a.checkpoints, CLAMPED_SPEC));
    expect(listing(fx.runsDir)).toEqual(runsBefore); // nothing written into the runs directory

    // A rewritten checkpoint is scored again, not taken from the store.
    const rd = RunDir.open(dir);
    const ck = rd.checkpointFile(rd.listCheckpoints()[1]);
    const later = new Date(fs.statSync(ck).mtimeMs + 5000);
    fs.utimesSync(ck, later, later);
    await clearHeadCaches();
    expect((await headCurves('clamped', { waitMs: 0 })).pending).toBe(1);
    expect((await settledHeads('clamped')).body.points).toEqual(asTrained.body.points);
    // Scores stored by another engine build are not used.
    for (const f of fs.readdirSync(cache)) {
      const body = JSON.parse(fs.readFileSync(path.join(cache, f), 'utf8'));
      fs.writeFileSync(path.join(cache, f), JSON.stringify({ ...body, code: 'another-build' }));
    }
    await clearHeadCaches();
    expect((await headCurves('clamped', { waitMs: 0 })).pending).toBe(rd.listCheckpoints().length);
    await settledHeads('clamped');
  });

  it('a cache directory inside the runs directory is never used', async () => {
    const prev = process.env.OPTO_DASHBOARD_CACHE;
    try {
      for (const inside of [path.join(fx.runsDir, 'cache'), fx.runsDir, path.join(fx.runsDir, 'smoke', 'x')]) {
        process.env.OPTO_DASHBOARD_CACHE = inside;
        expect(headCacheDir()).toBeNull();
      }
      process.env.OPTO_DASHBOARD_CACHE = path.join(fx.runsDir, 'cache');
      await clearHeadCaches();
      await settledHeads('labels10');
      expect(fs.existsSync(path.join(fx.runsDir, 'cache'))).toBe(false);
    } finally {
      process.env.OPTO_DASHBOARD_CACHE = prev;
    }
    expect(headCacheDir()).toBe(prev);
  });

  it('a corrupt checkpoint is reported by name while the others still score', async () => {
    const dir = path.join(fx.runsDir, 'live');
    const rd = RunDir.open(dir);
    const cks = rd.listCheckpoints();
    fs.writeFileSync(rd.checkpointFile(cks[1]), 'not a safetensors file');
    const { status, body } = await settledHeads('live');
    expect(status).toBe(200);
    expect(body.points.map((p: Json) => p.seqs)).toEqual(cks.filter((c) => c !== cks[1]));
    expect(body.errors.join('\n')).toMatch(new RegExp(`checkpoint ${cks[1]}:`));
  });

  it('attention: 16 mean 5×5 patterns (both layers), causal rows summing to 1, at any checkpoint', async () => {
    const { body } = await settledAttention('smoke');
    const last = (await byId(detailRoute, 'smoke')).body.checkpoints.at(-1);
    expect(body.seqs).toBe(last);
    expect(body.heads.map((h: Json) => h.head)).toEqual([...Array.from({ length: 8 }, (_, h) => `L1H${h}`), ...Array.from({ length: 8 }, (_, h) => `L2H${h}`)]);
    for (const h of body.heads) {
      expect(h.pattern).toHaveLength(5);
      h.pattern.forEach((row: number[], q: number) => {
        expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
        for (let k = q + 1; k < 5; k++) expect(row[k]).toBeCloseTo(0, 6);
      });
    }
    const first = await settledAttention('smoke', '?seqs=0');
    expect(first.body.seqs).toBe(0);
    expect(first.body.heads[8].pattern).not.toEqual(body.heads[8].pattern);
    expect((await byId(attentionRoute, 'smoke', '?seqs=7')).status).toBe(404);
    expect((await byId(attentionRoute, 'smoke', '?seqs=abc')).status).toBe(400);
  });

  it('wiring: the stored matrices; a hint with the command when absent; a named error when corrupt', async () => {
    const w = await byId(wiringRoute, 'smoke');
    expect(w.body.available).toBe(true);
    expect(w.body.matrices.Mpv).toHaveLength(8);
    expect(w.body.composition.k[0]).toHaveLength(8);
    expect(w.body).toMatchObject({ clamp: 'none', runClamp: 'none', ablated: [] });
    // A clamped run's wiring is of the model as trained by default; the view names what the run's spec manipulates.
    const clamped = await byId(wiringRoute, 'clamped');
    expect(clamped.body).toMatchObject({ available: false, clamp: 'run', runClamp: 'ablate 0:1,1:0; prevToken 0:2', ablated: ['L1H1', 'L2H0'], patternClamped: ['L1H2'] });
    const none = await byId(wiringRoute, 'labels10');
    expect(none.body).toMatchObject({ available: false });
    // No absolute server path in an answer: the runs directory is <runs>.
    expect(none.body.command).toBe('opto analyze <runs>/labels10 --what wiring');
    const dir = path.join(fx.runsDir, 'labels10', 'analysis');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'wiring.json'), JSON.stringify({ result: { matrices: { Mpv: [[1]], Mpp: 'x' } } }));
    const bad = await byId(wiringRoute, 'labels10');
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/labels10\/analysis\/wiring\.json: result\.matrices\.Mpp is not a matrix/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('wiring of a clamped run', () => {
  it('?clamp=run: the matrices with the run\'s clamp spec (stored by the CLI\'s path); ?clamp=none: today\'s unclamped ones; an old unclamped wiring.json is shown as unclamped only', async () => {
    const dir = path.join(fx.runsDir, 'clamped');
    const a = await openAnalysisRun(dir, { size: 100 });
    const at = a.checkpoints[a.checkpoints.length - 1];
    const unclamped = wiringMatrices(a.ev);
    const asTrained = wiringMatrices(a.ev, { base: CLAMPED_SPEC });
    expect(asTrained).not.toEqual(unclamped);
    const store = (clamp: 'run' | 'none') => storeAnalysis(a, storedAnalysisName('wiring', a, clamp), at, runAnalysis('wiring', a, { curve: [], clamp, log: () => {} }));

    // Before the matrices knew the run's spec: wiring.json without result.clamp, computed unclamped.
    fs.mkdirSync(path.join(dir, 'analysis'), { recursive: true });
    writeJsonAtomic(path.join(dir, 'analysis', 'wiring.json'), { what: 'wiring', run: 'clamped', checkpoint: at, denseSet: a.ev.set.description, result: { matrices: unclamped } });
    const oldRun = await byId(wiringRoute, 'clamped', '?clamp=run');
    expect(oldRun.body).toMatchObject({ available: false, clamp: 'run', command: 'opto analyze <runs>/clamped --what wiring' });
    const oldNone = await byId(wiringRoute, 'clamped', '?clamp=none');
    expect(oldNone.body).toMatchObject({ available: true, clamp: 'none', matrices: unclamped });

    expect(store('run').file).toBe(path.join(dir, 'analysis', 'wiring.json'));
    expect(store('none').file).toBe(path.join(dir, 'analysis', 'wiring-unclamped.json'));
    const run = await byId(wiringRoute, 'clamped', '?clamp=run');
    expect(run.body).toMatchObject({ available: true, clamp: 'run', ablated: ['L1H1', 'L2H0'], checkpoint: at });
    expect(run.body.matrices).toEqual(asTrained);
    expect((await byId(wiringRoute, 'clamped')).body.matrices).toEqual(asTrained);
    const none = await byId(wiringRoute, 'clamped', '?clamp=none');
    expect(none.body).toMatchObject({ available: true, clamp: 'none' });
    expect(none.body.matrices).toEqual(unclamped);
    // The run's ablated first-layer head L1H1 stays ablated as trained: removing it again changes nothing.
    for (let i = 0; i < 8; i++) expect(run.body.matrices.Mpv[i][1]).toBe(0);
    expect((await byId(wiringRoute, 'clamped', '?clamp=both')).status).toBe(400);
    fs.rmSync(path.join(dir, 'analysis'), { recursive: true });
  });
});

describe('compare and report', () => {
  it('compare: eval rows and learning time per run; an unreadable run carries its error', async () => {
    const { body } = await call(compareRoute.GET(new Request('http://x/api/compare?runs=smoke,labels10,corrupt')));
    expect(body.map((r: Json) => r.id)).toEqual(['smoke', 'labels10', 'corrupt']);
    expect(body[0].rows.every((r: Json) => r.kind === 'eval')).toBe(true);
    expect(body[0].learningTime).toBe(20_000);
    expect(body[1].labels).toBe(10);
    expect(body[1].classes).toBe(100);
    expect(body[2].error).toMatch(/not valid JSON/);
    const traversal = await call(compareRoute.GET(new Request('http://x/api/compare?runs=smoke,..')));
    expect(traversal.status).toBe(400);
  });

  it("compare: a preset run carries its label from the paper's figure legend (Fig. 5b), others none", async () => {
    const dir = path.join(fx.runsDir, 'fig5b-match-copy');
    fs.cpSync(path.join(fx.runsDir, 'smoke'), dir, { recursive: true });
    try {
      const rd = RunDir.open(dir);
      const rec = rd.readRecord();
      rd.writeRecord({ ...rec, id: 'fig5b-match-copy', config: { ...rec.config, preset: 'fig5b-match' } });
      const { body } = await call(compareRoute.GET(new Request('http://x/api/compare?runs=fig5b-match-copy,smoke')));
      expect(body.map((r: Json) => r.legend)).toEqual(['1, 2, 3qk, 4 (match)', null]);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('report: the claims judged on the runs present, the command that writes the report file, a named error when that file is invalid', async () => {
    const none = await call(reportRoute.GET());
    expect([none.body.available, none.body.command, none.body.report]).toEqual([false, 'opto report --runs <runs>', undefined]);
    // Judged all the same (reportLive.test.ts compares these verdicts with opto report's).
    expect(none.body.live.claims.map((c: Json) => c.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    const file = path.join(fx.runsDir, 'report', 'report.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const report = {
      version: 1,
      generatedAt: new Date().toISOString(),
      runsDir: fx.runsDir,
      claims: [{ id: 3, title: 'loss plateaus at ln 2', group: 'Setup-level', status: 'pass', measured: 'plateau 0.69', numbers: {}, runs: ['smoke'], commands: [], figures: [] }],
      figures: [],
      summary: { pass: 1, fail: 0, missing: 0 },
    };
    writeJsonAtomic(file, report);
    const ok = await call(reportRoute.GET());
    expect(ok.body.report.claims[0].title).toBe('loss plateaus at ln 2');
    writeJsonAtomic(file, { ...report, version: 2 });
    const bad = await call(reportRoute.GET());
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/report\.json: version is 2/);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('report figures: the SVG a figure entry names, as an image that can run nothing; nothing else', async () => {
    const dir = path.join(fx.runsDir, 'report');
    fs.mkdirSync(path.join(dir, 'figures'), { recursive: true });
    const { lossCurvesSpec, renderSvg } = await import('@optoscope/engine');
    fs.writeFileSync(path.join(dir, 'figures', 'fig3a.svg'), await renderSvg(lossCurvesSpec(fx.smokeRows)));
    writeJsonAtomic(path.join(dir, 'report.json'), {
      version: 1,
      generatedAt: new Date().toISOString(),
      runsDir: fx.runsDir,
      claims: [],
      figures: [
        { id: 'fig3a', title: 'Loss', file: 'figures/fig3a.svg', runs: ['smoke'] },
        { id: 'leak', title: 'x', file: '../../secret.txt.svg', runs: [] },
        { id: 'gone', title: 'x', file: 'figures/gone.svg', runs: [] },
        { id: 'notsvg', title: 'x', file: '../../secret.txt', runs: [] },
      ],
      summary: { pass: 0, fail: 0, missing: 0 },
    });
    fs.copyFileSync(fx.secretFile, path.join(tmp, 'secret.txt.svg'));
    const get = async (id: string) => {
      const r = await reportFigureRoute.GET(new Request('http://x/'), { params: Promise.resolve({ id }) });
      return { status: r.status, type: r.headers.get('content-type'), csp: r.headers.get('content-security-policy'), text: await r.text() };
    };
    const ok = await get('fig3a');
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('image/svg+xml; charset=utf-8');
    expect(ok.csp).toContain("default-src 'none'");
    expect(ok.text.startsWith('<svg')).toBe(true);
    expect((await get('leak')).status).toBe(403);
    expect((await get('gone')).status).toBe(404);
    expect((await get('notsvg')).status).toBe(422);
    expect((await get('nope')).status).toBe(404);
    for (const id of ['..', '../secret', '%2e%2e', 'a/b']) expect((await get(id)).status).toBe(400);
    for (const id of ['leak', 'notsvg', '..']) expect((await get(id)).text).not.toContain(SECRET);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('nothing outside the runs directory is reachable', () => {
  const attempts = ['..', '../..', '../secret.txt', '..%2fsecret.txt', '%2e%2e', '%252e%252e%252fsecret.txt', '/etc/passwd', fs.realpathSync(os.tmpdir()), 'a/../../secret.txt', '..\\secret.txt', '.', '.hidden', 'x\0y', ''];
  const routes = { detail: detailRoute, metrics: metricsRoute, heads: headsRoute, attention: attentionRoute, wiring: wiringRoute } as Record<string, IdRoute>;
  for (const [name, route] of Object.entries(routes))
    it(`${name}: refuses traversal ids (${attempts.length} forms)`, async () => {
      for (const id of attempts) {
        const r = await byId(route, id);
        expect([400, 403, 404], `id ${JSON.stringify(id)}`).toContain(r.status);
        expect(r.text).not.toContain(SECRET);
      }
    });

  it('refuses a run directory or a metrics file that is a symlink out of the runs directory', async () => {
    for (const route of [detailRoute, metricsRoute] as IdRoute[]) {
      const esc = await byId(route, 'escape');
      expect(esc.status).toBe(403);
      expect(esc.text).not.toContain(SECRET);
    }
    const leak = await byId(metricsRoute, 'leaky');
    expect(leak.status).toBe(403);
    expect(leak.body.error).toMatch(/resolves outside the runs directory/);
    expect(leak.text).not.toContain(SECRET);
  });

  it('the routes are read-only: only GET is exported', () => {
    for (const m of [detailRoute, metricsRoute, headsRoute, attentionRoute, wiringRoute, compareRoute, reportRoute, reportFigureRoute])
      for (const verb of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(verb in m).toBe(false);
  });

  it('the run list (a pages-router route) answers any method but GET and HEAD with 405, and HEAD with no body', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await viaNodeServer(runListRoute, '/api/runs', { method });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
      expect((await r.json()).error).toMatch(/read-only/);
    }
    const head = await viaNodeServer(runListRoute, '/api/runs?limit=1', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const got = await viaNodeServer(runListRoute, '/api/runs?limit=1');
    expect(got.headers.get('cache-control')).toBe('no-store, no-transform');
    expect(got.headers.get('content-type')).toBe('application/json');
  });
});

describe('helpers', () => {
  it('clamp summaries name what a run clamps', () => {
    expect(clampSummary({})).toBe('none');
    expect(clampSummary({ ablate: ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'] })).toBe('only 1:3');
    expect(clampSummary({ ablate: ['1:0', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7'], match: { heads: ['1:3'], strength: 1 } })).toBe('only 1:3; match 1:3');
    expect(clampSummary({ prevToken: { heads: ['0:2'], strength: 0.5 }, perfectLayer1: true })).toBe('prevToken 0:2@0.5; perfectLayer1');
    expect(clampSummary({ ablate: ['0:1'], preserve: { patterns: true, values: false } })).toBe('ablate 0:1; preserve patterns');
  });
  it('flatten gives dotted config fields', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: null })).toEqual({ 'a.b': 1, 'a.c': '[1,2]', d: null });
  });
});
