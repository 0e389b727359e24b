/**
 * The run list, `GET /api/runs` (query: server/runs.ts `runQueryFrom`). A pages-router API route rather than
 * an app-router route handler: every open table polls it every 2 s, and on Node's req/res it skips the
 * web Request/Response objects and the web-stream plumbing Next puts around an app route's answer, which
 * were most of the server's CPU per listing (README, "Issue 14's budgets"). Same answer, same headers: the
 * proxy (src/proxy.ts) still gates it and adds the security headers, as for every path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runListAnswer } from '../../server/runListAnswer';

// No body to parse: a GET. Next's body parser would otherwise wait on the stream of every request.
export const config = { api: { bodyParser: false } };

export default async function runs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const a = await runListAnswer(req.method ?? 'GET', req.url ?? '/api/runs');
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  res.statusCode = a.status;
  res.end(req.method === 'HEAD' ? undefined : a.body);
}
