/**
 * The run list and one run's record, read through the engine's RunDir. run.json files are parsed once and
 * kept until their mtime or size changes, so listing 1,000 runs costs one stat each; filtering, sorting
 * and paging happen here so the browser only receives one page.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Heartbeat, RunRecord, Staleness } from '@optoscope/engine';
import { engine, type EngineModule } from './engine';
import { ApiError, redactPaths } from './errors';
import { containedPath, runPath, runsDir, runsLocation } from './paths';
import { processWide } from './processWide';
import { RunsWatch } from './runWatch';

export interface RunRow {
  id: string;
  status: string;
  preset: string | null;
  /** Sweep name (config.name), if the run belongs to one. */
  sweep: string | null;
  classes: number | null;
  labels: number | null;
  seqs: number | null;
  progress: number | null;
  learningTime: number | null;
  learned: boolean | null;
  clamp: string;
  seed: number | null;
  backend: string | null;
  updatedAt: string | null;
  /** The user's tags (`opto runs tag`, <run>/tags.json); also filterable as the fields `tags.<key>`. */
  tags: Record<string, string>;
  /** The user's note (`opto runs note`), or null. */
  note: string | null;
  /** A `running` run whose writer is gone (no heartbeat for 60 s, or its process ended): when and where it was last seen, and how to resume it. */
  stale: Staleness | null;
  /** Why run.json could not be read (the row is still listed, with this message). */
  error?: string;
  /** Why tags.json could not be read (the row is listed without tags). */
  tagsError?: string;
}

interface Cached {
  key: string;
  row: RunRow;
  host?: string;
  /** A running run's heartbeat, read when the run last changed. */
  beat?: Heartbeat | null;
  flat: Record<string, string | number | boolean | null>;
}

/**
 * The run index and what is derived from it, one per server process (processWide.ts): built when the server
 * starts (instrumentation.ts) and read by every route.
 */
const idx = processWide('runIndex', () => ({
  cache: new Map<string, Cached>(),
  /** Bumped whenever a run appears, changes or goes: what is derived from the whole list is kept per version. */
  version: 0,
  derived: new Map<string, { version: number; value: unknown }>(),
  pendingScan: null as Promise<Cached[]> | null,
  watch: null as RunsWatch | null,
  /** The index sorted by id, as of `sortedVersion`. */
  sorted: [] as Cached[],
  sortedVersion: -1,
  /**
   * Answers per query while no run changed (the run table's pages, polled every 2 s by every open page). A run
   * turning stale changes no file, so the set of stale runs is part of what must be unchanged.
   */
  pages: new Map<string, { version: number; stale: string; page: RunPage; json?: string }>(),
}));
const cache = idx.cache;

/** The intervention spec in one line ("none", "only 1:3; match 1:3", ...). */
export function clampSummary(spec: unknown, nHeads = 8): string {
  if (!spec || typeof spec !== 'object') return 'none';
  const s = spec as Record<string, unknown>;
  const parts: string[] = [];
  const ablate = Array.isArray(s.ablate) ? (s.ablate as string[]) : [];
  if (ablate.length) {
    // An "only these heads" run ablates all but a few heads of one layer: say which are kept.
    const layers = [...new Set(ablate.map((r) => r.split(':')[0]))];
    if (layers.length === 1 && ablate.length >= nHeads / 2) {
      const kept = Array.from({ length: nHeads }, (_, h) => `${layers[0]}:${h}`).filter((r) => !ablate.includes(r));
      parts.push(kept.length ? `only ${kept.join(',')}` : `ablate layer ${layers[0]}`);
    } else parts.push(`ablate ${ablate.join(',')}`);
  }
  const heads = (v: unknown) => {
    const o = v as { heads?: string[]; head?: string; strength?: number };
    return `${(o.heads ?? (o.head ? [o.head] : [])).join(',')}${o.strength !== undefined && o.strength !== 1 ? `@${o.strength}` : ''}`;
  };
  if (s.prevToken) parts.push(`prevToken ${heads(s.prevToken)}`);
  if (s.match) parts.push(`match ${heads(s.match)}`);
  if (s.perfectCopy) parts.push(`perfectCopy ${heads(s.perfectCopy)}`);
  if (s.perfectLayer1) parts.push('perfectLayer1');
  const pre = s.preserve as { patterns?: boolean; values?: boolean } | undefined;
  if (pre?.patterns || pre?.values) parts.push(`preserve ${[pre.patterns && 'patterns', pre.values && 'values'].filter(Boolean).join('+')}`);
  if (s.graft) parts.push(`graft till layer ${(s.graft as { tillLayer?: number }).tillLayer ?? 0}`);
  return parts.length ? parts.join('; ') : 'none';
}

