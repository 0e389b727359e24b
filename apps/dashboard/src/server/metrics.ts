/**
 * A run's metric rows, parsed by the engine (RunDir.readMetrics: it ignores a partial last line and names
 * the line of a malformed one) and cached by the file's size and mtime. The browser asks only for the
 * rows after those it has (`after`), so a live run costs one stat per poll and, when it grew, one parse.
 */
import * as fs from 'node:fs';
import type { MetricRow } from '@optoscope/engine';
import { engine } from './engine';
import { runPath } from './paths';

interface Cached {
  key: string;
  rows: MetricRow[];
  /** The file did not end with a newline: a row is being appended (or a writer died mid-row). */
  partial: boolean;
}
const cache = new Map<string, Cached>();
/** Runs whose parsed rows are kept (least recently used dropped first): a compare view holds up to 50. */
const MAX_CACHED = 64;

export interface MetricsPage {
  id: string;
  status: string;
  /** Total complete rows in the file now. */
  total: number;
  /** Index of the first returned row. */
  after: number;
  rows: MetricRow[];
  partial: boolean;
  /** Set when the file shrank (the run resumed from a checkpoint and truncated its rows): start again from 0. */
  reset?: boolean;
}

export async function readRows(dir: string): Promise<Cached> {
  const { RunDir } = await engine();
  const rd = RunDir.open(dir);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(rd.metricsFile);
  } catch {
    return { key: 'none', rows: [], partial: false };
  }
  const key = `${st.mtimeMs}:${st.size}`;
  const hit = cache.get(dir);
  if (hit && hit.key === key) {
    cache.delete(dir);
    cache.set(dir, hit);
    return hit;
  }
  const rows = rd.readMetrics();
  let partial = false;
  if (st.size > 0) {
    const fd = fs.openSync(rd.metricsFile, 'r');
    try {
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, st.size - 1);
      partial = b[0] !== 0x0a;
    } finally {
      fs.closeSync(fd);
    }
  }
  const c = { key, rows, partial };
  cache.delete(dir);
  cache.set(dir, c);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return c;
}

/** Rows after index `after` (0 = all); `kinds` keeps only eval or train rows. */
export async function metricsPage(id: string, after = 0, kinds?: 'eval' | 'train'): Promise<MetricsPage> {
  const { RunDir } = await engine();
  const dir = runPath(id);
  const status = RunDir.open(dir).readRecord().status;
  const c = await readRows(dir);
  const reset = after > c.rows.length;
  const from = reset ? 0 : after;
  let rows = c.rows.slice(from);
  if (kinds) rows = rows.filter((r) => r.kind === kinds);
  return { id, status, total: c.rows.length, after: from, rows, partial: c.partial, ...(reset ? { reset: true } : {}) };
}
