// A finished run's columnar copy (metrics.parquet and its sidecar, store/metricsParquet.ts): what makes a copy
// valid by stat or by content and every way it is not, the row count a sidecar claims, and a copy written from
// hand-made JSON lines read back with DuckDB. Hashes and stats are taken here from the files directly.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { METRICS_PARQUET, METRICS_PARQUET_SIDECAR, metricsCopyRows, metricsParquetFile, sourceStat, validCopy, writeCopyFrom, writeMetricsParquet } from './metricsParquet.js';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const ROWS = [
  { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2.5, acc: 0.25 },
  { kind: 'train', seqs: 32, step: 1, loss: 1.5, grad_norm: 0.5 },
];

function metricsFile(text = ROWS.map((r) => JSON.stringify(r) + '\n').join('')): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-parquet-'));
  const file = path.join(dir, 'metrics.jsonl');
  fs.writeFileSync(file, text);
  return file;
}
const sidecarOf = (file: string) => path.join(path.dirname(file), METRICS_PARQUET_SIDECAR);
const readSide = (file: string) => JSON.parse(fs.readFileSync(sidecarOf(file), 'utf8'));
const writeSide = (file: string, side: unknown) => fs.writeFileSync(sidecarOf(file), JSON.stringify(side));

describe('writing the copy', () => {
  it('writes metrics.parquet beside the JSON lines and a sidecar naming its source, columns, rows and hash', async () => {
    const file = metricsFile();
    const st = fs.statSync(file);
    expect(metricsParquetFile(file)).toBe(path.join(path.dirname(file), METRICS_PARQUET));
    expect(sourceStat(file)).toEqual({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    expect(await writeMetricsParquet(file)).toBe(true);
    const side = readSide(file);
    expect(side.schema).toBe('optoscope.metrics-parquet/1');
    expect(side.source).toEqual({ size: st.size, mtimeMs: st.mtimeMs, sha256: sha(file) });
    expect(side.rows).toBe(2);
    expect(side.parquetSha256).toBe(sha(metricsParquetFile(file)));
    expect(side.columns.split(',').slice(0, 4)).toEqual(['kind', 'seqs', 'step', 'set']);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['metrics.jsonl', METRICS_PARQUET, METRICS_PARQUET_SIDECAR].sort());
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = await c.runAndReadAll(`SELECT kind, seqs, "set", loss, grad_norm FROM read_parquet('${metricsParquetFile(file)}') ORDER BY seqs`);
    expect(r.getRowsJson()).toEqual([
      ['eval', '0', 'fsl_train', 2.5, null],
      ['train', '32', null, 1.5, 0.5],
    ]);
    c.closeSync();
    db.closeSync();
    expect(metricsCopyRows(file)).toBe(2);
    expect(validCopy(file, sourceStat(file)!)).toBe('stat');
  });
  it('writes nothing for a missing file, or when the file changed since its rows were read', async () => {
    const file = metricsFile();
    fs.rmSync(file);
    expect(await writeMetricsParquet(file)).toBe(false);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
    const live = metricsFile();
    const before = sourceStat(live)!;
    fs.appendFileSync(live, JSON.stringify({ kind: 'train', seqs: 64, step: 2, loss: 1 }) + '\n');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    expect(await writeCopyFrom(c, live, 'SELECT 1 AS x', before)).toBe(false);
    const now = sourceStat(live)!;
    for (const other of [{ ino: now.ino + 1 }, { size: now.size + 1 }, { mtimeMs: now.mtimeMs - 1000 }])
      expect(await writeCopyFrom(c, live, 'SELECT 1 AS x', { ...now, ...other }), JSON.stringify(other)).toBe(false);
    expect(fs.readdirSync(path.dirname(live))).toEqual(['metrics.jsonl']);
    // a SELECT that fails leaves no temp file behind
    await expect(writeCopyFrom(c, live, 'SELECT nope', sourceStat(live)!)).rejects.toThrow(/nope/);
    expect(fs.readdirSync(path.dirname(live))).toEqual(['metrics.jsonl']);
    // written in a caller's connection, the copy leaves no temp table behind there
    expect(await writeMetricsParquet(live, c)).toBe(true);
    expect((await c.runAndReadAll('SELECT count(*) FROM duckdb_tables() WHERE temporary')).getRowsJson()).toEqual([['0']]);
    c.closeSync();
    db.closeSync();
  });
});

describe('judging a copy', () => {
  async function copied(): Promise<string> {
    const file = metricsFile();
    // a whole-millisecond mtime, which utimes can set back exactly
    fs.utimesSync(file, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
    await writeMetricsParquet(file);
    return file;
  }
  it('by stat when size and mtime match, by content when only the mtime moved, else not at all', async () => {
    const file = await copied();
    const st = sourceStat(file)!;
    expect(validCopy(file, st)).toBe('stat');
    // same bytes, another mtime (a copied run directory)
    fs.utimesSync(file, new Date(), new Date(Date.now() - 3_600_000));
    expect(validCopy(file, sourceStat(file)!)).toBe('content');
    // same size, other bytes
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('2.5', '3.5'));
    expect(sourceStat(file)!.size).toBe(st.size);
    expect(validCopy(file, sourceStat(file)!)).toBe(false);
    // another size, at the mtime the copy was made from
    fs.appendFileSync(file, '\n');
    fs.utimesSync(file, new Date(), new Date(st.mtimeMs));
    expect(sourceStat(file)!.mtimeMs).toBe(st.mtimeMs);
    expect(validCopy(file, sourceStat(file)!)).toBe(false);
    // the source gone: the content cannot be checked
    const gone = await copied();
    const gst = sourceStat(gone)!;
    fs.rmSync(gone);
    expect(validCopy(gone, { ...gst, mtimeMs: gst.mtimeMs + 1 })).toBe(false);
  });
  it('refuses a sidecar that is missing, damaged, of another schema or columns, or without a source', async () => {
    const file = await copied();
    const st = sourceStat(file)!;
    const good = readSide(file);
    for (const side of [{ ...good, schema: 'optoscope.metrics-parquet/0' }, { ...good, columns: good.columns + ',extra' }, { ...good, source: null }, { ...good, source: 'x' }, null]) {
      writeSide(file, side);
      expect(validCopy(file, st), JSON.stringify(side)).toBe(false);
    }
    fs.writeFileSync(sidecarOf(file), '{"schema":');
    expect(validCopy(file, st)).toBe(false);
    fs.rmSync(sidecarOf(file));
    expect(validCopy(file, st)).toBe(false);
    writeSide(file, good);
    expect(validCopy(file, st)).toBe('stat');
  });
  it('refuses a copy whose bytes changed, a copy that is a link, and a missing copy', async () => {
    const file = await copied();
    const st = sourceStat(file)!;
    const copy = metricsParquetFile(file);
    const bytes = fs.readFileSync(copy);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 1] ^= 1;
    fs.writeFileSync(copy, flipped);
    expect(validCopy(file, st)).toBe(false);
    fs.writeFileSync(copy, bytes);
    expect(validCopy(file, st)).toBe('stat');
    const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-parquet-link-')), 'm.parquet');
    fs.writeFileSync(elsewhere, bytes);
    fs.rmSync(copy);
    expect(validCopy(file, st)).toBe(false);
    fs.symlinkSync(elsewhere, copy);
    expect(validCopy(file, st)).toBe(false);
  });
  it('the row count a sidecar claims, when it is a count', async () => {
    const file = await copied();
    const good = readSide(file);
    expect(metricsCopyRows(file)).toBe(2);
    for (const rows of [-1, 1.5, '2', null]) {
      writeSide(file, { ...good, rows });
      expect(metricsCopyRows(file), String(rows)).toBeNull();
    }
    writeSide(file, { ...good, rows: 0 });
    expect(metricsCopyRows(file)).toBe(0);
    fs.writeFileSync(sidecarOf(file), 'not json');
    expect(metricsCopyRows(file)).toBeNull();
    fs.rmSync(sidecarOf(file));
    expect(metricsCopyRows(file)).toBeNull();
  });
});
