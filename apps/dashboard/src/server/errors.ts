import * as fs from 'node:fs';
import * as path from 'node:path';

/** Errors the API turns into an HTTP status and a one-line JSON message (never a stack trace, never a crash). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The runs directory as configured and as resolved through symlinks (either may appear in a message). */
function runsRoots(): string[] {
  const dir = process.env.OPTO_RUNS_DIR;
  if (!dir) return [];
  const roots = [path.resolve(dir)];
  try {
    roots.push(fs.realpathSync(dir));
  } catch {
    // a missing directory has no real path
  }
  return [...new Set(roots)].sort((a, b) => b.length - a.length);
}

/**
 * A message without absolute server paths: the runs directory becomes `<runs>`, any other absolute path
 * keeps only its last component (`…/name`). Whoever reads the dashboard learns which run or file is at
 * fault, not how the server's disk is laid out.
 */
export function redactPaths(msg: string): string {
  let out = msg;
  for (const root of runsRoots()) out = out.split(root).join('<runs>');
  return out.replace(/(^|[\s'"`(=:,[])\/(?:[^\s'"`()/,:]+\/)+([^\s'"`()/,:]*)/g, (_m, pre: string, base: string) => `${pre}…/${base}`);
}

/** `redactPaths` applied to every string inside a JSON value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactPaths(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  return value;
}

/** ApiError → its status; anything else (corrupt files, engine errors) → 422; the message's first line, paths redacted, as JSON. */
export function errorResponse(e: unknown): Response {
  const { status, headers, body } = errorAnswer(e);
  return new Response(body, { status, headers });
}

/** The headers of every JSON error answer: an error is never cached. */
export const ERROR_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** `errorResponse`'s status, headers and JSON body, for a route that writes Node's response itself (pages/api/runs.ts). */
export function errorAnswer(e: unknown): { status: number; headers: Record<string, string>; body: string } {
  const status = e instanceof ApiError ? e.status : 422;
  const msg = e instanceof Error ? e.message : String(e);
  return { status, headers: { ...ERROR_HEADERS }, body: JSON.stringify({ error: redactPaths(msg.split('\n')[0]) }) };
}

/** Route-handler wrapper: the value as JSON, or the error as `errorResponse`. */
export async function answer(fn: () => unknown | Promise<unknown>): Promise<Response> {
  try {
    const body = await fn();
    return Response.json(body, { headers: { 'cache-control': 'no-store' } });
  } catch (e) {
    return errorResponse(e);
  }
}

/**
 * Like `answer`, for a body that is already JSON text (an answer cached as sent). `compress: false` marks
 * it `no-transform`, which Next's compression honours: for a small answer asked for often (the run list's
 * page: every 2 s by every open table, 20 clients at once in the bench) gzip's stream, set up per response,
 * was a fifth of the server's CPU per listing. (Sending it gzipped once is not possible: Next drops a route's
 * own content-encoding header.)
 */
export async function answerJsonText(fn: () => Promise<string>, o: { compress?: boolean } = {}): Promise<Response> {
  try {
    const cacheControl = o.compress === false ? 'no-store, no-transform' : 'no-store';
    return new Response(await fn(), { headers: { 'content-type': 'application/json', 'cache-control': cacheControl } });
  } catch (e) {
    return errorResponse(e);
  }
}
