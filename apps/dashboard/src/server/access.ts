/**
 * Who may talk to the dashboard, and what every answer carries. `src/proxy.ts` is the one hook that runs
 * this before any page, API route or static file; everything here is plain functions over web-standard
 * Request/Response, so it is unit-tested without a server (access.test.ts).
 *
 * Order of the checks, each with the one status it answers:
 *   1. Host header not on the allow-list            → 403 (closes DNS rebinding: a page on evil.example
 *                                                       that rebinds to 127.0.0.1 still sends its own Host)
 *   2. a token is configured and the request lacks it → 401 (JSON for scripts, the login form for browsers)
 *   3. the path's percent-encoding is malformed        → 400 (`%c0%ae` must not reach the router)
 * and every response, these included, gets `securityHeaders`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The session cookie the login form sets: an HMAC of the token, never the token itself. */
export const SESSION_COOKIE = 'opto_session';
export const LOGIN_PATH = '/login';
/** Names a browser on this machine uses for a loopback server; always allowed. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export interface AccessConfig {
  /** null: no token (allowed on loopback only; `opto dashboard` enforces that, since only it knows the address). */
  token: string | null;
  /** Normalised Host values (lower case; `name` matches any port, `name:port` only that port). */
  allowedHosts: string[];
}

/** What `opto dashboard` hands the server: OPTO_DASHBOARD_TOKEN and OPTO_DASHBOARD_ALLOWED_HOSTS (comma-separated). */
export function accessConfigFromEnv(env: Record<string, string | undefined> = process.env): AccessConfig {
  const token = env.OPTO_DASHBOARD_TOKEN?.trim() || null;
  const extra = (env.OPTO_DASHBOARD_ALLOWED_HOSTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { token, allowedHosts: [...new Set([...LOOPBACK_HOSTS, ...extra].map((h) => h.toLowerCase()))] };
}

/** A Host header split into its name (IPv6 kept in brackets) and port; null when it is not a host. */
export function parseHost(header: string | null): { name: string; port: string | null } | null {
  if (!header) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  return m ? { name: m[1].toLowerCase(), port: m[2] ?? null } : null;
}

/** The Host header is one the operator allowed (any port for a bare name, that port for `name:port`). */
export function hostAllowed(header: string | null, allowed: string[]): boolean {
  const h = parseHost(header);
  if (!h) return false;
  return allowed.some((a) => a === h.name || (h.port !== null && a === `${h.name}:${h.port}`));
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Equal strings, in time that depends on neither their contents nor their lengths (both are hashed first). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The cookie value for a token: knowing the cookie does not give away the token scripts use. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('optoscope dashboard session v1').digest('base64url');
}

export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/** The request carries the token: `Authorization: Bearer <token>` or the login form's session cookie. */
export function authenticated(headers: Headers, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(headers.get('authorization') ?? '');
  const bearer = m ? sameSecret(m[1], token) : false;
  const cookie = cookieValue(headers.get('cookie'), SESSION_COOKIE);
  const session = cookie !== null ? sameSecret(cookie, sessionValue(token)) : false;
  return bearer || session;
}

/** The path decodes as UTF-8 percent-encoding (`%c0%ae`, `%zz`, a lone `%` do not). */
export function wellFormedPath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Content-Security-Policy the pages work under. Scripts: the app's own files and, for the inline
 * bootstrap scripts Next writes into each page, this response's nonce (Next reads it from the request's
 * CSP header and stamps its scripts). `'wasm-unsafe-eval'` lets /train compile the wasm core; workers are
 * same-origin files; no `'unsafe-eval'`: figures use vega's expression interpreter (Figure.tsx `ast`).
 * Styles allow inline attributes (React style props, vega-embed's stylesheet); CSS cannot run script.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * API answers are data (JSON, report SVGs, the wasm core), never a document that should run anything:
 * opened directly in a tab they may load nothing and run nothing (an SVG keeps its inline styles).
 */
export const API_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The headers every response carries, whatever its status: the page policy, or API_CSP under /api/. */
export function securityHeaders(nonce: string, pathname: string): Record<string, string> {
  return {
    'Content-Security-Policy': pathname.startsWith('/api/') ? API_CSP : contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export function withHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

const json = (status: number, error: string, extra: Record<string, string> = {}) =>
  Response.json({ error }, { status, headers: { 'cache-control': 'no-store', ...extra } });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A same-origin path to return to after logging in; anything else (`//evil`, `https://...`) is `/`. */
export function safeNext(raw: string | null): string {
  return raw && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\') && !/[\0-\x1f]/.test(raw) ? raw : '/';
}

/** The login page: no script at all, one form that posts the token to LOGIN_PATH. */
export function loginPage(next: string, nonce: string, status: 401 | 200, wrong = false): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Optoscope · access token</title>
<style nonce="${nonce}">body{font:15px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}
input{font:inherit;width:100%;padding:.4rem;margin:.3rem 0 .8rem;box-sizing:border-box}button{font:inherit;padding:.4rem 1rem}
.err{color:#b00020}</style></head>
<body><h1>Optoscope dashboard</h1>
<p>This dashboard needs its access token (the contents of the file given to <code>opto dashboard --token-file</code>).</p>
${wrong ? '<p class="err" role="alert" data-testid="login-error">That token is not this dashboard\'s.</p>' : ''}
<form method="post" action="${LOGIN_PATH}" data-testid="login-form">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Open the dashboard</button>
</form></body></html>
`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

const wantsHtml = (req: Request, pathname: string) => !pathname.startsWith('/api/') && (req.headers.get('accept') ?? '').includes('text/html');

function originHost(origin: string): string | null {
  try {
    return parseHost(new URL(origin).host)?.name ?? null;
  } catch {
    return null;
  }
}

/**
 * An absolute URL for a same-site path (Next's proxy wants absolute redirects). Built on the request's own
 * Host, which the allow-list has already passed, and https when a TLS proxy says so.
 */
function here(req: Request, next: string): string {
  const own = new URL(req.url);
  const protocol = req.headers.get('x-forwarded-proto') === 'https' ? 'https:' : own.protocol;
  // The Host header whole: assigning a port-less host to a URL keeps the old port, so a proxy's
  // `Host: dash.example.org` in front of the server's :3000 would send the browser to dash.example.org:3000.
  return new URL(next, `${protocol}//${req.headers.get('host') ?? own.host}`).toString();
}

/**
 * The request comes from a page of another site. Browsers say so in Sec-Fetch-Site; older ones only in
 * Origin (which is `null` on our own pages, as they send no referrer, so Origin alone cannot vouch for them).
 */
function crossSite(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.get('origin');
  return origin !== null && originHost(origin) !== parseHost(req.headers.get('host'))?.name;
}

/** POST LOGIN_PATH: a right token sets the session cookie and goes back where the user was going. */
async function login(req: Request, token: string, nonce: string): Promise<Response> {
  // A form from another site must not log this browser in (login CSRF): browsers send Origin on POST.
  if (crossSite(req)) return json(403, 'a login form posted from another site is refused');
  if (Number(req.headers.get('content-length') ?? 0) > 4096) return json(413, 'login form body is larger than 4 KiB');
  const body = new URLSearchParams((await req.text()).slice(0, 4096));
  const given = body.get('token')?.trim() ?? '';
  const next = safeNext(body.get('next'));
  if (!sameSecret(given, token)) return loginPage(next, nonce, 401, true);
  const secure = new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https';
  const cookie = `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${30 * 86400}${secure ? '; Secure' : ''}`;
  return new Response(null, { status: 303, headers: { location: here(req, next), 'set-cookie': cookie, 'cache-control': 'no-store' } });
}

/**
 * The gate: a Response to send instead of the route (403, 401, 400, or the login exchange), or null to let
 * the request through. The caller adds `securityHeaders` to whatever goes out.
 */
export async function gate(req: Request, cfg: AccessConfig, nonce: string): Promise<Response | null> {
  if (!hostAllowed(req.headers.get('host'), cfg.allowedHosts))
    return json(403, `Host '${(req.headers.get('host') ?? '').slice(0, 100)}' is not allowed: start opto dashboard with --allowed-host <name> to serve this name`);
  const url = new URL(req.url);
  if (cfg.token !== null) {
    if (url.pathname === LOGIN_PATH && req.method === 'POST') return login(req, cfg.token, nonce);
    if (!authenticated(req.headers, cfg.token)) {
      if (wantsHtml(req, url.pathname) && req.method === 'GET')
        return loginPage(url.pathname === LOGIN_PATH ? safeNext(url.searchParams.get('next')) : url.pathname + url.search, nonce, 401);
      return json(401, 'this dashboard needs its access token: send Authorization: Bearer <token>, or log in at /login', { 'www-authenticate': 'Bearer realm="optoscope"' });
    }
    if (url.pathname === LOGIN_PATH) return new Response(null, { status: 303, headers: { location: here(req, safeNext(url.searchParams.get('next'))), 'cache-control': 'no-store' } });
  }
  if (!wellFormedPath(url.pathname)) return json(400, 'malformed percent-encoding in the URL path');
  return null;
}
