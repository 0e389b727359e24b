/**
 * A DuckDB-resident copy of the rows of many metrics.jsonl files, for a long-lived reader (the dashboard's
 * compare view): each file is parsed once and kept as one table's rows until the file changes (inode, size
 * or mtime), so a repeated aggregation, or another grouping or metric of the same runs, reads no JSON at
 * all. A file that is still being written is read again whole when it grows (its new rows, and a trailing
 * partial line once it is complete, appear in the next answer); a file that goes away loses its rows.
 *
 * A cold reader's cost is the JSON parsing, so a file with a valid columnar copy beside it (a finished
 * run's metrics.parquet: store/metricsParquet.ts) is read from the copy instead. A finished run's file
 * read from its JSON lines (no copy yet, or a stale or unreadable one) gets its copy written from the rows
 * just loaded, later, off the request's path ({@link MetricRowsTable.saveCopies}); runs still writing
 * never get one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { METRIC_COLUMN_LIST, ROW_DIGEST, copyMatches, metricsParquetFile, readCopySources, sourceStat, writeCopyFrom, type MetricsSource, type SourceStat } from './metricsParquet.js';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

/** inode, size and mtime, or null when the file is absent. */
const stampOf = (st: SourceStat | null): string | null => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : null);

interface Changed {
  file: string;
  fid: number;
  stat: SourceStat | null;
  stamp: string | null;
}

export class MetricRowsTable {
  /** file → the stamp its rows in the table were read under. */
  private readonly loaded = new Map<string, string>();
  /** file → its key in the table's `fid` column (small integers join faster than paths). */
  private readonly ids = new Map<string, number>();
  private created = false;
  /** Refreshes run one at a time: two requests never load the same file twice or interleave deletes. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Finished runs' files loaded from JSON whose columnar copy is to be (re)written, with the stat their rows were read under. */
  private readonly copyDue = new Map<string, SourceStat>();
  /** How each file's rows were last read (for tests and the bench: which path a cold read took). */
  readonly readFrom = new Map<string, 'parquet' | 'json'>();

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
   * `finished`: those of the files whose runs have finished (complete, worth a columnar copy).
   */
  refresh(connection: DuckDBConnection, files: readonly string[], finished: ReadonlySet<string> = new Set()): Promise<void> {
    return this.enqueue(() => this.refreshNow(connection, files, finished));
  }

  /**
   * Write the columnar copies that refreshes found missing, stale or unreadable, from the rows loaded (no
   * JSON parsed again); a file changed since its rows were read gets none. A copy that cannot be written
   * (a read-only runs directory) is not tried again until the file changes. Returns how many were written.
   */
  saveCopies(connection: DuckDBConnection): Promise<number> {
    return this.enqueue(async () => {
      let written = 0;
      for (const [file, stat] of [...this.copyDue]) {
        this.copyDue.delete(file);
        if (this.loaded.get(file) !== stampOf(stat)) continue;
        const ok = await writeCopyFrom(connection, file, `SELECT ${METRIC_COLUMN_LIST} FROM ${this.table} WHERE fid = ${this.idOf(file)}`, stat).catch(() => false);
        if (ok) written++;
      }
      return written;
    });
  }

