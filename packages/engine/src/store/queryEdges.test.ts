// The run store without training: run directories written by hand (records, metric rows, checkpoint names, tags),
// so every column of the views, every refusal of `opto runs query` and every way `findRun` resolves a name is
// checked against values the test itself wrote. The trained-run checks stay in query.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { RUN_SCHEMA, RunDir, type MetricRow, type RunStatus } from './runDir.js';
import { findRun, listRuns, openRunStore, queryRuns } from './query.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-query-edges-'));

interface Spec {
  status?: RunStatus;
  labels?: number;
  init?: number;
  updatedAt?: string;
  summary?: Record<string, unknown>;
  rows?: MetricRow[];
}

/** A run as `opto train` leaves it, written by hand. */
function writeRun(runsDir: string, id: string, s: Spec = {}): string {
  const dir = path.join(runsDir, id);
  const rd = RunDir.create(dir);
  const config = parseRunConfig({ name: 'sw', preset: 'paper-main', task: { numLabels: s.labels ?? 5 }, seeds: { init: s.init ?? 5, train: 11, eval: 12 }, schedule: { seqs: 9600 } });
  rd.writeRecord({
    schema: RUN_SCHEMA,
    id,
    status: s.status ?? 'finished',
    created_at: '2026-03-01T10:00:00.000Z',
    updated_at: '',
    config,
    seeds: config.seeds,
    backend: { requested: 'auto', used: 'reference', reason: 'test' },
    code: { version: '0', git: null },
    data: { description: 'synthetic' },
    params: 10,
    progress: { seqs: 6400, step: 200 },
    ...(s.summary ? { summary: s.summary as never } : {}),
  });
  if (s.updatedAt) {
    // run.json as a writer that has since died left it (its checksum dropped, so it is read unchecked)
    const doc = JSON.parse(fs.readFileSync(rd.recordFile, 'utf8'));
    delete doc.sha256;
    fs.writeFileSync(rd.recordFile, JSON.stringify({ ...doc, updated_at: s.updatedAt }));
  }
  if (s.rows) rd.appendMetrics(s.rows);
  return dir;
}

