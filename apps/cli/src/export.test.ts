/**
 * `opto runs export`: the metric rows of the chosen runs as CSV, Parquet or JSON lines, checked against
 * the runs' metrics.jsonl files (CSV parsed here, Parquet read back by DuckDB's parquet reader, JSON lines
 * parsed); bad input is one line, a non-zero exit and no file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseRunConfig, RunDir, syntheticFeatures, train } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-export-'));
const runs = path.join(dir, 'runs');
const opto = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const features = syntheticFeatures({ seed: 0 });
  for (const [id, init] of [['a', 5], ['b', 6], ['c', 7]] as const)
    await train(parseRunConfig({ name: id === 'c' ? 'other' : 'sw', backend: 'wasm', seeds: { init }, schedule: { seqs: 640, evalEvery: 320, ckptEvery: null, evalSize: 50 } }), { out: path.join(runs, id), features });
}, 120_000);

/** The expected rows: every metrics.jsonl line of the runs, with run_id, in the export's order. */
function expected(ids: string[]): Record<string, unknown>[] {
  return ids.flatMap((id) => RunDir.open(path.join(runs, id)).readMetrics().map((r) => ({ run_id: id, ...r })));
}
const key = (r: Record<string, unknown>) => `${r.run_id}|${r.seqs}|${r.kind}|${r.set ?? ''}`;

describe('opto runs export', () => {
  it('CSV of the chosen runs, one row per metrics line, the values as in the files', () => {
    const r = opto(['runs', 'export', 'a', 'b', '--runs', runs, '--format', 'csv', '--out', 'm.csv']);
    expect(r.status, r.stderr).toBe(0);
    const [head, ...lines] = fs.readFileSync(path.join(dir, 'm.csv'), 'utf8').trim().split('\n');
    const cols = head!.split(',');
    const got = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
    const want = expected(['a', 'b']);
    expect(r.stdout).toContain(`${want.length} metric row(s) of 2 run(s) written to m.csv`);
    expect(got.map(key).sort()).toEqual(want.map(key).sort());
    const byKey = new Map(got.map((g) => [key(g), g]));
    for (const w of want) for (const c of ['loss', 'acc', 'grad_norm', 'wall_s']) if (typeof w[c] === 'number') expect(Number(byKey.get(key(w))![c]), c).toBeCloseTo(w[c] as number, 12);
  });

  it('Parquet (read back by DuckDB) and JSON lines of a sweep', async () => {
    expect(opto(['runs', 'export', '--sweep', 'sw', '--runs', runs, '--format', 'parquet', '--out', 'm.parquet']).status).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (await c.runAndReadAll(`SELECT run_id, kind, seqs, "set", loss FROM read_parquet('${path.join(dir, 'm.parquet')}')`)).getRowObjectsJS();
    c.closeSync();
    db.closeSync();
    const want = expected(['a', 'b']);
    expect(rows.length).toBe(want.length);
    const byKey = new Map(rows.map((r) => [key({ ...r, seqs: Number(r.seqs), set: r.set ?? undefined }), r]));
    for (const w of want) expect(byKey.get(key(w))!.loss).toBe(w.loss);
    expect(opto(['runs', 'export', '--runs', runs, '--format', 'jsonl', '--out', 'all.jsonl']).status).toBe(0);
    const lines = fs.readFileSync(path.join(dir, 'all.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(expected(['a', 'b', 'c']).length);
    expect(new Set(lines.map((l) => l.run_id))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('bad input: one line naming the value, exit 1, no file', () => {
    for (const [args, msg] of [
      [['--format', 'xlsx'], /--format must be one of csv, parquet, jsonl, got 'xlsx'/],
      [['nope'], /no run 'nope'/],
      [['--sweep', 'none-such'], /--sweep: no runs of sweep 'none-such'/],
    ] as const) {
      const r = opto(['runs', 'export', ...args, '--runs', runs, '--out', 'bad.out']);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(fs.existsSync(path.join(dir, 'bad.out'))).toBe(false);
    }
  });
});
