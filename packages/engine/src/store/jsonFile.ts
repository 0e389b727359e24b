/**
 * JSON documents a user hands in (run configs, clamp specs, sweep specs): read, parsed and checked to be
 * a JSON object before anything merges them, so `[]`, `"hello"` or `null` is refused by name instead of
 * being taken as an empty document.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../configError.js';

/**
 * A JSON.parse error as one line: V8 quotes a snippet of the text ('Unexpected token ..., "...
 * ..." is not valid JSON'), which carries the file's own line breaks.
 */
export function jsonErrorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*[\r\n]+\s*/g, ' ').slice(0, 300);
}

/** What a JSON value is, in words for an error message. */
export function jsonKind(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/** Parse `text` (the contents of `file`) as a JSON object describing a `what`. */
export function parseJsonObject(text: string, file: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: malformed JSON (${jsonErrorLine(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${file}: a ${what} must be a JSON object, got ${jsonKind(value)}`);
  return value as Record<string, unknown>;
}

/** Read `file` as a JSON object describing a `what` (e.g. 'run config'); one line naming the file on failure. */
export function readJsonObject(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new ConfigError(`${what} not found: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new ConfigError(`${what} ${file} is a directory, not a JSON file`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseJsonObject(text.replace(/^\uFEFF/, ''), file, what);
}
