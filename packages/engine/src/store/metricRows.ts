/**
 * The rows of many metrics.jsonl files for a long-lived reader (the dashboard's compare view), kept between
 * requests in DuckDB: each file is read once and kept until the file changes (inode, size or mtime), so a
 * repeated aggregation, or another grouping or metric of the same runs, parses no JSON at all. A file that
 * is still being written is read again whole when it grows (its new rows, and a trailing partial line once
 * it is complete, appear in the next answer); a file that goes away loses its rows.
 *
 * A cold reader's cost is getting the rows in, so a file with a valid columnar copy beside it (a finished
 * run's metrics.parquet: store/metricsParquet.ts) is not loaded at all: its rows are read from the copy in
 * place by each query ({@link MetricRowsTable.relation}; a scan of the few columns a query needs, where
 * materialising 15 columns into a table cost more than parsing the JSON). Only files without one (runs still
 * writing, runs from before the copies, stale or damaged copies) are parsed into the resident table. A
 * finished run's file read from its JSON lines gets its copy written from the rows just loaded, later, off
 * the request's path ({@link MetricRowsTable.saveCopies}).
 */
import * as fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { METRIC_COLUMN_LIST, metricsParquetFile, sourceStat, validCopy, writeCopyFrom, type SourceStat } from './metricsParquet.js';
import { METRIC_COLUMNS, lit, readMetricsSql } from './metricsSql.js';

/** inode, size and mtime, or null when the file is absent. */
const stampOf = (st: SourceStat | null): string | null => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : null);
/** The same of a copy, which must be a plain file (a link could lead a reader out of its runs directory). */
function copyStamp(copy: string): string | null {
  const st = fs.lstatSync(copy, { throwIfNoEntry: false });
  return st?.isFile() ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
}

/** What a run's rows say about it (the sweep aggregation's per-run statistics: aggregate.ts). */
export interface FileStats {
  /** Learning time (spec 5.9) in sequences; null without fsl_train evals. */
  learningTime: number | null;
  learned: boolean;
  /** Last eval x. */
  lastSeqs: number | null;
  /** Last eval loss per eval set. */
  finalLoss: Record<string, number>;
  /** Last train-window loss. */
  finalTrainLoss: number | null;
}

interface Changed {
  file: string;
  fid: number;
  stat: SourceStat | null;
  stamp: string | null;
}

export class MetricRowsTable {
  /** file → the stamp its rows were read under (in the table, or its copy's). */
  private readonly loaded = new Map<string, string>();
  /** Files whose rows are read from their columnar copy: the copy and its stamp when it was checked. */
  private readonly copies = new Map<string, { copy: string; stamp: string }>();
  /** file → its key in the table's `fid` column (small integers join faster than paths). */
  private readonly ids = new Map<string, number>();
  private created = false;
  /** Refreshes run one at a time: two requests never load the same file twice or interleave deletes. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Finished runs' files whose columnar copy is to be (re)written, with the stat their rows were read under. */
  private readonly copyDue = new Map<string, SourceStat>();
  /** Per-run statistics of a file's rows at the version held (aggregate.ts computes them; dropped when the file changes). */
  private readonly stats = new Map<string, FileStats>();
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

  /** The statistics kept for a file's rows as held now, if computed since it last changed. */
  statsOf(file: string): FileStats | undefined {
    return this.stats.get(file);
  }

  /** Keep `s` as the statistics of `file`'s rows as held now (call between a refresh and the next, as `reading` does). */
  keepStats(file: string, s: FileStats): void {
    this.stats.set(file, s);
  }

