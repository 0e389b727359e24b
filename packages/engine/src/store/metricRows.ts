/**
 * A DuckDB-resident copy of the rows of many metrics.jsonl files, for a long-lived reader (the dashboard's
 * compare view): each file is parsed once and kept as one table's rows until the file changes (inode, size
 * or mtime), so a repeated aggregation, or another grouping or metric of the same runs, reads no JSON at
 * all. A file that is still being written is read again whole when it grows (its new rows, and a trailing
 * partial line once it is complete, appear in the next answer); a file that goes away loses its rows.
 */
import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

/** inode, size and mtime, or null when the file is absent. */
function stamp(file: string): string | null {
  const st = statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
}

export class MetricRowsTable {
  /** file → the stamp its rows in the table were read under. */
  private readonly loaded = new Map<string, string>();
  /** file → its key in the table's `fid` column (small integers join faster than paths). */
  private readonly ids = new Map<string, number>();
  private created = false;
  /** Refreshes run one at a time: two requests never load the same file twice or interleave deletes. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly table = 'metric_rows') {
    if (!/^\w+$/.test(table)) throw new Error(`table name '${table}' is not an identifier`);
  }

  /** The `fid` of a file's rows (assigned on first sight; the rows are there after a `refresh` naming it). */
  idOf(file: string): number {
    let id = this.ids.get(file);
    if (id === undefined) this.ids.set(file, (id = this.ids.size));
    return id;
  }

  /**
   * Make the table hold the current rows of `files` (absolute paths; absent ones hold none). Each file is
   * stamped before it is read, so a write during the read leaves a newer stamp on disk: read again next time.
   */
  refresh(connection: DuckDBConnection, files: readonly string[]): Promise<void> {
    const run = this.queue.then(() => this.refreshNow(connection, files));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(connection: DuckDBConnection, files: readonly string[]): Promise<void> {
    if (!this.created) {
      const cols = Object.entries(METRIC_COLUMNS).map(([k, t]) => `"${k}" ${t}`);
      await connection.run(`CREATE OR REPLACE TABLE ${this.table} (fid INTEGER, ${cols.join(', ')})`);
      this.created = true;
    }
    const changed: { file: string; fid: number; stamp: string | null }[] = [];
    for (const file of new Set(files)) {
      const s = stamp(file);
      if (s !== (this.loaded.get(file) ?? null)) changed.push({ file, fid: this.idOf(file), stamp: s });
    }
    if (!changed.length) return;
    await connection.run(`DELETE FROM ${this.table} WHERE fid IN (${changed.map((c) => c.fid).join(', ')})`);
    const present = changed.filter((c) => c.stamp !== null);
    if (present.length) {
      const cols = Object.keys(METRIC_COLUMNS).map((k) => `r."${k}"`).join(', ');
      const fids = `(VALUES ${present.map((c) => `(${lit(c.file)}, ${c.fid})`).join(', ')}) AS f(file, fid)`;
      await connection.run(`INSERT INTO ${this.table} SELECT f.fid, ${cols} FROM (${readMetricsSql(present.map((c) => c.file))}) r JOIN ${fids} ON r.filename = f.file`);
    }
    for (const c of changed) {
      if (c.stamp === null) this.loaded.delete(c.file);
      else this.loaded.set(c.file, c.stamp);
    }
  }
}
