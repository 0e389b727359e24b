/**
 * End to end, as a new user reads a sweep: `next build`, the production server as `opto dashboard` starts
 * it, Debian chromium. A sweep of 4 Fig. 5b clamp conditions x 3 seeds (and a failed fourth seed of one)
 * opened in the compare view shows 4 bands labelled by the paper's conditions; log x set through the URL
 * changes the drawn line; the smoothing slider changes the drawn line and keeps the raw one faint; the CSV
 * download parses and holds the aggregated rows the server answered. Screenshots (README) go to
 * apps/dashboard/screenshots/e2e.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESETS } from '@optoscope/engine';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDashboardSession, SHOTS_DIR } from '../testing/browser';
import { makeSweepFixture, SWEEP_CONDITIONS } from '../testing/sweepFixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-sweep-e2e-'));
let ids: string[] = [];
let session: Awaited<ReturnType<typeof openDashboardSession>> | undefined;
let page: Page;
let pageErrors: string[] = [];
const url = (p: string) => session!.url(p);

beforeAll(async () => {
  ids = await makeSweepFixture(path.join(tmp, 'runs'));
  session = await openDashboardSession(path.join(tmp, 'runs'), { distDir: '.next-sweep-e2e', build: 'auto', viewport: { width: 1600, height: 1100 } });
  ({ page, pageErrors } = session);
}, 600_000);

afterAll(async () => {
  await session?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const shot = (name: string, fig?: string) => (fig ? page.locator(`[data-testid=${fig}]`).screenshot({ path: path.join(SHOTS_DIR, `${name}.png`) }) : page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: true }));
const count = (sel: string) => page.locator(sel).count();
const linePaths = () => page.locator('[data-testid=fig-compare] svg g.mark-line.role-mark path').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
async function figure(fig: string): Promise<void> {
  await page.waitForSelector(`[data-testid=${fig}] svg g.role-mark`, { state: 'attached', timeout: 60_000 });
}

function parseCsv(text: string): Record<string, string>[] {
  // The rows hold quoted legends ("1, 2, 3qk, 4" ...): a small RFC 4180 reader.
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += ch;
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

describe('a sweep in the compare view (production build, chromium)', () => {
  it('4 bands labelled by condition; log x through the URL; the smoothing slider; the CSV holds the aggregated rows', async () => {
    const base = `/compare?runs=${ids.join(',')}`;
    await page.goto(url(base));
    await figure('fig-compare');
    await figure('fig-group-learning-time');
    await figure('fig-hyperparameters');
    expect(await count('[data-testid=fig-compare] svg g.mark-area.role-mark path')).toBe(4);
    expect(await count('[data-testid=fig-compare] svg g.mark-line.role-mark path')).toBe(4);
    const legend = await page.locator('[data-testid=fig-compare] svg g.role-legend text').allTextContents();
    for (const p of SWEEP_CONDITIONS) expect(legend.some((t) => t.startsWith(PRESETS[p]!.legend!))).toBe(true);
    expect(legend).toContain(`${PRESETS['fig5b-match']!.legend} (3 of 4 seeds)`);
    expect(legend.some((t) => /[0-9a-f]{8}/.test(t) || ids.includes(t))).toBe(false);
    expect(await page.locator('[data-testid=groups-table]').textContent()).toContain('3 of 4 seeds');
    await shot('sweep-compare');
    await shot('sweep-bands', 'fig-compare');
    await shot('sweep-learning-time', 'fig-group-learning-time');
    await shot('sweep-hyperparameters', 'fig-hyperparameters');
    const linear = await linePaths();

    await page.goto(url(`${base}&logx=1`));
    await figure('fig-compare');
    expect(await page.locator('[data-testid=log-x]').isChecked()).toBe(true);
    await page.waitForFunction((before) => {
      const ds = [...document.querySelectorAll('[data-testid=fig-compare] svg g.mark-line.role-mark path')].map((p) => p.getAttribute('d'));
      return ds.length === 4 && ds[0] !== before;
    }, linear[0]);
    // The checkbox takes it back out of the URL.
    await page.locator('[data-testid=log-x]').click();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('logx'));
    await page.waitForFunction((before) => document.querySelector('[data-testid=fig-compare] svg g.mark-line.role-mark path')?.getAttribute('d') === before, linear[0]);

    await page.locator('[data-testid=smoothing]').fill('0.9');
    await page.waitForURL(/smooth=0\.9/);
    // The smoothed lines over the raw means (drawn faint): 8 lines, and the drawn line is not the raw one.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=fig-compare] svg g.mark-line.role-mark path').length === 8);
    const smoothed = await linePaths();
    expect(smoothed.filter((d) => !linear.includes(d)).length).toBeGreaterThanOrEqual(4);
    await shot('sweep-smoothed', 'fig-compare');

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=csv-compare-curves]').click()]);
    const csv = parseCsv(fs.readFileSync((await download.path())!, 'utf8'));
    const answer = (await (await fetch(url(`/api/sweep?runs=${ids.join(',')}`))).json()) as { groups: { legend: string; points: { x: number; mean: number; std: number; n: number }[] }[] };
    expect(csv.length).toBe(answer.groups.reduce((s, g) => s + g.points.length, 0));
    expect(new Set(csv.map((r) => r.group))).toEqual(new Set(answer.groups.map((g) => g.legend)));
    for (const g of answer.groups)
      for (const p of g.points) {
        const row = csv.find((r) => r.group === g.legend && Number(r.x) === p.x)!;
        expect(Number(row.mean)).toBe(p.mean);
        expect(Number(row.std)).toBe(p.std);
        expect(Number(row.n)).toBe(p.n);
        expect(Number.isFinite(Number(row.smoothed))).toBe(true);
      }
    expect(pageErrors).toEqual([]);
  });

  it('a run page: train-window loss and gradient norm drawn, log y and wall time from the URL', async () => {
    await page.goto(url(`/runs/${ids[0]}?logy=1&xby=wall`));
    for (const f of ['fig-loss', 'fig-train-loss', 'fig-grad-norm']) await figure(f);
    expect(await page.locator('[data-testid=log-y]').isChecked()).toBe(true);
    expect(await page.locator('[data-testid=fig-grad-norm] svg text').allTextContents()).toEqual(expect.arrayContaining(['wall time (s)', 'mean gradient norm']));
    await shot('run-train-window', 'fig-grad-norm');
    expect(pageErrors).toEqual([]);
  });
});
