// The small store pieces without training or a server: a local runs directory as a RunStore (its write probe and
// refusals), the backend-verdict cache file (what it keeps, what it refuses to trust, where it lives), and
// `opto runs export` of hand-written metric rows in each format, read back here with plain parsing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendTiming } from '../backend.js';
import { defaultVerdictFile, fileVerdictCache } from './backendVerdicts.js';
import { exportMetrics } from './export.js';
import { RUN_SCHEMA, RunDir, type MetricRow } from './runDir.js';
import { LocalRunStore, prepareRunsDir } from './runStore.js';
import { openRunStoreAt } from './runStores.js';
import { messageOfAsync } from '../testing/thrown.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-local-store-'));

describe('a local runs directory as a run store', () => {
  it('is the directory itself: runs train in place, readers read it, nothing is mirrored', async () => {
    const dir = path.join(tmp(), 'runs');
    const store = await openRunStoreAt({ location: dir });
    expect(store).toBeInstanceOf(LocalRunStore);
    expect(store.workDir).toBe(dir);
    expect(store.spec).toEqual({ location: dir });
    await store.prepare();
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]); // the write probe is gone
    await store.checkout('x');
    expect(store.mirror('x')).toBeNull();
    expect(await store.refresh()).toBe(dir);
    await store.publish(dir, 'report');
    store.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
  it('an s3:// location opens an object-storage store that trains in its local cache (`work/` in its cache; nothing is contacted yet)', async () => {
    const cache = tmp();
    const store = await openRunStoreAt({ location: 's3://bucket/runs', cache });
    expect(store).not.toBeInstanceOf(LocalRunStore);
    expect(store.workDir).toBe(path.join(cache, 'work')); // (s3/s3RunStore.ts: work/ beside the mirror of the bucket)
    expect(store.spec.location).toBe('s3://bucket/runs');
    store.close();
  });
  it('refuses a runs directory that is a file, or under one, naming the error code', async () => {
    const base = tmp();
    const file = path.join(base, 'f');
    fs.writeFileSync(file, '');
    expect(() => prepareRunsDir(file)).toThrow(`runs directory ${file} is not writable: exists and is not a directory`);
    expect(() => prepareRunsDir(path.join(file, 'runs'))).toThrow(`runs directory ${file}/runs is not writable: ENOTDIR mkdir`);
    expect(await messageOfAsync(async () => (await openRunStoreAt({ location: path.join(file, 'runs') })).prepare())).toBe(`runs directory ${file}/runs is not writable: ENOTDIR mkdir`);
    expect(() => prepareRunsDir('/proc/sys/opto-runs')).toThrow(/^runs directory \/proc\/sys\/opto-runs is not writable: E[A-Z]+ mkdir$/);
  });
});

describe('the backend verdict cache', () => {
  const env = { ...process.env };
  afterEach(() => {
    for (const k of ['OPTO_CACHE_DIR', 'XDG_CACHE_HOME']) if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  });
  const timing = (over: Partial<BackendTiming> = {}): BackendTiming => ({ wasmMsPerStep: 3.5, webgpuMsPerStep: 9.25, picked: 'wasm', cached: false, measuredAt: '2026-01-01T00:00:00.000Z', ...over });

  it('lives in OPTO_CACHE_DIR, else XDG_CACHE_HOME/optoscope, else ~/.cache/optoscope', () => {
    process.env.OPTO_CACHE_DIR = '/c/opto';
    process.env.XDG_CACHE_HOME = '/c/xdg';
    expect(defaultVerdictFile()).toBe('/c/opto/backend-verdicts.json');
    delete process.env.OPTO_CACHE_DIR;
    expect(defaultVerdictFile()).toBe('/c/xdg/optoscope/backend-verdicts.json');
    delete process.env.XDG_CACHE_HOME;
    expect(defaultVerdictFile()).toBe(path.join(os.homedir(), '.cache', 'optoscope', 'backend-verdicts.json'));
    process.env.OPTO_CACHE_DIR = tmp();
    const cache = fileVerdictCache();
    cache.put('k', timing());
    expect(fs.existsSync(path.join(process.env.OPTO_CACHE_DIR, 'backend-verdicts.json'))).toBe(true);
  });
  it('keeps each verdict by key (stored as measured, read back as cached), making its directory', () => {
    const file = path.join(tmp(), 'deep', 'er', 'v.json');
    const cache = fileVerdictCache(file);
    expect(cache.get('a')).toBeNull();
    cache.put('a', timing());
    cache.put('b', timing({ picked: 'webgpu', cached: true }));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: timing(), b: timing({ picked: 'webgpu', cached: false }) });
    expect(cache.get('a')).toEqual(timing({ cached: true }));
    expect(cache.get('b')).toEqual(timing({ picked: 'webgpu', cached: true }));
    expect(cache.get('c')).toBeNull();
  });
  it('does not trust a verdict with another backend or a timing that is not a number', () => {
    const file = path.join(tmp(), 'v.json');
    const bad = {
      cpu: timing({ picked: 'cpu' as never }),
      nanW: { ...timing(), wasmMsPerStep: null },
      infG: { ...timing(), webgpuMsPerStep: 'fast' },
      noG: { wasmMsPerStep: 1, picked: 'wasm' },
      good: timing(),
    };
    fs.writeFileSync(file, JSON.stringify(bad));
    const cache = fileVerdictCache(file);
    for (const k of ['cpu', 'nanW', 'infG', 'noG']) expect(cache.get(k), k).toBeNull();
    expect(cache.get('good')).toEqual(timing({ cached: true }));
  });
  it('reads a damaged or non-object file as empty and rewrites it whole; a read-only place costs nothing', () => {
    const file = path.join(tmp(), 'v.json');
    for (const text of ['{"a": ', '[1, 2]', 'null', '"x"']) {
      fs.writeFileSync(file, text);
      const cache = fileVerdictCache(file);
      expect(cache.get('a')).toBeNull();
      cache.put('b', timing());
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ b: timing() });
    }
    const blocked = fileVerdictCache(path.join(file, 'under-a-file.json'));
    expect(() => blocked.put('a', timing())).not.toThrow();
    expect(blocked.get('a')).toBeNull();
  });
});