  /**
   * The rows of `files` (refreshed) as a SQL relation with `fid` and the metrics columns: the resident
   * table's, and the copies' read in place.
   */
  relation(files: readonly string[]): string {
    const fids = [...new Set(files)].map((f) => this.idOf(f));
    const fromCopies = [...new Set(files)].filter((f) => this.copies.has(f));
    const table = `SELECT fid, ${METRIC_COLUMN_LIST} FROM ${this.table} WHERE fid IN (${fids.length ? fids.join(', ') : 'NULL'})`;
    if (!fromCopies.length) return `(${table})`;
    const list = fromCopies.map((f) => lit(this.copies.get(f)!.copy)).join(', ');
    const map = fromCopies.map((f) => `(${lit(this.copies.get(f)!.copy)}, ${this.idOf(f)})`).join(', ');
    return `(${table} UNION ALL SELECT f.fid, ${this.cols('r')} FROM read_parquet([${list}], filename = true) r JOIN (VALUES ${map}) AS f(file, fid) ON r.filename = f.file)`;
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
   * Refresh `files`, then run `read` (queries over {@link relation}) before any other refresh or load:
   * a query's SQL names where each file's rows are (table or copy), which must not change under it.
   */
  reading<T>(connection: DuckDBConnection, files: readonly string[], finished: ReadonlySet<string>, read: () => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await this.refreshNow(connection, files, finished);
      try {
        return await read();
      } catch (e) {
        // A copy read in place went away or changed under the query (removed, replaced): judged again, once.
        if (!this.copiesChanged(files)) throw e;
        await this.refreshNow(connection, files, finished);
        return read();
      }
    });
  }

  /** Whether a copy that `files` are read from has changed since it was checked (the next refresh judges it again). */
  copiesChanged(files: readonly string[]): boolean {
    return files.some((f) => {
      const c = this.copies.get(f);
      return c !== undefined && copyStamp(c.copy) !== c.stamp;
    });
  }

  /**
   * Write the columnar copies that refreshes found missing, stale, unreadable or under another mtime, from
   * the rows read (no JSON parsed again); a file changed since gets none. A copy that cannot be written (a
   * read-only runs directory) is not tried again until the file changes. Returns how many were written.
   */
  saveCopies(connection: DuckDBConnection): Promise<number> {
    return this.enqueue(async () => {
      let written = 0;
      for (const [file, stat] of [...this.copyDue]) {
        this.copyDue.delete(file);
        if (this.loaded.get(file) !== stampOf(stat)) continue;
        const ok = await writeCopyFrom(connection, file, `SELECT ${METRIC_COLUMN_LIST} FROM ${this.relation([file])}`, stat).catch(() => false);
        if (ok) {
          written++;
          // The copy read in place was replaced by the one just written (the same rows).
          const c = this.copies.get(file);
          if (c) c.stamp = copyStamp(c.copy) ?? '';
        }
      }
      return written;
    });
  }

  /**
   * Load the rows read in place from copies into the table (after a cold answer, off the request's path):
   * a scan of the copies answers the first request sooner than loading them would, and the table answers
   * every later one (another grouping, metric or series) sooner than scans would.
   */
  loadCopiedRows(connection: DuckDBConnection): Promise<void> {
    return this.enqueue(async () => {
      const files = [...this.copies.keys()];
      if (!files.length) return;
      // A copy's file has no rows in the table (a file is in one place or the other), so this adds each once.
      await connection.run(`INSERT INTO ${this.table} SELECT fid, ${METRIC_COLUMN_LIST} FROM ${this.relation(files)}`);
      for (const f of files) this.copies.delete(f);
    });
  }

  /** Whether copies are waiting to be written, or rows read in place to be loaded. */
  get copiesDue(): boolean {
    return this.copyDue.size > 0 || this.copies.size > 0;
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
      const copy = this.copies.get(file);
      // A copy read in place is judged again if it changed (replaced, damaged, removed) while its source did not.
      if (stamp !== (this.loaded.get(file) ?? null) || (copy && copyStamp(copy.copy) !== copy.stamp)) changed.push({ file, fid: this.idOf(file), stat, stamp });
    }
    if (!changed.length) return;
    await connection.run(`DELETE FROM ${this.table} WHERE fid IN (${changed.map((c) => c.fid).join(', ')})`);
    for (const c of changed) {
      this.copies.delete(c.file);
      this.stats.delete(c.file);
    }
    const present = changed.filter((c) => c.stat !== null);
    const fromCopy = this.checkCopies(present, finished);
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

  /** Which of the files have a valid columnar copy (metricsParquet.ts: a sidecar read and a hash each); those are read from their copies from now on. */
  private checkCopies(present: readonly Changed[], finished: ReadonlySet<string>): Set<string> {
    const good = new Set<string>();
    for (const c of present) {
      const copy = metricsParquetFile(c.file);
      const stamp = copyStamp(copy);
      const match = stamp === null ? false : validCopy(c.file, c.stat!);
      // The copy changed between its stamp and its check: judged again on the next refresh.
      if (!match || copyStamp(copy) !== stamp) continue;
      good.add(c.file);
      this.copies.set(c.file, { copy, stamp: stamp! });
      this.readFrom.set(c.file, 'parquet');
      // Same bytes under another mtime (a copied or synced run): rewritten so the next cold read is a stat.
      if (match === 'content' && finished.has(c.file)) this.copyDue.set(c.file, c.stat!);
    }
    return good;
  }
}
