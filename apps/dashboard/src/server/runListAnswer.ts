/**
 * The run list's answer as status, headers and body text, for `pages/api/runs.ts`, which writes it on
 * Node's own response (why a pages route: its header comment). The headers are the app-router route's:
 * `no-transform`, because gzip's stream set up per response was a fifth of the CPU of this small answer
 * asked for often (errors.ts `answerJsonText`).
 */
import { ERROR_HEADERS, errorAnswer } from './errors';
import { queryRunsJson, runQueryFrom } from './runs';

export interface RunListAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `url` is the request target (`/api/runs?limit=50`); read-only: any method but GET and HEAD is 405. */
export async function runListAnswer(method: string, url: string): Promise<RunListAnswer> {
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, headers: { allow: 'GET, HEAD', ...ERROR_HEADERS }, body: JSON.stringify({ error: `${method.slice(0, 16)} is not allowed: the run list is read-only` }) };
  const q = url.indexOf('?');
  try {
    const body = await queryRunsJson(runQueryFrom(new URLSearchParams(q < 0 ? '' : url.slice(q + 1))));
    return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store, no-transform' }, body };
  } catch (e) {
    return errorAnswer(e);
  }
}