/** Dotted leaves of a config ("task.numLabels" → 5); arrays of plain values become one JSON string. */
export function flatten(obj: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  if (obj === null || typeof obj !== 'object') {
    out[prefix] = (obj ?? null) as string | number | boolean | null;
    return out;
  }
  if (Array.isArray(obj)) {
    if (obj.every((v) => v === null || typeof v !== 'object')) out[prefix] = JSON.stringify(obj);
    else obj.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
    return out;
  }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function rowOf(id: string, rec: RunRecord): RunRow {
  const c = rec.config;
  return {
    id,
    status: rec.status,
    preset: c.preset ?? null,
    sweep: c.name ?? null,
    classes: c.task?.classSplit?.[0] ?? null,
    labels: c.task?.numLabels ?? null,
    seqs: c.schedule?.seqs ?? null,
    progress: rec.progress?.seqs ?? null,
    learningTime: rec.summary?.learning_time ?? null,
    learned: rec.summary?.learned ?? null,
    clamp: clampSummary(c.interventions, c.model?.nHeads),
    seed: rec.seeds?.init ?? null,
    backend: rec.backend?.used ?? null,
    updatedAt: rec.updated_at ?? null,
    tags: {},
    note: null,
    stale: null,
  };
}

/** A value computed from the whole run list, recomputed only when the list changed (fields, presets, ...). */
function perVersion<T>(name: string, make: () => T): T {
  const hit = idx.derived.get(name);
  if (hit && hit.version === idx.version) return hit.value as T;
  const value = make();
  idx.derived.set(name, { version: idx.version, value });
  return value;
}

/** Liveness changes with the clock, not with run.json, so it is judged on every listing (running runs only), from the heartbeat read when the run last changed. */
function withStaleness(c: Cached, E: EngineModule): Cached {
  if (c.row.status !== 'running') return c;
  const stale = E.runStaleness({ status: 'running', updated_at: c.row.updatedAt ?? '', host: c.host }, c.beat ?? null, E.resumeCommand(runsLocation(), c.row.id));
  return stale ? { ...c, row: { ...c.row, stale } } : c;
}

/**
 * Every run under the runs directory (a run.json is what makes a directory a run), kept as an index that is
 * updated where the file system says something changed (runWatch.ts): an unchanged run costs nothing, a
 * changed one a stat of its run.json (inode, mtime, size) and, if that changed, a read. The containment
 * check (realpath) runs when a run.json is new or changed, so a directory swapped for a link out of the runs
 * directory is seen then.
 */
export function allRuns(): Promise<Cached[]> {
  // Requests that arrive while an update is queued share it (it starts after all of them arrived, and after
  // a turn of the event loop has delivered the file notifications queued before them, so each still sees
  // the directory as of after its request): 20 clients at once cost one update, not 20.
  return (idx.pendingScan ??= new Promise<Cached[]>((resolve, reject) =>
    // Two turns: a notification on a watch added in the turn before the change is only read one turn later.
    setImmediate(() =>
      setImmediate(() => {
        idx.pendingScan = null;
        updateIndex().then(resolve, reject);
      }),
    ),
  ));
}

async function updateIndex(): Promise<Cached[]> {
  const E = await engine();
  const root = runsDir();
  if (idx.watch?.root !== root) {
    idx.watch?.close();
    idx.watch = new RunsWatch(root);
    cache.clear();
    idx.version++;
  }
  const changed = idx.watch.take();
  if (changed === 'all') {
    const names = new Set<string>();
    for (const d of fs.readdirSync(root, { withFileTypes: true })) if (!d.name.startsWith('.')) names.add(d.name);
    for (const name of cache.keys()) if (!names.has(name)) forget(name);
    for (const name of names) updateRun(E, root, name);
  } else for (const name of changed) if (!name.startsWith('.')) updateRun(E, root, name);
  if (idx.sortedVersion !== idx.version) {
    idx.sorted = [...cache.values()].sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));
    idx.sortedVersion = idx.version;
  }
  return idx.sorted.map((c) => withStaleness(c, E));
}

function forget(name: string): void {
  if (cache.delete(name)) idx.version++;
  idx.watch?.unwatchRun(name);
}

