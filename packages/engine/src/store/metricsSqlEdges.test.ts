/**
 * The typed read of metrics.jsonl files in DuckDB, against the rows parsed here with JSON.parse: every
 * column's name and type, a missing field as NULL, a trailing partial line without values, file names with quotes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../metrics.js';
import { lit, METRIC_COLUMNS, readMetricsSql } from './metricsSql.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opto-sql-it's-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('metricsSql', () => {
  it('lit doubles single quotes', () => {
    expect(lit("it's")).toBe("'it''s'");
    expect(lit("''")).toBe("''''''");
    expect(lit('plain')).toBe("'plain'");
  });

  it('reads every file with typed columns and its file name; a trailing partial line gives no values', async () => {
    const rowsA = [
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 1.5, acc: 0.25, wall_s: 0.5 },
      { kind: 'train', seqs: 64, step: 2, loss: 1.25, grad_norm: 3.5, steps: 2, wall_s: 1 },
    ];
    const rowsB = [{ kind: 'eval', seqs: 9_000_000_000, step: 1, set: "o'set", loss: 2, acc: 1 }];
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, "b'.jsonl");
    fs.writeFileSync(a, rowsA.map((r) => JSON.stringify(r)).join('\n') + '\n{"kind":"eval","seqs":12');
    fs.writeFileSync(b, rowsB.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const res = await conn.runAndReadAll(`${readMetricsSql([a, b])} ORDER BY filename, seqs`);
      const types = Object.fromEntries(res.columnNames().map((n, i) => [n, res.columnTypes()[i].toString()]));
      // the row fields, every eval metric, the train window and wall time, then the file name; types by what each holds
      expect(Object.keys(types)).toEqual(['kind', 'seqs', 'step', 'set', ...METRIC_NAMES, 'grad_norm', 'steps', 'wall_s', 'filename']);
      const typeOf = (c: string) => (['kind', 'set', 'filename'].includes(c) ? 'VARCHAR' : ['seqs', 'step'].includes(c) ? 'BIGINT' : c === 'steps' ? 'INTEGER' : 'DOUBLE');
      for (const [c, t] of Object.entries(types)) expect(t, c).toBe(typeOf(c));
      const got = res.getRowObjectsJS();
      // the partial line yields no values (a row of NULLs, which every reader drops by its kind)
      const want = [...rowsA.map((r) => ({ ...r, filename: a })), { filename: a }, ...rowsB.map((r) => ({ ...r, filename: b }))];
      expect(got).toHaveLength(4);
      for (const [i, w] of want.entries()) {
        for (const col of Object.keys(METRIC_COLUMNS)) {
          const v = (w as Record<string, unknown>)[col];
          const g = got[i][col];
          if (v === undefined) expect(g, `${i} ${col}`).toBeNull();
          else if (METRIC_COLUMNS[col] === 'BIGINT') expect(g, `${i} ${col}`).toBe(BigInt(v as number));
          else expect(g, `${i} ${col}`).toBe(v);
        }
        expect(got[i].filename).toBe(w.filename);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
