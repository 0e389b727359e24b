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
  if (typeof doc !== 'object' || doc === null || !(FIELD in doc)) return doc;
  const { [FIELD]: sum, ...rest } = doc as Record<string, unknown>;
  if (sum !== digest(rest)) throw new Error(`${file}: checksum mismatch (corrupt, or edited by hand)`);
  return rest as T;
}