describe('opto runs export', () => {
  function runsDir(): string {
    const dir = tmp();
    const rows: Record<string, MetricRow[]> = {
      b: [
        { kind: 'train', seqs: 64, step: 2, loss: 1.5, grad_norm: 0.5 },
        { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2.5, acc: 0.25 },
      ],
      a: [{ kind: 'eval', seqs: 32, step: 1, set: 'fsl_test_class', loss: 2, acc: 0.5 }],
      c: [],
    };
    for (const [id, rs] of Object.entries(rows)) {
      const rd = RunDir.create(path.join(dir, id));
      rd.writeRecord({ schema: RUN_SCHEMA, id, status: 'finished', config: { schedule: { seqs: 64 }, task: { classSplit: [1] } }, seeds: {}, progress: { seqs: 64 }, backend: {} } as never);
      if (rs.length) rd.appendMetrics(rs);
    }
    return dir;
  }
  it('writes the chosen runs (all by default) ordered by run, x, kind and set, in each format', async () => {
    const dir = runsDir();
    const out = tmp();
    const csv = path.join(out, 'm.csv');
    expect(await exportMetrics(dir, [], 'csv', csv)).toEqual({ rows: 3, runs: ['a', 'b', 'c'] });
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 5)).toEqual(['run_id', 'kind', 'seqs', 'step', 'set']);
    const col = (line: string, name: string) => line.split(',')[header.indexOf(name)];
    expect(lines.slice(1).map((l) => [col(l, 'run_id'), col(l, 'seqs'), col(l, 'kind'), col(l, 'loss')])).toEqual([
      ['a', '32', 'eval', '2.0'],
      ['b', '0', 'eval', '2.5'],
      ['b', '64', 'train', '1.5'],
    ]);
    const jsonl = path.join(out, 'm.jsonl');
    expect(await exportMetrics(dir, ['b'], 'jsonl', jsonl)).toEqual({ rows: 2, runs: ['b'] });
    const objs = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => [o.run_id, o.seqs, o.kind, o.set, o.loss, o.grad_norm])).toEqual([
      ['b', 0, 'eval', 'fsl_train', 2.5, null],
      ['b', 64, 'train', null, 1.5, 0.5],
    ]);
    const pq = path.join(out, 'm.parquet');
    expect((await exportMetrics(dir, ['a', 'c'], 'parquet', pq)).rows).toBe(1);
    expect(fs.readFileSync(pq).subarray(0, 4).toString()).toBe('PAR1');
    expect(fs.readdirSync(out).sort()).toEqual(['m.csv', 'm.jsonl', 'm.parquet']);
  });
  it('an empty runs directory exports a file with no rows', async () => {
    const out = path.join(tmp(), 'e.jsonl');
    expect(await exportMetrics(tmp(), [], 'jsonl', out)).toEqual({ rows: 0, runs: [] });
    expect(fs.readFileSync(out, 'utf8')).toBe('');
  });
  it('refuses an unknown format, unknown runs and a missing output directory, writing nothing', async () => {
    const dir = runsDir();
    const out = tmp();
    expect(await messageOfAsync(() => exportMetrics(dir, [], 'xlsx' as never, path.join(out, 'x')))).toBe("--format must be one of csv, parquet, jsonl, got 'xlsx'");
    expect(await messageOfAsync(() => exportMetrics(dir, ['a', 'zz', 'yy'], 'csv', path.join(out, 'x')))).toBe(`no run 'zz', 'yy' in ${dir}`);
    expect(await messageOfAsync(() => exportMetrics(dir, [], 'csv', path.join(out, 'no', 'x.csv')))).toBe(`output directory ${out}/no does not exist`);
    fs.writeFileSync(path.join(out, 'file'), '');
    expect(await messageOfAsync(() => exportMetrics(dir, [], 'csv', path.join(out, 'file', 'x.csv')))).toBe(`output directory ${out}/file does not exist`);
    expect(fs.readdirSync(out)).toEqual(['file']);
  });
  it('a failed write leaves neither the target nor its temp file', async () => {
    const dir = runsDir();
    const out = tmp();
    // the target is a directory: COPY writes its temp file, the rename over a directory fails
    fs.mkdirSync(path.join(out, 'taken.csv'));
    fs.writeFileSync(path.join(out, 'taken.csv', 'inside'), 'x');
    expect(await messageOfAsync(() => exportMetrics(dir, [], 'csv', path.join(out, 'taken.csv')))).toMatch(/^export failed: /);
    expect(fs.readdirSync(out)).toEqual(['taken.csv']);
    expect(fs.readdirSync(path.join(out, 'taken.csv'))).toEqual(['inside']);
  });
});