describe('listRuns', () => {
  it('lists only directories holding a run.json, sorted by ID, with why an unreadable record failed', () => {
    const runsDir = tmp();
    for (const id of ['b', 'a', 'c']) writeRun(runsDir, id);
    // more names, made in no particular order, so a directory listing's own order cannot pass for sorted
    for (const id of ['m7', 'k2', 'x9', 'd4', 'q1', 'e8', 'w3', 'f5']) fs.mkdirSync(path.join(runsDir, id));
    fs.mkdirSync(path.join(runsDir, 'empty-dir'));
    fs.writeFileSync(path.join(runsDir, 'loose-file'), 'x');
    fs.writeFileSync(path.join(runsDir, 'c', 'run.json'), '{"schema":');
    const runs = listRuns(runsDir);
    expect(runs.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    for (const id of ['m7', 'k2', 'x9', 'd4', 'q1', 'e8', 'w3', 'f5']) fs.writeFileSync(path.join(runsDir, id, 'run.json'), '{}');
    expect(listRuns(runsDir).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd4', 'e8', 'f5', 'k2', 'm7', 'q1', 'w3', 'x9']);
    expect(runs[0]).toMatchObject({ id: 'a', dir: path.join(runsDir, 'a'), stale: null });
    expect(runs[0].record!.status).toBe('finished');
    expect(runs[0].error).toBeUndefined();
    expect(runs[2].record).toBeNull();
    expect(runs[2].stale).toBeNull();
    expect(runs[2].error).toMatch(new RegExp(`^${path.join(runsDir, 'c', 'run.json')}: not valid JSON`));
  });
  it('refuses a runs directory that is missing or a file, in one line', () => {
    const base = tmp();
    expect(() => listRuns(path.join(base, 'none'))).toThrow(`runs directory ${base}/none does not exist`);
    fs.writeFileSync(path.join(base, 'f'), '');
    expect(() => listRuns(path.join(base, 'f'))).toThrow(`runs directory ${base}/f is not a directory`);
  });
  it('marks a running run whose writer is gone as stale, with the resume command for where the runs live', () => {
    const runsDir = tmp();
    writeRun(runsDir, 'dead', { status: 'running', updatedAt: '2020-01-01T00:00:00.000Z' });
    writeRun(runsDir, 'done', { status: 'finished', updatedAt: '2020-01-01T00:00:00.000Z' });
    const [dead, done] = listRuns(runsDir);
    expect(dead.stale).toMatchObject({ lastSeen: '2020-01-01T00:00:00.000Z', why: 'heartbeat too old', resume: `opto train --resume ${path.join(runsDir, 'dead')}` });
    expect(done.stale).toBeNull();
    expect(listRuns(runsDir, 's3://bucket/runs')[0].stale!.resume).toBe('opto train --runs s3://bucket/runs --resume dead');
  });
});

describe('findRun', () => {
  it('takes a run directory path, an ID under the runs directory, or a unique ID prefix', () => {
    const runsDir = tmp();
    for (const id of ['alpha-1', 'beta-1', 'beta-2', 'beta-10']) writeRun(runsDir, id);
    const elsewhere = writeRun(tmp(), 'outside');
    expect(findRun(runsDir, elsewhere).dir).toBe(elsewhere);
    expect(findRun(runsDir, 'beta-1').dir).toBe(path.join(runsDir, 'beta-1'));
    expect(findRun(runsDir, 'alp').dir).toBe(path.join(runsDir, 'alpha-1'));
    expect(findRun(runsDir, path.join(runsDir, 'beta-1')).dir).toBe(path.join(runsDir, 'beta-1'));
    expect(() => findRun(runsDir, 'beta')).toThrow(`'beta' matches 3 runs in ${runsDir}: beta-1, beta-10, beta-2`);
    // a directory that holds no run.json is no run by path: its name is looked up as an ID prefix
    const notRun = path.join(tmp(), 'alp');
    fs.mkdirSync(notRun);
    expect(() => findRun(runsDir, notRun)).toThrow(`no run '${notRun}' in ${runsDir}`);
    expect(() => findRun(runsDir, 'beta')).not.toThrow(', ...');
    expect(() => findRun(runsDir, 'gamma')).toThrow(`no run 'gamma' in ${runsDir} (and no run directory at that path)`);
    expect(() => findRun(path.join(runsDir, 'missing'), 'alpha')).toThrow(`no run 'alpha' in ${runsDir}/missing (and no run directory at that path)`);
  });
  it('names the first five of many matches and says there are more', () => {
    const runsDir = tmp();
    for (let i = 1; i <= 6; i++) writeRun(runsDir, `x${i}`);
    expect(() => findRun(runsDir, 'x')).toThrow(`'x' matches 6 runs in ${runsDir}: x1, x2, x3, x4, x5, ...`);
    fs.rmSync(path.join(runsDir, 'x6'), { recursive: true });
    let message = '';
    try {
      findRun(runsDir, 'x');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`'x' matches 5 runs in ${runsDir}: x1, x2, x3, x4, x5`);
  });
});

describe('queryRuns refusals', () => {
  it('asks for exactly one statement, and refuses every statement that is not SELECT or EXPLAIN by its type', async () => {
    const runsDir = tmp();
    writeRun(runsDir, 'a');
    await expect(queryRuns(runsDir, '  \n ')).rejects.toThrow(/^query: give exactly one SQL statement \(got 0\)$/);
    await expect(queryRuns(runsDir, 'select 1; select 2')).rejects.toThrow(/^query: give exactly one SQL statement \(got 2\)$/);
    const target = path.join(runsDir, 'out.csv');
    for (const [sql, type] of [
      [`copy (select 1) to '${target}'`, 'COPY'],
      ['create table t as select 1', 'CREATE'],
      ["attach ':memory:' as other", 'ATTACH'],
      ['set threads = 1', 'SET'],
    ]) {
      await expect(queryRuns(runsDir, sql)).rejects.toThrow(
        new RegExp(`^query: only read-only statements \\(SELECT, EXPLAIN\\) may run over the run store; this is a ${type} statement$`),
      );
    }
    expect(fs.existsSync(target)).toBe(false);
    const explained = await queryRuns(runsDir, 'explain select * from runs');
    expect(explained.rows.length).toBeGreaterThan(0);
  });
  it('gives a parse error or a failure at run time as its first line', async () => {
    const runsDir = tmp();
    writeRun(runsDir, 'a');
    const failure = (sql: string) =>
      queryRuns(runsDir, sql).then(
        () => null,
        (e: Error) => e,
      );
    const parse = await failure('selec 1');
    expect(parse!.message).toMatch(/^query failed: (Failed to extract statements: )?Parser Error: syntax error at or near "selec"$/);
    expect(parse!.name).toBe('QueryRefused');
    // a value that fails its cast only when the view is read
    const run = await failure('select cast(run_id as integer) from runs');
    expect(run!.message).toMatch(/^query failed: Conversion Error: Could not convert string 'a' to INT32/);
    expect(run!.message).not.toContain('\n');
    const refused = await failure('set threads = 1');
    expect(refused!.name).toBe('QueryRefused');
  });
  it('gives exact 64-bit integers as numbers, larger ones and text as strings', async () => {
    const runsDir = tmp();
    writeRun(runsDir, 'a');
    const r = await queryRuns(runsDir, "select 9007199254740993::BIGINT as big, 9007199254740991::BIGINT as edge, 42::BIGINT as b, 3::HUGEINT as h, 5::UBIGINT as u, 6::UHUGEINT as uh, '7' as s, 8::INTEGER as i");
    expect(r.columns).toEqual(['big', 'edge', 'b', 'h', 'u', 'uh', 's', 'i']);
    expect(r.rows).toEqual([['9007199254740993', 9007199254740991, 42, 3, 5, 6, '7', 8]]);
  });
});

describe('the views', () => {
  it('runs: every column from the record as written, one row per readable run.json', async () => {
    const runsDir = tmp();
    const summary = { learning_time: 4800, learned: true, wall_s: 12.5, ms_per_step: 3.25 };
    writeRun(runsDir, 'r1', { labels: 7, init: 6, summary });
    writeRun(runsDir, 'broken');
    fs.writeFileSync(path.join(runsDir, 'broken', 'run.json'), '[]');
    const cols = 'run_id, status, sweep, preset, classes, labels, seqs, seed_init, seed_train, seed_eval, progress_seqs, learning_time, learned, wall_s, ms_per_step, backend, dir';
    const r = await queryRuns(runsDir, `select ${cols}, epoch_ms(created_at) as created, updated_at is not null as updated from runs`);
    const rec = RunDir.open(path.join(runsDir, 'r1')).readRecord();
    expect(r.rows).toEqual([['r1', 'finished', 'sw', 'paper-main', rec.config.task.classSplit[0], 7, 9600, 6, 11, 12, 6400, 4800, true, 12.5, 3.25, 'reference', path.join(runsDir, 'r1'), Date.parse('2026-03-01T10:00:00.000Z'), true]]);
    const json = await queryRuns(runsDir, "select config->>'$.task.numLabels', summary->>'$.learned', record->>'$.data.description' from runs");
    expect(json.rows).toEqual([['7', 'true', 'synthetic']]);
  });
  it('metrics: the rows of every run with its ID, typed; a partial last line and rows without a kind are left out', async () => {
    const runsDir = tmp();
    const rows: MetricRow[] = [
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2.5, acc: 0.25 },
      { kind: 'train', seqs: 320, step: 10, loss: 1.5, grad_norm: 0.75, steps: 10, wall_s: 1.25 },
    ];
    writeRun(runsDir, 'm1', { rows });
    writeRun(runsDir, 'm2', { rows: [rows[0]] });
    writeRun(runsDir, 'm3');
    fs.appendFileSync(path.join(runsDir, 'm2', 'metrics.jsonl'), '{"seqs": 5, "step": 1}\n{"kind":"eval","seqs":64');
    const r = await queryRuns(runsDir, 'select run_id, kind, seqs, step, set, loss, acc, grad_norm, steps, wall_s from metrics order by run_id, seqs');
    expect(r.rows).toEqual([
      ['m1', 'eval', 0, 0, 'fsl_train', 2.5, 0.25, null, null, null],
      ['m1', 'train', 320, 10, null, 1.5, null, 0.75, 10, 1.25],
      ['m2', 'eval', 0, 0, 'fsl_train', 2.5, 0.25, null, null, null],
    ]);
  });
  it('checkpoints, tags and notes: one row each, in run then key order', async () => {
    const runsDir = tmp();
    const b = writeRun(runsDir, 'b');
    const a = writeRun(runsDir, 'a');
    writeRun(runsDir, 'c');
    fs.rmSync(path.join(runsDir, 'c', 'checkpoints'), { recursive: true });
    for (const [dir, seqs] of [[b, 640], [a, 1280], [a, 320]] as const) fs.writeFileSync(path.join(dir, 'checkpoints', `seqs-${String(seqs).padStart(10, '0')}.safetensors`), '');
    fs.writeFileSync(path.join(a, 'checkpoints', 'notes.txt'), '');
    const ck = await queryRuns(runsDir, 'select run_id, seqs, path from checkpoints');
    expect(ck.rows).toEqual([
      ['a', 320, path.join(a, 'checkpoints', 'seqs-0000000320.safetensors')],
      ['a', 1280, path.join(a, 'checkpoints', 'seqs-0000001280.safetensors')],
      ['b', 640, path.join(b, 'checkpoints', 'seqs-0000000640.safetensors')],
    ]);
    fs.writeFileSync(path.join(b, 'tags.json'), JSON.stringify({ schema: 'optoscope.tags/1', tags: { owner: 'ana', arch: '2L' }, note: "it's slow" }));
    fs.writeFileSync(path.join(a, 'tags.json'), JSON.stringify({ schema: 'optoscope.tags/1', tags: { owner: 'bo' }, note: null }));
    expect((await queryRuns(runsDir, 'select run_id, key, value from tags')).rows).toEqual([
      ['a', 'owner', 'bo'],
      ['b', 'arch', '2L'],
      ['b', 'owner', 'ana'],
    ]);
    expect((await queryRuns(runsDir, 'select run_id, note from notes')).rows).toEqual([['b', "it's slow"]]);
  });
  it('an empty runs directory gives every view, each empty', async () => {
    const runsDir = tmp();
    for (const v of ['runs', 'metrics', 'checkpoints', 'tags', 'notes']) expect((await queryRuns(runsDir, `select * from ${v}`)).rows, v).toEqual([]);
    const store = await openRunStore(runsDir);
    store.close();
  });
  it('a runs directory whose name needs quoting in SQL still reads', async () => {
    const runsDir = path.join(tmp(), "it's here");
    fs.mkdirSync(runsDir);
    writeRun(runsDir, 'q', { rows: [{ kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 1 }] });
    fs.writeFileSync(path.join(runsDir, 'q', 'checkpoints', 'seqs-0000000032.safetensors'), '');
    expect((await queryRuns(runsDir, 'select (select count(*) from runs), (select count(*) from metrics), (select count(*) from checkpoints)')).rows).toEqual([[1, 1, 1]]);
  });
});
