/**
 * The access checks on their own (the real server runs them in src/proxy.ts; access.server.test.ts checks
 * that end to end): Host allow-list, token compare, cookie, login exchange, percent-encoding, headers.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  accessConfigFromEnv,
  API_CSP,
  authenticated,
  contentSecurityPolicy,
  cookieValue,
  gate,
  hostAllowed,
  parseHost,
  safeNext,
  sameSecret,
  securityHeaders,
  sessionValue,
  SESSION_COOKIE,
  wellFormedPath,
} from './access';

const TOKEN = '0123456789abcdef0123456789abcdef';
const cfg = accessConfigFromEnv({ OPTO_DASHBOARD_TOKEN: TOKEN, OPTO_DASHBOARD_ALLOWED_HOSTS: 'dash.example.org, 10.0.0.5:8443' });
const open = accessConfigFromEnv({});
const req = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  new Request(`http://127.0.0.1:3000${path}`, { ...init, headers: { host: '127.0.0.1:3000', ...headers } });

describe('Host allow-list', () => {
  it('loopback names by default, plus the configured ones; port-specific entries only on that port', () => {
    expect(open.allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(cfg.allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'dash.example.org', '10.0.0.5:8443']);
    for (const h of ['localhost', 'LOCALHOST:3000', '127.0.0.1:1', '[::1]:3000', 'dash.example.org', 'Dash.Example.Org:443', '10.0.0.5:8443']) expect(hostAllowed(h, cfg.allowedHosts), h).toBe(true);
    for (const h of ['evil.example', 'dash.example.org.evil.example', '10.0.0.5', '10.0.0.5:80', '127.0.0.2', '', 'localhost:x', 'a b', 'localhost@evil', '[::1', '0.0.0.0'])
      expect(hostAllowed(h, cfg.allowedHosts), h).toBe(false);
    expect(hostAllowed(null, cfg.allowedHosts)).toBe(false);
    expect(parseHost('[::1]:8080')).toEqual({ name: '[::1]', port: '8080' });
  });
});

describe('token', () => {
  it('compares equal only for the same string, whatever the lengths', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true);
    expect(sameSecret(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(sameSecret(TOKEN + 'x', TOKEN)).toBe(false);
    expect(sameSecret('', TOKEN)).toBe(false);
  });

  it('the session cookie is HMAC-SHA256(token) of a fixed label, not the token', () => {
    const expected = createHmac('sha256', TOKEN).update('optoscope dashboard session v1').digest('base64url');
    expect(sessionValue(TOKEN)).toBe(expected);
    expect(sessionValue(TOKEN)).not.toContain(TOKEN);
  });

  it('accepts a bearer header or the session cookie; nothing else', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(authenticated(h({ authorization: `Bearer ${TOKEN}` }), TOKEN)).toBe(true);
    expect(authenticated(h({ authorization: `bearer ${TOKEN}` }), TOKEN)).toBe(true);
    expect(authenticated(h({ cookie: `a=1; ${SESSION_COOKIE}=${sessionValue(TOKEN)}; b=2` }), TOKEN)).toBe(true);
    expect(authenticated(h({}), TOKEN)).toBe(false);
    expect(authenticated(h({ authorization: `Basic ${TOKEN}` }), TOKEN)).toBe(false);
    expect(authenticated(h({ authorization: `Bearer ${TOKEN}x` }), TOKEN)).toBe(false);
    // The raw token in the cookie is not a session: the cookie holds the HMAC.
    expect(authenticated(h({ cookie: `${SESSION_COOKIE}=${TOKEN}` }), TOKEN)).toBe(false);
    expect(cookieValue('x=1;  opto_session = v ', SESSION_COOKIE)).toBe('v');
  });
});

describe('paths and redirects', () => {
  it('malformed percent-encoding is detected; well-formed is not', () => {
    for (const p of ['/runs/%c0%ae%c0%ae', '/%', '/a%zz', '/%e2%82']) expect(wellFormedPath(p), p).toBe(false);
    for (const p of ['/', '/runs/a%20b', '/api/runs/%2e%2e', '/%e2%82%ac']) expect(wellFormedPath(p), p).toBe(true);
  });

  it('login returns only to a path on this site', () => {
    expect(safeNext('/runs/x?ckpt=1')).toBe('/runs/x?ckpt=1');
    for (const n of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'runs', null, '/\nx']) expect(safeNext(n)).toBe('/');
  });
});

describe('headers', () => {
  it('CSP: nonce scripts, wasm, same-origin workers, no eval, no framing', () => {
    const csp = contentSecurityPolicy('abc');
    const dir = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(dir['script-src']).toEqual(["'self'", "'nonce-abc'", "'wasm-unsafe-eval'"]);
    expect(dir['frame-ancestors']).toEqual(["'none'"]);
    expect(dir['object-src']).toEqual(["'none'"]);
    expect(dir['default-src']).toEqual(["'self'"]);
    expect(csp).not.toContain("'unsafe-eval'");
    const h = securityHeaders('abc', '/runs/x');
    expect(h['Content-Security-Policy']).toBe(csp);
    expect(securityHeaders('abc', '/api/report/figure/x')['Content-Security-Policy']).toBe(API_CSP);
    expect(API_CSP).toMatch(/^default-src 'none';/);
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Referrer-Policy']).toBe('no-referrer');
    expect(h['X-Frame-Options']).toBe('DENY');
  });
});

describe('gate', () => {
  it('wrong Host: 403 before anything else, token or not', async () => {
    for (const headers of [{ host: 'evil.example' }, { host: 'evil.example', authorization: `Bearer ${TOKEN}` }]) {
      const r = await gate(req('/api/runs', headers), cfg, 'n');
      expect(r?.status).toBe(403);
      expect((await r!.json()).error).toMatch(/Host 'evil.example' is not allowed.*--allowed-host/);
    }
    expect((await gate(req('/', { host: 'evil.example' }), open, 'n'))?.status).toBe(403);
  });

  it('no token: 401 JSON for scripts, the login form for browsers; with it, through', async () => {
    const api = await gate(req('/api/runs'), cfg, 'n');
    expect(api?.status).toBe(401);
    expect(api?.headers.get('www-authenticate')).toBe('Bearer realm="optoscope"');
    const page = await gate(req('/runs/smoke?ckpt=0', { accept: 'text/html,*/*' }), cfg, 'n');
    expect(page?.status).toBe(401);
    const html = await page!.text();
    expect(html).toContain('<form method="post" action="/login"');
    expect(html).toContain('value="/runs/smoke?ckpt=0"');
    expect(html).not.toContain('<script');
    expect(await gate(req('/api/runs', { authorization: `Bearer ${TOKEN}` }), cfg, 'n')).toBeNull();
    expect(await gate(req('/'), open, 'n')).toBeNull();
  });

  it('malformed percent-encoding: 400 once through the Host and token checks', async () => {
    expect((await gate(req('/runs/%c0%ae'), cfg, 'n'))?.status).toBe(401);
    expect((await gate(req('/runs/%c0%ae', { authorization: `Bearer ${TOKEN}` }), cfg, 'n'))?.status).toBe(400);
    expect((await gate(req('/runs/%c0%ae'), open, 'n'))?.status).toBe(400);
  });

  it('login: the right token sets an HttpOnly SameSite=Strict session cookie and goes back; a wrong one is 401', async () => {
    const post = (token: string, headers: Record<string, string> = {}) =>
      gate(
        req('/login', { 'content-type': 'application/x-www-form-urlencoded', ...headers }, { method: 'POST', body: new URLSearchParams({ token, next: '/compare?runs=a' }).toString() }),
        cfg,
        'n',
      );
    const ok = await post(TOKEN);
    expect(ok?.status).toBe(303);
    expect(ok?.headers.get('location')).toBe('http://127.0.0.1:3000/compare?runs=a');
    expect(ok?.headers.get('set-cookie')).toBe(`${SESSION_COOKIE}=${sessionValue(TOKEN)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`);
    const behindTls = await post(TOKEN, { 'x-forwarded-proto': 'https' });
    expect(behindTls?.headers.get('set-cookie')).toMatch(/; Secure$/);
    expect(behindTls?.headers.get('location')).toBe('https://127.0.0.1:3000/compare?runs=a');
    const bad = await post('nope');
    expect(bad?.status).toBe(401);
    expect(bad?.headers.get('set-cookie')).toBeNull();
    expect(await bad!.text()).toContain('data-testid="login-error"');
    // A form on another site cannot log this browser in.
    expect((await post(TOKEN, { origin: 'http://evil.example' }))?.status).toBe(403);
    expect((await post(TOKEN, { origin: 'null' }))?.status).toBe(403);
    expect((await post(TOKEN, { origin: 'http://127.0.0.1:3000' }))?.status).toBe(303);
    expect((await post(TOKEN, { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:3000' }))?.status).toBe(403);
    expect((await post(TOKEN, { 'sec-fetch-site': 'same-site' }))?.status).toBe(403);
    // Our own form under Referrer-Policy: no-referrer: Origin null, but the browser vouches same-origin.
    expect((await post(TOKEN, { 'sec-fetch-site': 'same-origin', origin: 'null' }))?.status).toBe(303);
  });
});
