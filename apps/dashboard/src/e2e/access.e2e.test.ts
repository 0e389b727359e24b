/**
 * Access control end to end: the production build started the way `opto dashboard --token-file` starts
 * it, every route enumerated from the app's route files (src/app/**\/page.tsx and route.ts, with the HTTP
 * methods each route file exports, and the pages-router API routes under src/pages/api), and for each the one status every layer must answer:
 *
 *   wrong Host (token or not)        403
 *   no token, or a wrong one         401
 *   the token, an allowed Host       the route's own status (the table below; a new route file fails the
 *                                    test until it has a row, so nothing slips through unprotected)
 *   a method the route lacks         405 (the dashboard is read-only)
 *
 * plus the security headers on every one of those answers, malformed percent-encoding (400), error bodies
 * without absolute paths, and, in Debian chromium: the login form, then the runs table, a run page's Vega
 * figures and /train (wasm and webgpu workers) rendering with no CSP violation reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, tagRun, train, writeJsonAtomic } from '@optoscope/engine';
import { startDashboard, type DashboardServer } from '@optoscope/cli/dist/commands/dashboard.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, WEBGPU_FLAGS } from '../testing/browser';
import { rawRequest, type RawResponse } from '../testing/http';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'app');
const TOKEN = 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184';
const EXTRA_HOST = 'dash.example.test';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-access-e2e-')));
const runsDir = path.join(tmp, 'runs');
let server: DashboardServer | undefined;
let browser: Browser | undefined;
let page: Page;
let pageErrors: string[] = [];

/** Each route template (`/api/runs/[id]`) the app defines, with the methods its file answers. */
function appRoutes(dir = APP_DIR, prefix = ''): { template: string; methods: string[] }[] {
  const out: { template: string; methods: string[] }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...appRoutes(path.join(dir, e.name), `${prefix}/${e.name}`));
    else if (/^page\.(tsx|ts|jsx|js)$/.test(e.name)) out.push({ template: prefix || '/', methods: ['GET'] });
    else if (/^route\.(ts|js)$/.test(e.name)) {
      const src = fs.readFileSync(path.join(dir, e.name), 'utf8');
      const methods = [...src.matchAll(/export\s+(?:async\s+)?(?:function|const)\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g)].map((m) => m[1]);
      out.push({ template: prefix || '/', methods: [...new Set(methods)].sort() });
    }
  }
  return out.sort((a, b) => (a.template < b.template ? -1 : 1));
}

/**
 * The pages-router API routes (src/pages/api, e.g. the run list): a file per route; its handler decides
 * the methods, and ours are read-only, so each is listed with GET (the read-only test checks the others).
 */
function pagesApiRoutes(dir = path.join(APP_DIR, '../pages/api'), prefix = '/api'): { template: string; methods: string[] }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return pagesApiRoutes(path.join(dir, e.name), `${prefix}/${e.name}`);
    const name = e.name.replace(/\.(ts|js)$/, '');
    return name === e.name ? [] : [{ template: name === 'index' ? prefix : `${prefix}/${name}`, methods: ['GET'] }];
  });
}

const allRoutes = () => [...appRoutes(), ...pagesApiRoutes()].sort((a, b) => (a.template < b.template ? -1 : 1));

/** What each route answers with the token: a concrete URL, its status and content type. */
const EXPECT: Record<string, { url: string; status: number; type: RegExp }> = {
  '/': { url: '/', status: 200, type: /^text\/html/ },
  '/compare': { url: '/compare?runs=alpha', status: 200, type: /^text\/html/ },
  '/report': { url: '/report', status: 200, type: /^text\/html/ },
  '/runs/[id]': { url: '/runs/alpha', status: 200, type: /^text\/html/ },
  '/train': { url: '/train', status: 200, type: /^text\/html/ },
  '/train/core.wasm': { url: '/train/core.wasm', status: 200, type: /^application\/wasm/ },
  '/api/compare': { url: '/api/compare?runs=alpha', status: 200, type: /^application\/json/ },
  '/api/report': { url: '/api/report', status: 200, type: /^application\/json/ },
  '/api/report/figure/[id]': { url: '/api/report/figure/fig1', status: 200, type: /^image\/svg\+xml/ },
  '/api/runs': { url: '/api/runs', status: 200, type: /^application\/json/ },
  '/api/runs/[id]': { url: '/api/runs/alpha', status: 200, type: /^application\/json/ },
  '/api/runs/[id]/attention': { url: '/api/runs/alpha/attention', status: 200, type: /^application\/json/ },
  '/api/runs/[id]/heads': { url: '/api/runs/alpha/heads', status: 200, type: /^application\/json/ },
  '/api/runs/[id]/metrics': { url: '/api/runs/alpha/metrics', status: 200, type: /^application\/json/ },
  '/api/runs/[id]/wiring': { url: '/api/runs/alpha/wiring', status: 200, type: /^application\/json/ },
  '/api/sweep': { url: '/api/sweep?runs=alpha', status: 200, type: /^application\/json/ },
};