/** Bring one entry of the runs directory up to date (it may have appeared, changed or gone). */
function updateRun(E: EngineModule, root: string, name: string): void {
  const dir = path.join(root, name);
  let st: fs.Stats | undefined;
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
    if (isDir) idx.watch?.watchRun(name);
    st = fs.statSync(path.join(dir, 'run.json'), { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (!st?.isFile()) {
    // A directory whose record is not there yet (a bucket refresh, or a copy, brings run.json in after the
    // other files) stays watched: its run.json arriving is an event in it, not in the runs directory, so
    // dropping the watch here would leave the run unlisted until something else in it changed (a killed
    // writer's run: never).
    if (!isDir) return forget(name);
    if (cache.delete(name)) idx.version++;
    return;
  }
  const tags = fs.statSync(path.join(dir, E.TAGS_FILE), { throwIfNoEntry: false });
  const key = `${st.ino}:${st.mtimeMs}:${st.size}:${tags ? `${tags.mtimeMs}:${tags.size}` : '-'}`;
  let c = cache.get(name);
  if (!c || c.key !== key) {
    try {
      // A symlinked run that leaves the runs directory is not listed at all.
      containedPath(root, name, 'run.json');
    } catch {
      return forget(name);
    }
    idx.version++;
    try {
      const rec = E.RunDir.open(dir).readRecord();
      c = { key, row: rowOf(name, rec), flat: flatten(rec.config), host: rec.host };
      c.flat.status = rec.status;
    } catch (e) {
      // A run.json being replaced or corrupt: listed with the reason instead of failing the list.
      c = { key, row: { ...rowOf(name, { config: {} } as RunRecord), status: 'unreadable', error: redactPaths((e as Error).message) }, flat: {} };
    }
    try {
      containedPath(root, name, E.TAGS_FILE); // a tags.json that links out of the runs directory is not read
      const t = E.readRunTags(dir);
      c.row.tags = t.tags;
      c.row.note = t.note;
      for (const [k, v] of Object.entries(t.tags)) c.flat[`tags.${k}`] = v;
    } catch (e) {
      c.row.tagsError = redactPaths((e as Error).message);
    }
    cache.set(name, c);
  }
  // The heartbeat changes without run.json: read whenever the run changed (every update for a running run).
  c.beat = c.row.status === 'running' ? E.readHeartbeat(dir) : null;
}

/** One condition on a config field: `task.numLabels=10`, `schedule.seqs>=100000`, `preset~fig5b`. */
export interface FieldFilter {
  field: string;
  op: '=' | '!=' | '>' | '<' | '>=' | '<=' | '~';
  value: string;
}

export function parseFieldFilter(text: string): FieldFilter {
  const m = /^\s*([A-Za-z0-9_.]+)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$/.exec(text);
  if (!m) throw new ApiError(400, `filter '${text}' is not field<op>value (ops: = != > < >= <= ~), e.g. task.numLabels=10`);
  return { field: m[1], op: m[2] as FieldFilter['op'], value: m[3] };
}

function matches(v: string | number | boolean | null | undefined, f: FieldFilter): boolean {
  if (v === undefined) return false;
  const s = v === null ? 'null' : String(v);
  if (f.op === '=') return s === f.value;
  if (f.op === '!=') return s !== f.value;
  if (f.op === '~') return s.toLowerCase().includes(f.value.toLowerCase());
  const a = Number(v);
  const b = Number(f.value);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return f.op === '>' ? a > b : f.op === '<' ? a < b : f.op === '>=' ? a >= b : a <= b;
}

export interface RunQuery {
  preset?: string;
  status?: string;
  /** Substring of the clamp summary, or "none" for unclamped runs. */
  clamp?: string;
  /** Substring of the id. */
  q?: string;
  /** `key=value` pairs; a run must carry every one. */
  tags?: [string, string][];
  filters?: FieldFilter[];
  sort?: keyof RunRow;
  desc?: boolean;
  offset?: number;
  limit?: number;
}

export interface RunPage {
  total: number;
  matched: number;
  offset: number;
  rows: RunRow[];
  presets: string[];
  statuses: string[];
  /** Every `key=value` tag some run carries (the page's tag filter offers these). */
  tags: string[];
  /** Config fields available to filter on (tags as `tags.<key>`). */
  fields: string[];
}

const SORTABLE: (keyof RunRow)[] = ['id', 'status', 'preset', 'sweep', 'classes', 'labels', 'seqs', 'progress', 'learningTime', 'learned', 'clamp', 'seed', 'updatedAt'];

const pages = idx.pages;

async function cachedPage(q: RunQuery): Promise<{ page: RunPage; json?: string; set(json: string): void }> {
  const runs = await allRuns();
  const key = JSON.stringify(q);
  const stale = runs.flatMap((r) => (r.row.stale ? [r.row.id] : [])).join('\n');
  let hit = pages.get(key);
  if (!hit || hit.version !== idx.version || hit.stale !== stale) {
    hit = { version: idx.version, stale, page: pageOf(runs, q) };
    if (pages.size >= 64) pages.clear();
    pages.set(key, hit);
  }
  const entry = hit;
  return { page: entry.page, json: entry.json, set: (json) => void (entry.json = json) };
}

export async function queryRuns(q: RunQuery): Promise<RunPage> {
  return (await cachedPage(q)).page;
}

/** The page as sent (serialised once per page and run-list version: the table polls every 2 s from every open page). */
export async function queryRunsJson(q: RunQuery): Promise<string> {
  const c = await cachedPage(q);
  if (c.json !== undefined) return c.json;
  const json = JSON.stringify(c.page);
  c.set(json);
  return json;
}

function pageOf(runs: Cached[], q: RunQuery): RunPage {
  const sort = q.sort ?? 'id';
  if (!SORTABLE.includes(sort)) throw new ApiError(400, `cannot sort by '${String(sort)}' (sortable: ${SORTABLE.join(', ')})`);
  const hit = runs.filter(({ row, flat }) => {
    if (q.preset && row.preset !== q.preset) return false;
    if (q.status && row.status !== q.status && !(q.status === 'stale' && row.stale)) return false;
    if (q.clamp && !(q.clamp === 'none' ? row.clamp === 'none' : row.clamp.toLowerCase().includes(q.clamp.toLowerCase()))) return false;
    if (q.q && !row.id.toLowerCase().includes(q.q.toLowerCase())) return false;
    if (q.tags && !q.tags.every(([k, v]) => row.tags[k] === v)) return false;
    return (q.filters ?? []).every((f) => matches(f.field in flat ? flat[f.field] : (row as unknown as Record<string, string | number | null>)[f.field], f));
  });
  const dir = q.desc ? -1 : 1;
  hit.sort((a, b) => {
    const x = a.row[sort];
    const y = b.row[sort];
    // Missing values last, whatever the direction.
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.row.id < b.row.id ? -1 : 1);
  });
  const offset = Math.max(0, q.offset ?? 0);
  const limit = Math.min(500, Math.max(1, q.limit ?? 50));
  const listing = perVersion('listing', () => {
    const fields = new Set<string>();
    for (const r of runs) for (const k of Object.keys(r.flat)) fields.add(k);
    return {
      presets: [...new Set(runs.map((r) => r.row.preset).filter((p): p is string => !!p))].sort(),
      tags: [...new Set(runs.flatMap((r) => Object.entries(r.row.tags).map(([k, v]) => `${k}=${v}`)))].sort(),
      fields: [...fields].sort(),
    };
  });
  // Staleness follows the clock, not the run files: judged on every listing, never cached per version.
  const statuses = [...new Set(runs.flatMap((r) => (r.row.stale ? [r.row.status, 'stale'] : [r.row.status])))].sort();
  return { total: runs.length, matched: hit.length, offset, rows: hit.slice(offset, offset + limit).map((r) => r.row), ...listing, statuses };
}

/** `key=value` from the URL's `tag` parameter. */
function parseTag(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0 || i === text.length - 1) throw new ApiError(400, `tag filter '${text}' is not key=value (e.g. tag=owner%3Dana)`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** Parse the run list's query string (the same names the page keeps in its URL). */
export function runQueryFrom(sp: URLSearchParams): RunQuery {
  const int = (name: string) => {
    const v = sp.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  return {
    preset: sp.get('preset') || undefined,
    status: sp.get('status') || undefined,
    clamp: sp.get('clamp') || undefined,
    q: sp.get('q') || undefined,
    tags: sp.getAll('tag').filter((s) => s.trim()).map(parseTag),
    filters: sp.getAll('f').filter((s) => s.trim()).map(parseFieldFilter),
    sort: (sp.get('sort') || undefined) as keyof RunRow | undefined,
    desc: sp.get('dir') === 'desc',
    offset: int('offset'),
    limit: int('limit'),
  };
}

export interface RunDetail {
  id: string;
  record: RunRecord;
  stale: Staleness | null;
  clamp: string;
  checkpoints: number[];
  analyses: string[];
  /** The user's tags and note (empty when tags.json is absent or unreadable). */
  tags: Record<string, string>;
  note: string | null;
}

/** One run's record, checkpoints and stored analyses. */
export async function runDetail(id: string): Promise<RunDetail> {
  const { RunDir, readHeartbeat, readRunTags, resumeCommand, runStaleness, storedAnalyses, TAGS_FILE } = await engine();
  const dir = runPath(id);
  const rd = RunDir.open(dir);
  containedPath(runsDir(), id, TAGS_FILE);
  let labels: { tags: Record<string, string>; note: string | null } = { tags: {}, note: null };
  try {
    labels = readRunTags(dir);
  } catch {
    // an unreadable tags.json is reported in the run list; the run page still shows the run
  }
  const record = rd.readRecord();
  const stale = runStaleness(record, readHeartbeat(dir), resumeCommand(runsLocation(), id));
  // The engine's analysis registry names what a run can have stored (the report's own caches are not listed).
  const analyses = storedAnalyses(dir);
  return { id, record, stale, clamp: clampSummary(record.config.interventions, record.config.model?.nHeads), checkpoints: rd.listCheckpoints(), analyses, ...labels };
}
