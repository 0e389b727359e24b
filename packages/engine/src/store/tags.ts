/**
 * Tags and a note on a run: `<run>/tags.json`, a sidecar the user writes (`opto runs tag`, `opto runs
 * note`) and everything else only reads. It sits beside run.json rather than inside it so that labelling
 * a run never races the trainer that rewrites run.json, and so the dashboard stays read-only.
 *
 *   { "schema": "optoscope.tags/1", "tags": { "owner": "ana", "arch": "2L" }, "note": "...", "updated_at": "..." }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomic.js';

export const TAGS_SCHEMA = 'optoscope.tags/1';
export const TAGS_FILE = 'tags.json';

export interface RunTags {
  tags: Record<string, string>;
  /** Free text; null when the run has none. */
  note: string | null;
}

/** Keys are identifiers (they become `tags.<key>` filter fields); values one printable line. */
const KEY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_VALUE = 200;
const MAX_NOTE = 4000;
const EMPTY: RunTags = { tags: {}, note: null };

const printable = (s: string) => !/[\0-\x1f\x7f]/.test(s);

/** `key=value` → [key, value]; `key=` → [key, null] (remove the tag). One line naming the fault otherwise. */
export function parseTagArg(arg: string): [string, string | null] {
  const i = arg.indexOf('=');
  if (i < 0) throw new Error(`tag '${arg}' is not key=value (e.g. owner=ana; key= removes a tag)`);
  const key = arg.slice(0, i).trim();
  const value = arg.slice(i + 1).trim();
  if (!KEY.test(key)) throw new Error(`tag key '${key}' must start with a letter and hold only letters, digits, _ and - (at most 64)`);
  if (value.length > MAX_VALUE || !printable(value)) throw new Error(`tag ${key}: value must be one line of at most ${MAX_VALUE} characters`);
  return [key, value === '' ? null : value];
}

/** `key=value` (exact) as a filter; the same syntax as a tag. */
export function parseTagFilter(arg: string): [string, string] {
  const [k, v] = parseTagArg(arg);
  if (v === null) throw new Error(`--tag ${arg}: give a value to match (key=value)`);
  return [k, v];
}

/** The run's tags and note; a run without tags.json has none. A corrupt file is an error naming it. */
export function readRunTags(runDir: string): RunTags {
  const file = path.join(runDir, TAGS_FILE);
  if (!fs.existsSync(file)) return { ...EMPTY, tags: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const o = raw as { schema?: unknown; tags?: unknown; note?: unknown };
  if (!o || typeof o !== 'object' || o.schema !== TAGS_SCHEMA) throw new Error(`${file}: schema is not ${TAGS_SCHEMA}`);
  const tags: Record<string, string> = {};
  if (o.tags !== undefined) {
    if (!o.tags || typeof o.tags !== 'object' || Array.isArray(o.tags)) throw new Error(`${file}: tags must be an object of strings`);
    for (const [k, v] of Object.entries(o.tags)) {
      if (!KEY.test(k) || typeof v !== 'string') throw new Error(`${file}: tag '${k}' must be a key with a string value`);
      tags[k] = v;
    }
  }
  if (o.note !== undefined && o.note !== null && typeof o.note !== 'string') throw new Error(`${file}: note must be a string`);
  return { tags, note: (o.note as string | null | undefined) ?? null };
}

function write(runDir: string, t: RunTags): RunTags {
  const tags = Object.fromEntries(Object.entries(t.tags).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeJsonAtomic(path.join(runDir, TAGS_FILE), { schema: TAGS_SCHEMA, tags, ...(t.note !== null ? { note: t.note } : {}), updated_at: new Date().toISOString() });
  return { tags, note: t.note };
}

/** Set (and with `key=`, remove) tags; every argument is checked before anything is written. */
export function tagRun(runDir: string, args: string[]): RunTags {
  if (args.length === 0) throw new Error('give at least one key=value tag');
  const changes = args.map(parseTagArg);
  const cur = readRunTags(runDir);
  for (const [k, v] of changes) {
    if (v === null) delete cur.tags[k];
    else cur.tags[k] = v;
  }
  return write(runDir, cur);
}

/** Replace the run's note; an empty note removes it. */
export function noteRun(runDir: string, text: string): RunTags {
  const note = text.trim();
  if (note.length > MAX_NOTE || /[\0-\x08\x0b-\x1f\x7f]/.test(note)) throw new Error(`note must be text of at most ${MAX_NOTE} characters`);
  const cur = readRunTags(runDir);
  return write(runDir, { tags: cur.tags, note: note === '' ? null : note });
}

/** Tags as one short cell: `arch=2L owner=ana`. */
export function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
