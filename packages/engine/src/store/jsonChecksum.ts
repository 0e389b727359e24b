/**
 * A SHA-256 inside a JSON document (run.json, stored analyses, report.json), over the document without
 * it, so a flipped bit that still parses (a digit of a loss) is detected like one that does not. The
 * field is written by every writer; a document without it (older, or made by hand) is read unchecked.
 */
import { createHash } from 'node:crypto';

const FIELD = 'sha256';

const digest = (doc: Record<string, unknown>) => createHash('sha256').update(JSON.stringify(doc)).digest('hex');

/** `doc` with its checksum as the last field. */
export function withJsonChecksum<T extends object>(doc: T): T {
  const { [FIELD]: _old, ...rest } = doc as Record<string, unknown>;
  return { ...rest, [FIELD]: digest(rest) } as T;
}

/** `doc` without its checksum; throws naming `file` when the checksum is there and does not match. */
export function verifyJsonChecksum<T extends object>(doc: T, file: string): T {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  if (!(FIELD in doc)) {
    // The writers put the checksum last: a last field holding a SHA-256 under another name is the
    // checksum field with a damaged name, not a document written without one.
    const last = Object.entries(doc).at(-1);
    if (last && typeof last[1] === 'string' && /^[0-9a-f]{64}$/.test(last[1])) throw new Error(`${file}: checksum field damaged (${JSON.stringify(last[0])})`);
    return doc;
  }
  const { [FIELD]: sum, ...rest } = doc as Record<string, unknown>;
  if (sum !== digest(rest)) throw new Error(`${file}: checksum mismatch (corrupt, or edited by hand)`);
  return rest as T;
}