beforeAll(async () => {
  const cfg = (seed: number) =>
    parseRunConfig({ preset: 'smoke', backend: 'wasm', seeds: { init: seed, train: seed + 10, eval: seed + 20 }, schedule: { seqs: 2048, evalEvery: 1024, ckptEvery: 1024, evalSize: 100 } });
  await train(cfg(1), { out: path.join(runsDir, 'alpha') });
  tagRun(path.join(runsDir, 'alpha'), ['owner=ana']);
  // A report with one figure, so the figure route has something to serve (SVG drawn by hand: the route
  // serves bytes, it does not care who drew them).
  fs.mkdirSync(path.join(runsDir, 'report', 'figures'), { recursive: true });
  fs.writeFileSync(path.join(runsDir, 'report', 'figures', 'fig1.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n');
  writeJsonAtomic(path.join(runsDir, 'report', 'report.json'), {
    version: 1,
    generatedAt: new Date().toISOString(),
    runsDir,
    claims: [{ id: 3, title: 'loss plateaus at ln 2', group: 'Setup-level', status: 'pass', measured: 'x', numbers: {}, runs: ['alpha'], commands: [`opto train --out ${runsDir}/alpha`], figures: ['fig1'] }],
    figures: [{ id: 'fig1', title: 'Loss', file: 'figures/fig1.svg', runs: ['alpha'] }],
    summary: { pass: 1, fail: 0, missing: 0 },
  });
  server = await startDashboard({ runsDir, port: 0, token: TOKEN, allowedHosts: [EXTRA_HOST], build: 'auto', distDir: '.next-access', log: () => undefined });
  ({ browser, page, pageErrors } = await openBrowser({ width: 1400, height: 1000 }, WEBGPU_FLAGS));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const HOST = () => `127.0.0.1:${server!.port}`;
const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(server!.port, url, { method, headers: { host: HOST(), ...headers } });
const bearer = { authorization: `Bearer ${TOKEN}` };

function expectSecurityHeaders(r: RawResponse, what: string): void {
  const csp = String(r.headers['content-security-policy'] ?? '');
  expect(csp, `${what}: CSP`).toMatch(/frame-ancestors 'none'/);
  expect(csp, `${what}: CSP`).toMatch(/default-src '(self|none)'/);
  expect(csp, `${what}: CSP`).not.toMatch(/'unsafe-eval'/);
  expect(r.headers['x-content-type-options'], `${what}: nosniff`).toBe('nosniff');
  expect(r.headers['referrer-policy'], `${what}: Referrer-Policy`).toBe('no-referrer');
  expect(r.headers['x-frame-options'], `${what}: X-Frame-Options`).toBe('DENY');
}

describe('every route, over HTTP', () => {
  const routes = allRoutes();

  it('the expectation table names exactly the routes the app defines (a new route must be added here)', () => {
    expect(routes.map((r) => r.template)).toEqual(Object.keys(EXPECT).sort());
    expect(routes.filter((r) => r.methods.length === 0)).toEqual([]);
  });

  it('no token → 401; a wrong token → 401; a wrong Host → 403 even with the token; headers on each', async () => {
    for (const { template, methods } of routes) {
      const { url } = EXPECT[template];
      for (const m of methods) {
        for (const [label, headers, status] of [
          ['no token', {}, 401],
          ['no token, browser', { accept: 'text/html' }, 401],
          ['wrong token', { authorization: `Bearer ${TOKEN.slice(0, -1)}0` }, 401],
          ['wrong cookie', { cookie: `opto_session=${TOKEN}` }, 401],
          ['wrong Host', { ...bearer, host: 'evil.example' }, 403],
          ['wrong Host, rebinding to loopback', { ...bearer, host: `evil.example:${server!.port}` }, 403],
        ] as [string, Record<string, string>, number][]) {
          const r = await get(url, headers, m);
          expect(r.status, `${m} ${url} (${label})`).toBe(status);
          expectSecurityHeaders(r, `${m} ${url} (${label})`);
          expect(r.body, `${m} ${url} (${label})`).not.toContain('"rows"');
        }
      }
    }
  });

  it('with the token: each route answers its own status and type, on every allowed Host name', async () => {
    for (const { template, methods } of routes) {
      const e = EXPECT[template];
      for (const m of methods)
        for (const host of [HOST(), `localhost:${server!.port}`, EXTRA_HOST]) {
          const r = await get(e.url, { ...bearer, host }, m);
          expect(r.status, `${m} ${e.url} Host ${host}`).toBe(e.status);
          expect(String(r.headers['content-type']), `${m} ${e.url}`).toMatch(e.type);
          expectSecurityHeaders(r, `${m} ${e.url}`);
        }
    }
  });

  it('read-only: methods a route does not export are 405 with the token, 401 without', async () => {
    for (const { template, methods } of routes.filter((r) => r.template.startsWith('/api/'))) {
      for (const m of ['POST', 'PUT', 'DELETE'].filter((x) => !methods.includes(x))) {
        expect((await get(EXPECT[template].url, bearer, m)).status, `${m} ${template}`).toBe(405);
        expect((await get(EXPECT[template].url, {}, m)).status, `${m} ${template}`).toBe(401);
      }
    }
  });

  it('paths outside the route files are guarded the same way: static chunks, the icon, unknown paths', async () => {
    const html = (await get('/', bearer)).body;
    const chunk = /<script src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(chunk).toBeDefined();
    for (const [url, status] of [
      [chunk!, 200],
      ['/icon.svg', 200],
      ['/no-such-page', 404],
      ['/api/no-such-route', 404],
    ] as [string, number][]) {
      expect((await get(url)).status, `${url} without token`).toBe(401);
      expect((await get(url, { ...bearer, host: 'evil.example' })).status, `${url} wrong Host`).toBe(403);
      const r = await get(url, bearer);
      expect(r.status, url).toBe(status);
      expectSecurityHeaders(r, url);
    }
  });

  it('pages carry a fresh nonce on every script; API answers a policy that runs nothing', async () => {
    const a = await get('/', bearer);
    const b = await get('/', bearer);
    const nonce = (r: RawResponse) => /'nonce-([^']+)'/.exec(String(r.headers['content-security-policy']))![1];
    expect(nonce(a)).not.toBe(nonce(b));
    const scripts = [...a.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toContain(`nonce="${nonce(a)}"`);
    expect(String((await get('/api/report/figure/fig1', bearer)).headers['content-security-policy'])).toMatch(/^default-src 'none';/);
  });

  it('malformed percent-encoding is 400 with the token (401 without); error bodies carry no absolute path', async () => {
    for (const url of ['/runs/%c0%ae%c0%ae', '/api/runs/%c0%ae/metrics', '/%', '/api/runs/%zz']) {
      expect((await get(url)).status, url).toBe(401);
      const r = await get(url, bearer);
      expect(r.status, url).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: 'malformed percent-encoding in the URL path' });
      expectSecurityHeaders(r, url);
    }
    fs.mkdirSync(path.join(runsDir, 'broken'));
    fs.writeFileSync(path.join(runsDir, 'broken', 'run.json'), '{"status": ');
    try {
      for (const url of ['/api/runs/nope', '/api/runs/broken', '/api/runs/broken/metrics', '/api/compare?runs=nope', '/api/runs', '/api/report']) {
        const r = await get(url, bearer);
        expect(r.body, url).not.toContain(tmp);
        expect(r.body, url).not.toContain(os.tmpdir());
      }
      const broken = JSON.parse((await get('/api/runs?q=broken', bearer)).body).rows[0];
      expect(broken.error).toMatch(/^<runs>\/broken\/run\.json: not valid JSON/);
      const report = JSON.parse((await get('/api/report', bearer)).body);
      expect(report.report.runsDir).toBe('<runs>');
      expect(report.report.claims[0].commands).toEqual(['opto train --out <runs>/alpha']);
    } finally {
      fs.rmSync(path.join(runsDir, 'broken'), { recursive: true });
    }
  });

  it('the runs API rows carry tags and notes and filter by tag', async () => {
    const all = JSON.parse((await get('/api/runs', bearer)).body);
    expect(all.rows.map((r: { id: string; tags: unknown; note: unknown }) => [r.id, r.tags, r.note])).toEqual([['alpha', { owner: 'ana' }, null]]);
    expect(all.tags).toEqual(['owner=ana']);
    expect(all.fields).toContain('tags.owner');
    expect(JSON.parse((await get('/api/runs?tag=owner%3Dbob', bearer)).body).matched).toBe(0);
    expect(JSON.parse((await get('/api/runs?tag=owner%3Dana', bearer)).body).matched).toBe(1);
    expect(JSON.parse((await get('/api/runs?f=tags.owner%3Dana', bearer)).body).matched).toBe(1);
    expect((await get('/api/runs?tag=owner', bearer)).status).toBe(400);
  });
});

