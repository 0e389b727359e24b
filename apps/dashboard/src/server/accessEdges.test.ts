/**
 * The edges of the access gate that access.test.ts (the main paths) leaves open, each on both sides: how the
 * Host and Authorization headers are anchored and trimmed, cookie pairs without a name, the exact policies
 * every answer carries, the login form's escaping and limits (4 KiB to the byte, a token past the cut), which
 * requests reach the login exchange, and where its redirects point.
 */
import { describe, expect, it } from 'vitest';
import {
  accessConfigFromEnv,
  authenticated,
  contentSecurityPolicy,
  cookieValue,
  gate,
  hostAllowed,
  loginPage,
  parseHost,
  securityHeaders,
  sessionValue,
  SESSION_COOKIE,
} from './access';

const TOKEN = 'fedcba9876543210fedcba9876543210';
const cfg = accessConfigFromEnv({ OPTO_DASHBOARD_TOKEN: TOKEN, OPTO_DASHBOARD_ALLOWED_HOSTS: 'dash.example.org' });
const req = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}, origin = 'http://127.0.0.1:3000') =>
  new Request(`${origin}${path}`, { ...init, headers: { host: '127.0.0.1:3000', ...headers } });
const form = (fields: string, headers: Record<string, string> = {}, path = '/login') =>
  req(path, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, { method: 'POST', body: fields });
const bearer = (value: string) => new Headers({ authorization: value });