  /** Whether copies are waiting to be written. */
  get copiesDue(): boolean {
    return this.copyDue.size > 0;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(connection: DuckDBConnection, files: readonly string[], finished: ReadonlySet<string>): Promise<void> {
    if (!this.created) {
      const cols = Object.entries(METRIC_COLUMNS).map(([k, t]) => `"${k}" ${t}`);
      await connection.run(`CREATE OR REPLACE TABLE ${this.table} (fid INTEGER, ${cols.join(', ')})`);
      this.created = true;
    }
    const changed: Changed[] = [];
    for (const file of new Set(files)) {
      const stat = sourceStat(file);
      const stamp = stampOf(stat);
      if (stamp !== (this.loaded.get(file) ?? null)) changed.push({ file, fid: this.idOf(file), stat, stamp });
    }
    if (!changed.length) return;
    await connection.run(`DELETE FROM ${this.table} WHERE fid IN (${changed.map((c) => c.fid).join(', ')})`);
    const present = changed.filter((c) => c.stat !== null);
    const fromCopy = await this.loadCopies(connection, present, finished);
    const fromJson = present.filter((c) => !fromCopy.has(c.file));
    if (fromJson.length) {
      await connection.run(`INSERT INTO ${this.table} SELECT f.fid, ${this.cols('r')} FROM (${readMetricsSql(fromJson.map((c) => c.file))}) r JOIN ${this.fidsSql(fromJson)} ON r.filename = f.file`);
      for (const c of fromJson) {
        this.readFrom.set(c.file, 'json');
        if (finished.has(c.file)) this.copyDue.set(c.file, c.stat!);
      }
    }
    for (const c of changed) {
      if (c.stamp === null) {
        this.loaded.delete(c.file);
        this.readFrom.delete(c.file);
      } else this.loaded.set(c.file, c.stamp);
    }
  }

  private cols(alias: string): string {
    return Object.keys(METRIC_COLUMNS).map((k) => `${alias}."${k}"`).join(', ');
  }

  private fidsSql(cs: readonly { file: string; fid: number }[]): string {
    return `(VALUES ${cs.map((c) => `(${lit(c.file)}, ${c.fid})`).join(', ')}) AS f(file, fid)`;
  }

  /**
   * Load the rows of the files whose columnar copy is valid from the copies (one read of their footers,
   * one scan); returns the files loaded. A copy whose rows do not all come back (a damaged file) is not
   * used: its file is read from its JSON lines.
   */
  private async loadCopies(connection: DuckDBConnection, present: readonly Changed[], finished: ReadonlySet<string>): Promise<Set<string>> {
    const loaded = new Set<string>();
    const sources = await readCopySources(connection, present.map((c) => metricsParquetFile(c.file)));
    const valid: (Changed & { source: MetricsSource; copy: string })[] = [];
    for (const c of present) {
      const copy = metricsParquetFile(c.file);
      const source = sources.get(copy);
      const match = source ? copyMatches(source, c.file, c.stat!) : false;
      if (!source || !match) continue;
      valid.push({ ...c, source, copy });
      // Same bytes under another mtime (a copied or synced run): rewritten so the next cold read is a stat.
      if (match === 'content' && finished.has(c.file)) this.copyDue.set(c.file, c.stat!);
    }
    if (!valid.length) return loaded;
    // All at once; if the scan fails (an unreadable copy), one by one, so only the damaged ones are left out.
    const insert = async (vs: typeof valid): Promise<boolean> =>
      connection.run(`INSERT INTO ${this.table} SELECT f.fid, ${this.cols('r')} FROM read_parquet([${vs.map((v) => lit(v.copy)).join(', ')}], filename = true) r JOIN (VALUES ${vs.map((v) => `(${lit(v.copy)}, ${v.fid})`).join(', ')}) AS f(file, fid) ON r.filename = f.file`).then(
        () => true,
        () => false,
      );
    const inserted = (await insert(valid)) ? valid : await filterAsync(valid, (v) => insert([v]));
    if (!inserted.length) return loaded;
    // Every row as written (count and digest per file): a damaged value that still decodes is caught here.
    const got = new Map(
      ((await connection.runAndReadAll(`SELECT fid, count(*) AS n, ${ROW_DIGEST} AS d FROM ${this.table} WHERE fid IN (${inserted.map((v) => v.fid).join(', ')}) GROUP BY fid`)).getRowObjectsJS() as { fid: number; n: bigint; d: string }[]).map((r) => [r.fid, r]),
    );
    const bad: number[] = [];
    for (const v of inserted) {
      const g = got.get(v.fid) ?? { n: 0n, d: '0' }; // no rows at all: no group
      if (Number(g.n) === v.source.rows && g.d === v.source.digest) {
        loaded.add(v.file);
        this.readFrom.set(v.file, 'parquet');
      } else bad.push(v.fid);
    }
    if (bad.length) await connection.run(`DELETE FROM ${this.table} WHERE fid IN (${bad.join(', ')})`);
    return loaded;
  }
}

async function filterAsync<T>(xs: readonly T[], keep: (x: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (const x of xs) if (await keep(x)) out.push(x);
  return out;
}
