/**
 * One HTTP request with the path sent byte for byte (fetch would normalise `..` and refuses to set Host),
 * for the end-to-end tests that probe the server the way an attacker's client would.
 */
import * as http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function rawRequest(port: number, p: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/**
 * A pages-router API handler (Node req/res) answering one request on a real HTTP server of its own, as a
 * web Response: the route tests call it as they call app-router handlers.
 */
export async function viaNodeServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void,
  target: string,
  init: { method?: string } = {},
): Promise<Response> {
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const r = await fetch(`http://127.0.0.1:${port}${target}`, { method: init.method ?? 'GET' });
    return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
  } finally {
    server.close();
  }
}