describe('configuration from the environment', () => {
  it('the token is trimmed and a blank one is no token; hosts are trimmed, lower-cased and added to loopback', () => {
    expect(accessConfigFromEnv({ OPTO_DASHBOARD_TOKEN: `  ${TOKEN}\n` }).token).toBe(TOKEN);
    expect(accessConfigFromEnv({ OPTO_DASHBOARD_TOKEN: '   ' }).token).toBeNull();
    expect(accessConfigFromEnv({}).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(accessConfigFromEnv({ OPTO_DASHBOARD_ALLOWED_HOSTS: ' Dash.Example.org ,, LOCALHOST,10.0.0.5:8443' }).allowedHosts).toEqual([
      'localhost',
      '127.0.0.1',
      '[::1]',
      'dash.example.org',
      '10.0.0.5:8443',
    ]);
  });
});

describe('Host header', () => {
  it('is one host name or bracketed IPv6 with an optional port, anchored at both ends, blanks around ignored', () => {
    expect(parseHost('  Dash.Example.org:8080 ')).toEqual({ name: 'dash.example.org', port: '8080' });
    expect(parseHost('[::1]')).toEqual({ name: '[::1]', port: null });
    for (const bad of ['evil.example localhost', 'evil.example/localhost', 'localhost:80:80', 'localhost:123456', 'user@localhost', '']) {
      expect(parseHost(bad), bad).toBeNull();
    }
    expect(hostAllowed('evil.example localhost', ['localhost'])).toBe(false);
    expect(hostAllowed(null, ['localhost'])).toBe(false);
  });
});

describe('credentials', () => {
  it('Bearer: one or more spaces before the token, trailing blanks allowed, nothing before it or after it', () => {
    expect(authenticated(bearer(`Bearer ${TOKEN}`), TOKEN)).toBe(true);
    expect(authenticated(bearer(`bearer   ${TOKEN}  `), TOKEN)).toBe(true);
    expect(authenticated(bearer(`xBearer ${TOKEN}`), TOKEN)).toBe(false);
    expect(authenticated(bearer(`Bearer ${TOKEN} extra`), TOKEN)).toBe(false);
    expect(authenticated(bearer(`Bearer ${TOKEN}x`), TOKEN)).toBe(false);
    expect(authenticated(new Headers(), TOKEN)).toBe(false);
  });

  it('a cookie pair without a name or without = never matches', () => {
    const v = sessionValue(TOKEN);
    expect(cookieValue(`a=1; ${SESSION_COOKIE}=${v}`, SESSION_COOKIE)).toBe(v);
    expect(cookieValue(`${SESSION_COOKIE}X`, SESSION_COOKIE)).toBeNull(); // no '=' in the pair
    expect(cookieValue('=x', '')).toBeNull(); // an empty name is no name
    expect(cookieValue(null, SESSION_COOKIE)).toBeNull();
    expect(authenticated(new Headers({ cookie: `${SESSION_COOKIE}=${TOKEN}` }), TOKEN)).toBe(false); // the token is not the session
  });
});

describe('headers every answer carries', () => {
  it('the page policy, exactly', () => {
    expect(contentSecurityPolicy('abc')).toBe(
      "default-src 'self'; script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' blob: data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('the other security headers, on pages and API answers alike', () => {
    for (const p of ['/', '/api/runs']) {
      const h = securityHeaders('n', p);
      expect(h['X-Content-Type-Options']).toBe('nosniff');
      expect(h['Referrer-Policy']).toBe('no-referrer');
      expect(h['X-Frame-Options']).toBe('DENY');
      expect(h['Cross-Origin-Resource-Policy']).toBe('same-origin');
    }
  });

  it('refusals are not cached', async () => {
    for (const r of [await gate(req('/api/runs'), cfg, 'n'), await gate(req('/', { host: 'evil.example' }), cfg, 'n'), await gate(req('/%zz', { authorization: `Bearer ${TOKEN}` }), cfg, 'n')]) {
      expect(r?.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('the login page', () => {
  it('escapes the return path into the form; says nothing of a wrong token unless there was one', async () => {
    const page = loginPage(`/runs/"><script>alert('x')</script>&`, 'nonce1', 401);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('value="/runs/&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;"');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('login-error');
    // nothing at all stands between the explanation and the form when the token was not wrong
    expect(html).toContain('<code>opto dashboard --token-file</code>).</p>\n\n<form method="post"');
    expect(await loginPage('/', 'n', 401, true).text()).toContain(`<p class="err" role="alert" data-testid="login-error">That token is not this dashboard's.</p>`);
  });
});

describe('which requests see what, without credentials', () => {
  it('HTML only for a browser GET outside /api/; the login page keeps a safe next; JSON otherwise, with its message', async () => {
    const page = await gate(req('/login?next=/runs/a%3Fb', { accept: 'text/html' }), cfg, 'n');
    expect(page?.status).toBe(401);
    expect(await page!.text()).toContain('value="/runs/a?b"');
    expect(await (await gate(req('/login?next=//evil.example', { accept: 'text/html' }), cfg, 'n'))!.text()).toContain('name="next" value="/"');
    for (const r of [
      await gate(req('/api/runs', { accept: 'text/html' }), cfg, 'n'),
      await gate(req('/runs/a'), cfg, 'n'),
      await gate(req('/runs/a', { accept: 'text/html' }, { method: 'DELETE' }), cfg, 'n'),
      await gate(form('token=x', {}, '/runs/a'), cfg, 'n'), // a POST elsewhere is no login
    ]) {
      expect(r?.status).toBe(401);
      expect(await r!.json()).toEqual({ error: 'this dashboard needs its access token: send Authorization: Bearer <token>, or log in at /login' });
    }
  });

  it('a wrong Host is named in the 403, cut to 100 characters', async () => {
    const host = `${'a'.repeat(150)}.example`;
    const r = await gate(req('/', { host }), cfg, 'n');
    expect(await r!.json()).toEqual({ error: `Host '${'a'.repeat(100)}' is not allowed: start opto dashboard with --allowed-host <name> to serve this name` });
  });

  it('malformed percent-encoding names the problem', async () => {
    const r = await gate(req('/%c0%ae', { authorization: `Bearer ${TOKEN}` }), cfg, 'n');
    expect(r?.status).toBe(400);
    expect(await r!.json()).toEqual({ error: 'malformed percent-encoding in the URL path' });
  });
});

describe('the login exchange', () => {
  it('without Sec-Fetch-Site or Origin (a script, an old browser) the form is accepted; same-origin and none are too', async () => {
    expect((await gate(form(`token=${TOKEN}`), cfg, 'n'))?.status).toBe(303);
    expect((await gate(form(`token=${TOKEN}`, { 'sec-fetch-site': 'none' }), cfg, 'n'))?.status).toBe(303);
    const refused = await gate(form(`token=${TOKEN}`, { 'sec-fetch-site': 'same-site' }), cfg, 'n');
    expect(await refused!.json()).toEqual({ error: 'a login form posted from another site is refused' });
  });

  it('blanks around the token are ignored; a form without a token is a wrong token, not a crash', async () => {
    expect((await gate(form(`token=%20${TOKEN}%20`), cfg, 'n'))?.status).toBe(303);
    const none = await gate(form('next=/a'), cfg, 'n');
    expect(none?.status).toBe(401);
    expect(await none!.text()).toContain('login-error');
  });

  it('bodies: a declared 4096 bytes is read, 4097 is 413; of an undeclared body only the first 4096 bytes count', async () => {
    const exact = `token=${TOKEN}&next=/${'a'.repeat(4096 - 45)}`;
    expect(exact.length).toBe(4096);
    expect((await gate(form(exact, { 'content-length': '4096' }), cfg, 'n'))?.status).toBe(303);
    const big = await gate(form(exact + 'b', { 'content-length': '4097' }), cfg, 'n');
    expect(big?.status).toBe(413);
    expect(await big!.json()).toEqual({ error: 'login form body is larger than 4 KiB' });
    // the token past the cut is never read
    expect((await gate(form(`next=/${'a'.repeat(4100)}&token=${TOKEN}`), cfg, 'n'))?.status).toBe(401);
  });

  it("redirects go to the request's own Host (as the allow-list passed it), https when served or proxied so", async () => {
    const viaName = await gate(form(`token=${TOKEN}&next=/compare`, { host: 'dash.example.org' }, '/login'), cfg, 'n');
    expect(viaName?.headers.get('location')).toBe('http://dash.example.org/compare');
    expect(viaName?.headers.get('cache-control')).toBe('no-store');
    const tls = await gate(new Request('https://127.0.0.1:3000/login', { method: 'POST', headers: { host: '127.0.0.1:3000', 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` }), cfg, 'n');
    expect(tls?.headers.get('set-cookie')).toMatch(/; Secure$/);
    expect(tls?.headers.get('location')).toBe('https://127.0.0.1:3000/');
    const plain = await gate(form(`token=${TOKEN}`), cfg, 'n');
    expect(plain?.headers.get('set-cookie')).not.toContain('Secure');
  });

  it('a logged-in GET of /login goes straight to next (or /)', async () => {
    const cookie = `${SESSION_COOKIE}=${sessionValue(TOKEN)}`;
    const r = await gate(req('/login?next=/runs/x', { cookie }), cfg, 'n');
    expect(r?.status).toBe(303);
    expect(r?.headers.get('location')).toBe('http://127.0.0.1:3000/runs/x');
    expect(r?.headers.get('cache-control')).toBe('no-store');
    expect((await gate(req('/login', { cookie }), cfg, 'n'))?.headers.get('location')).toBe('http://127.0.0.1:3000/');
    expect(await gate(req('/runs/x', { cookie }), cfg, 'n')).toBeNull();
  });
});
