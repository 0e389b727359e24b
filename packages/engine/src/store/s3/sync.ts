/**
 * Bringing objects down from the bucket into a local directory. Two uses:
 *
 * - `checkoutRun`: before a run trains (or resumes) here, its directory in the local work cache is made
 *   exactly the bucket's copy (files already identical, by MD5 = ETag, are not fetched again), so a run
 *   started on one machine continues on another.
 * - `syncTree`: a reader's cache of the whole prefix (dashboard, report, runs), refreshed incrementally:
 *   only objects whose ETag changed are fetched, each run's `run.json` last, and files whose objects are
 *   gone are removed. Resume states are not fetched (readers never need them).
 *
 * Every file lands through an atomic rename, so the readers of the cache (DuckDB, the dashboard) never
 * see half a file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.js';
import type { Bucket, ObjectInfo } from './bucket.js';

/** A key (relative to the prefix) that is safe to become a local path: no empty, dot or dot-dot segments. */
function safeRel(rel: string): boolean {
  return rel.length > 0 && !rel.split('/').some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'));
}

const isTemp = (rel: string) => /(^|\/)\.[^/]*\.tmp$/.test(rel) || /(^|\/)\.write-probe\./.test(rel);
const isRecord = (rel: string) => rel === 'run.json' || rel.endsWith('/run.json');
/** run.json last, so a run appears (or moves on) only once the files it names are there. */
const recordsLast = (a: ObjectInfo, b: ObjectInfo) => Number(isRecord(a.key)) - Number(isRecord(b.key));

function md5(file: string): string | null {
  try {
    return createHash('md5').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/**
 * Fetch one object into `file`; its ETag, or null (file untouched) when it came torn on every one of a few
 * quick tries (it is being rewritten over and over: the next refresh gets it).
 */
async function fetchTo(bucket: Bucket, rel: string, file: string): Promise<string | null> {
  let got = await bucket.getWhole(rel);
  for (let i = 0; got === null && i < 5; i++) {
    await new Promise((r) => setTimeout(r, 40));
    got = await bucket.getWhole(rel);
  }
  if (got === null) return null;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, got.body);
  return got.etag;
}

/** The run a key belongs to (its first segment), for holding its run.json back while a file of it is missing. */
const runOf = (rel: string) => rel.split('/')[0];

/** Every file under `dir`, relative, with forward slashes. */
function localFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

/**
 * Make `localDir` the bucket's copy of run `id` (under the prefix); returns whether the bucket holds the
 * run at all (a run.json). Without one, the local directory is removed: there is nothing to continue.
 */
export async function checkoutRun(bucket: Bucket, id: string, localDir: string): Promise<boolean> {
  const objects = (await bucket.list(id)).map((o) => ({ ...o, key: o.key.slice(id.length + 1) })).filter((o) => safeRel(o.key) && !isTemp(o.key));
  if (!objects.some((o) => o.key === 'run.json')) {
    fs.rmSync(localDir, { recursive: true, force: true });
    return false;
  }
  const remote = new Set(objects.map((o) => o.key));
  for (const rel of localFiles(localDir)) if (!remote.has(rel)) fs.rmSync(path.join(localDir, rel), { force: true });
  for (const o of objects.sort(recordsLast)) {
    const file = path.join(localDir, o.key);
    // A file being rewritten right now (its writer's last upload) is read again until it comes whole.
    for (let tries = 0; md5(file) !== o.etag; tries++) {
      if ((await fetchTo(bucket, `${id}/${o.key}`, file)) !== null) break;
      if (tries >= 20) throw new Error(`cannot read ${bucket.loc.url}/${id}/${o.key} whole (it changed under every read); try again`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  fs.mkdirSync(path.join(localDir, 'checkpoints'), { recursive: true });
  return true;
}

export type SyncScope = 'records' | 'all';

const MANIFEST = '.s3-etags.json';

/**
 * Refresh `localDir` from the whole prefix. `records`: only run.json and heartbeat.json (enough to list
 * runs); `all`: everything but resume states. Returns the number of files fetched.
 */
export async function syncTree(bucket: Bucket, localDir: string, scope: SyncScope): Promise<number> {
  fs.mkdirSync(localDir, { recursive: true });
  const manifestFile = path.join(localDir, MANIFEST);
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    /* first sync, or a cache from an interrupted one: files are compared by ETag from scratch */
  }
  const wanted = (rel: string) =>
    safeRel(rel) && !isTemp(rel) && !/(^|\/)state(\.prev)?\.safetensors$/.test(rel) && (scope === 'all' || /(^|\/)(run|heartbeat)\.json$/.test(rel));
  const objects = (await bucket.list()).filter((o) => wanted(o.key));
  const remote = new Set(objects.map((o) => o.key));
  let fetched = 0;
  const behind = new Set<string>();
  for (const o of objects.sort(recordsLast)) {
    const file = path.join(localDir, o.key);
    if (known[o.key] === o.etag && fs.existsSync(file)) continue;
    // A run's record waits for the next refresh if any file of its came torn this time.
    if (isRecord(o.key) && behind.has(runOf(o.key))) continue;
    const etag = await fetchTo(bucket, o.key, file);
    if (etag === null) {
      behind.add(runOf(o.key));
      continue;
    }
    known[o.key] = etag;
    fetched++;
  }
  // What the bucket no longer holds goes here too: run.json first, so a run disappears before its files.
  const gone = Object.keys(known).filter((rel) => !remote.has(rel) && wanted(rel));
  for (const rel of gone.sort((a, b) => Number(isRecord(b)) - Number(isRecord(a)))) {
    fs.rmSync(path.join(localDir, rel), { force: true });
    delete known[rel];
  }
  writeJsonAtomic(manifestFile, known);
  return fetched;
}

/** Upload every file under `localDir/rel` to the same keys (a report written into the cache). */
export async function publishTree(bucket: Bucket, localDir: string, rel: string): Promise<number> {
  const files = localFiles(path.join(localDir, rel)).filter((f) => !isTemp(f));
  for (const f of files) await bucket.put(`${rel}/${f}`, fs.readFileSync(path.join(localDir, rel, f)));
  return files.length;
}
