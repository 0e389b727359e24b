/**
 * Every way a run finishes leaves its metrics' columnar copy (metrics.parquet) beside its JSON lines before
 * run.json says finished: a single run (`train()`), the runs of a batched device sweep (sweep/batched.ts, on
 * the software WebGPU adapter: llvmpipe, no GPU needed), and `finishRun` itself; a mirrored run gets none.
 * Each copy is checked against the metrics.jsonl parsed here directly, row by row and column by column.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runLocalSweep } from '../sweep/local.js';
import { expandSweep } from '../sweep/spec.js';
import { train } from '../train.js';
import { finishRun } from './finishRun.js';
import { METRICS_PARQUET, sourceStat, validCopy } from './metricsParquet.js';
import { METRIC_COLUMNS } from './metricsSql.js';
import { RunDir } from './runDir.js';

const temps: string[] = [];
const tmp = (p: string) => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), p)));
  return temps[temps.length - 1]!;
};
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The copy's rows, in file order, as plain values (BIGINT as numbers, SQL NULL as null). */
async function copyRows(dir: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const file = path.join(dir, METRICS_PARQUET).replace(/'/g, "''");
    const rows = (await c.runAndReadAll(`SELECT * EXCLUDE (file_row_number) FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`)).getRowObjectsJS();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The copy holds exactly the rows of metrics.jsonl (parsed here, not by DuckDB), and its sidecar says it is of that file. */
async function expectCopyOfMetrics(dir: string): Promise<void> {
  const rd = RunDir.open(dir);
  const direct = rd.readMetrics();
  expect(direct.length).toBeGreaterThan(0);
  const copy = await copyRows(dir);
  expect(copy.map((r) => Object.keys(r))).toEqual(copy.map(() => Object.keys(METRIC_COLUMNS)));
  expect(copy).toEqual(direct.map((row) => Object.fromEntries(Object.keys(METRIC_COLUMNS).map((k) => [k, row[k] ?? null]))));
  expect(validCopy(rd.metricsFile, sourceStat(rd.metricsFile)!)).toBe('stat');
}

describe('finishing a run writes metrics.parquet first', () => {
  it('finishRun: the copy, then the finished record; a mirrored run (its writes told to a listener) gets no copy', async () => {
    const rows = [
      { kind: 'eval' as const, seqs: 0, step: 0, set: 'fsl_train', loss: 2.5, acc: 0.1 },
      { kind: 'train' as const, seqs: 32, step: 1, loss: 2.25, grad_norm: 0.75, steps: 1, wall_s: 0.5 },
      { kind: 'eval' as const, seqs: 32, step: 1, set: 'fsl_train', loss: 1.5, acc: 0.375 },
    ];
    const record = { schema: 'optoscope.run/1', id: 'x', status: 'running', config: {}, progress: { seqs: 32, step: 1 } } as never;
    const plain = RunDir.create(path.join(tmp('opto-finish-'), 'run'));
    plain.appendMetrics(rows);
    const done = await finishRun(plain, record);
    expect(done.status).toBe('finished');
    expect(JSON.parse(fs.readFileSync(plain.recordFile, 'utf8')).status).toBe('finished');
    await expectCopyOfMetrics(plain.dir);

    const mirrored = RunDir.create(path.join(tmp('opto-finish-'), 'run'));
    mirrored.appendMetrics(rows);
    const told: string[] = [];
    mirrored.listener = { written: (rel) => told.push(rel) };
    await finishRun(mirrored, record);
    expect(fs.existsSync(path.join(mirrored.dir, METRICS_PARQUET))).toBe(false);
    expect(told).toEqual(['run.json']);
  });

  it('train(): a single run finishes with its copy', async () => {
    const dir = path.join(tmp('opto-finish-train-'), 'run');
    const { members } = expandSweep({ name: 'one', base: { preset: 'smoke', backend: 'wasm', schedule: { seqs: 96, evalEvery: 32, ckptEvery: 96, evalSize: 16 } } });
    await train(members[0]!.config, { out: dir });
    expect(RunDir.open(dir).readRecord().status).toBe('finished');
    await expectCopyOfMetrics(dir);
  });

  it('a batched WebGPU sweep (2 seeds as 2 replicas of one device step): every run finishes with its copy', { timeout: 900_000 }, async () => {
    const runsDir = path.join(tmp('opto-finish-batched-'), 'runs');
    const { members } = expandSweep({
      name: 'bfin',
      base: { preset: 'smoke', backend: 'webgpu', schedule: { seqs: 64, evalEvery: 32, ckptEvery: 64, evalSize: 16 }, optim: { batchSize: 8 } },
      seeds: [5, 6],
    });
    const placed: { onDevice: boolean; replicas: number }[] = [];
    const out = await runLocalSweep(members, { runsDir, replicas: 2, workers: 1, onEvent: (e) => void (e.type === 'batching' && placed.push(e)) });
    expect(out.results.map((r) => [r.outcome, r.error])).toEqual(members.map(() => ['finished', undefined]));
    // Trained batched on the device, not handed to the wasm pool (whose runs finish through train()).
    expect(placed).toEqual([expect.objectContaining({ onDevice: true, replicas: 2 })]);
    for (const m of members) {
      const dir = path.join(runsDir, m.id);
      const rec = RunDir.open(dir).readRecord();
      expect(rec.status).toBe('finished');
      expect(rec.backend.replicas).toBe(2);
      await expectCopyOfMetrics(dir);
    }
  });
});
