/**
 * The one hook in front of every request (Next 16's proxy, formerly middleware): the access checks and
 * security headers of server/access.ts. No matcher, so static files, pages and API routes all pass here.
 */
import { randomBytes } from 'node:crypto';
import { NextResponse, type NextRequest } from 'next/server';
import { accessConfigFromEnv, gate, securityHeaders, withHeaders } from './server/access';

const config = accessConfigFromEnv();

export async function proxy(req: NextRequest): Promise<Response> {
  const nonce = randomBytes(16).toString('base64');
  const headers = securityHeaders(nonce, req.nextUrl.pathname);
  const stop = await gate(req, config, nonce);
  if (stop) return withHeaders(stop, headers);
  // API answers are data under API_CSP, which has no nonce: nothing renders a page with it, so the request
  // goes on unchanged (copying its headers and overriding them made Next rebuild every API request).
  if (req.nextUrl.pathname.startsWith('/api/')) return withHeaders(NextResponse.next(), headers);
  // Next reads the nonce from the request's CSP header and stamps its own inline scripts with it.
  const forwarded = new Headers(req.headers);
  forwarded.set('content-security-policy', headers['Content-Security-Policy']);
  return withHeaders(NextResponse.next({ request: { headers: forwarded } }), headers);
}
