// How a run finishes (store/finishRun.ts), on run directories written by hand: the columnar copy first, then
// run.json says finished; a mirrored run gets no copy; a copy that cannot be written is a warning, never a
// failed run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finishRun } from './finishRun.js';
import { METRICS_PARQUET, metricsCopyRows } from './metricsParquet.js';
import { RUN_SCHEMA, RunDir, type RunRecord } from './runDir.js';

const record = (): RunRecord =>
  ({ schema: RUN_SCHEMA, id: 'r', status: 'running', config: { schedule: { seqs: 64 }, task: { classSplit: [1] } }, seeds: {}, progress: { seqs: 64, step: 2 }, backend: {} }) as unknown as RunRecord;

function run(): RunDir {
  const rd = RunDir.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-finish-')), 'r'));
  rd.appendMetrics([
    { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2 },
    { kind: 'train', seqs: 64, step: 2, loss: 1 },
  ]);
  return rd;
}

describe('finishRun', () => {
  it('writes the metrics copy, then the record as finished, and returns what it wrote', async () => {
    const rd = run();
    const order: string[] = [];
    const watcher = fs.watch(rd.dir, (_e, f) => f && !f.startsWith('.') && order.push(String(f)));
    const rec = record();
    const warnings: string[] = [];
    const done = await finishRun(rd, rec, { warn: (w) => warnings.push(w) });
    await new Promise((r) => setTimeout(r, 50));
    watcher.close();
    expect(warnings).toEqual([]);
    expect(done).toEqual({ ...rec, status: 'finished' });
    expect(rec.status).toBe('running');
    expect(rd.readRecord().status).toBe('finished');
    expect(metricsCopyRows(rd.metricsFile)).toBe(2);
    expect(order.indexOf('run.json')).toBeGreaterThan(order.indexOf(METRICS_PARQUET));
    expect(order.indexOf(METRICS_PARQUET)).toBeGreaterThanOrEqual(0);
  });
  it('writes no copy for a mirrored run', async () => {
    const rd = run();
    const heard: string[] = [];
    rd.listener = { written: (rel) => heard.push(rel) };
    await finishRun(rd, record());
    expect(fs.existsSync(path.join(rd.dir, METRICS_PARQUET))).toBe(false);
    expect(heard).toEqual(['run.json']);
    expect(rd.readRecord().status).toBe('finished');
  });
  it('a copy that cannot be written is one warning line, and the run still finishes', async () => {
    const rd = run();
    // a directory where the copy should go: it cannot be replaced by a file
    fs.mkdirSync(path.join(rd.dir, METRICS_PARQUET));
    fs.writeFileSync(path.join(rd.dir, METRICS_PARQUET, 'x'), '');
    const warnings: string[] = [];
    await finishRun(rd, record(), { warn: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^metrics\\.parquet \\(the columnar copy of ${rd.metricsFile}\\) not written: .+`));
    expect(warnings[0]).not.toContain('\n');
    expect(rd.readRecord().status).toBe('finished');
    // without a warn callback it is silent
    await expect(finishRun(rd, record())).resolves.toMatchObject({ status: 'finished' });
  });
});