describe('in chromium, under the CSP', () => {
  let context: BrowserContext;
  const violations: string[] = [];

  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`${p.url()}: ${m.text()}`);
    });
  };

  it('the login form: a wrong token stays out, the right one sets an HttpOnly SameSite=Strict cookie and opens the page asked for', async () => {
    context = page.context();
    watch(page);
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
    });
    const first = await page.goto(`${server!.url}/runs/alpha`);
    expect(first?.status()).toBe(401);
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=login-error]');
    expect(await context.cookies()).toEqual([]);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${server!.url}/runs/alpha`), page.click('button[type=submit]')]);
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([['opto_session', true, 'Strict', '/']]);
    expect(cookies[0].value).not.toContain(TOKEN);
    // Scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('a run page draws its Vega figures (expression interpreter, no eval); the runs table shows and filters tags', async () => {
    for (const f of ['fig-loss', 'fig-accuracy']) await page.waitForSelector(`[data-testid=${f}] svg g.role-mark`, { state: 'attached', timeout: 120_000 });
    expect(await page.locator('[data-testid=fig-loss] svg g.mark-line.role-mark path').count()).toBeGreaterThanOrEqual(3);
    await page.goto(`${server!.url}/`);
    await page.waitForSelector('[data-testid=run-row]');
    expect(await page.locator('[data-testid=run-row] [data-testid=run-tags]').textContent()).toBe('owner=ana');
    await page.selectOption('[data-testid=filter-tag]', 'owner=ana');
    await page.waitForURL(/tag=owner%3Dana/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 1);
    await page.goto(`${server!.url}/report`);
    await page.waitForSelector('img[src="/api/report/figure/fig1"]');
    expect(await page.locator('img[src="/api/report/figure/fig1"]').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(10);
  });

  it('/train trains on the wasm core and on webgpu in its workers', async () => {
    await page.goto(`${server!.url}/train`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    for (const backend of ['wasm', 'webgpu']) {
      await page.selectOption('[data-testid=train-backend-pick]', backend);
      await page.waitForSelector(`[data-testid=train-backend][data-backend=${backend}]`, { timeout: 60_000 });
      await page.locator('[data-testid=train-seqs]').fill(String(backend === 'wasm' ? 64 * 32 : 2 * 32));
      await page.locator('[data-testid=train-start]').click();
      await page.waitForSelector('[data-testid=train-status][data-phase=done], [data-testid=train-status][data-phase=failed]', { timeout: 600_000 });
      expect(await page.locator('[data-testid=train-status]').getAttribute('data-phase'), `${backend}: ${await page.locator('[data-testid=train-status]').textContent()}`).toBe('done');
      expect(await page.locator('[data-testid=train-backend]').getAttribute('data-run-backend')).toBe(backend);
      await page.waitForSelector('[data-testid=fig-train-loss] svg g.role-mark', { state: 'attached' });
    }
  }, 900_000);

  it('no CSP violation was reported and no page error was thrown anywhere above', () => {
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
