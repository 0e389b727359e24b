/**
 * End to end: `next build`, the production server started the way `opto dashboard` starts it, Debian
 * chromium driven by playwright-core. Checks that every figure renders (SVG marks present), that rows
 * appended to a live run appear on screen without a reload, that corrupt files show messages, that the
 * URL carries the page state, that figures export as SVG and PNG, and that traversal attempts over raw
 * HTTP never reach a file outside the runs directory. Screenshots go to apps/dashboard/screenshots/e2e
 * (or $DASHBOARD_SCREENSHOTS).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PRESET_HEADS, RunDir, mergeConfig, parseRunConfig, presetConfig, train } from '@optoscope/engine';
import { writeReport } from '@optoscope/engine/report';
import { writeCurveRun, type CurveShape } from '@optoscope/engine/testing';
import { startDashboard, type DashboardServer } from '@optoscope/cli/dist/commands/dashboard.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, SHOTS_DIR } from '../testing/browser';
import { makeFixture, SECRET, type Fixture } from '../testing/fixtures';
import { rawRequest } from '../testing/http';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-e2e-'));
let fx: Fixture;
let server: DashboardServer | undefined;
let browser: Browser | undefined;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  fx = await makeFixture(tmp);
  process.env.OPTO_DASHBOARD_CACHE = path.join(tmp, 'cache'); // the server's head-curve store, outside the runs
  // Its own build directory: a dashboard someone is using keeps its .next.
  server = await startDashboard({ runsDir: fx.runsDir, port: 0, build: 'always', distDir: '.next-e2e', log: () => undefined });
  ({ browser, page, pageErrors } = await openBrowser({ width: 1600, height: 1000 }));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const url = (p: string) => `${server!.url}${p}`;
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: true });
/** Marks of one kind inside a figure (vega's SVG renderer: <g class="mark-line ..."><path/>...). */
const marks = (fig: string, kind: 'line' | 'rect' | 'rule' | 'symbol' | 'text', el = kind === 'rule' ? 'line' : kind === 'text' ? 'text' : 'path') =>
  page.locator(`[data-testid=${fig}] svg g.mark-${kind}.role-mark ${el}`).count();
const texts = (fig: string) => page.locator(`[data-testid=${fig}] svg text`).allTextContents();
async function figure(fig: string): Promise<void> {
  await page.waitForSelector(`[data-testid=${fig}] svg g.role-mark`, { state: 'attached', timeout: 60_000 });
}

describe('dashboard end to end (production build, chromium)', () => {
  it('runs table: lists the runs, filters through the URL', async () => {
    await page.goto(url('/'));
    await page.waitForSelector('[data-testid=run-row]');
    expect(await page.locator('[data-testid=run-row]').count()).toBe(7);
    expect(await page.locator('[data-testid=runs-table]').textContent()).toContain('not valid JSON');
    await page.selectOption('[data-testid=filter-status]', 'running');
    await page.waitForURL(/status=running/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 1);
    expect(await page.locator('[data-testid=run-row]').textContent()).toContain('live');
    await page.goto(url('/?f=task.numLabels%3D10&sort=id'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 3);
    await page.locator('[aria-label="select labels10"]').click();
    await page.waitForURL(/sel=labels10/);
    await page.waitForFunction(() => (document.querySelector('[aria-label="select labels10"]') as HTMLInputElement | null)?.checked === true);
    expect(await page.locator('[data-testid=compare-link]').getAttribute('href')).toBe('/compare?runs=labels10');
    await page.locator('[aria-label="select every run on this page"]').click();
    await page.waitForURL(/sel=labels10%2Cbadrows%2Cleaky|sel=labels10,badrows,leaky/);
    await page.waitForFunction(() => document.querySelector('[data-testid=compare-link]')?.getAttribute('href') === '/compare?runs=labels10,badrows,leaky');
    await page.locator('[aria-label="select every run on this page"]').click();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('sel'));
    await page.locator('[aria-label="select labels10"]').click();
    await page.waitForURL(/sel=labels10/);
    await shot('runs');
  });

  it('run page: loss, accuracy, head curves, attention at a slider checkpoint, wiring, config', async () => {
    await page.goto(url('/runs/smoke'));
    for (const f of ['fig-loss', 'fig-accuracy', 'fig-induction', 'fig-prevtoken', 'fig-attention', 'fig-wiring-m', 'fig-wiring-n', 'fig-composition']) await figure(f);
    expect(await marks('fig-loss', 'line')).toBeGreaterThanOrEqual(3);
    expect(await marks('fig-loss', 'rule')).toBe(2); // ln 2 and ln 5
    const loss = await texts('fig-loss');
    for (const t of ['Loss during training', '# sequences seen', 'mean loss', 'eval set', 'ln 2', 'ln 5', 'train']) expect(loss).toContain(t);
    expect(await texts('fig-accuracy')).toContain('accuracy');
    expect(await marks('fig-induction', 'line')).toBeGreaterThanOrEqual(8);
    expect(await texts('fig-induction')).toEqual(expect.arrayContaining(['Induction strength per head', 'induction strength', 'Layer-2 head', 'L2H0', 'L2H7']));
    expect(await marks('fig-prevtoken', 'line')).toBeGreaterThanOrEqual(8);
    expect(await texts('fig-prevtoken')).toEqual(expect.arrayContaining(['previous-token score', 'Layer-1 head', 'L1H0']));
    expect(await marks('fig-attention', 'rect')).toBe(16 * 25);
    expect(await texts('fig-attention')).toEqual(expect.arrayContaining(['L1H0', 'L2H7', 'q', 'x₁', 'attention']));
    expect(await marks('fig-wiring-m', 'rect')).toBe(2 * 64);
    expect(await marks('fig-wiring-n', 'rect')).toBe(2 * 64);
    expect(await marks('fig-composition', 'rect')).toBe(3 * 64);
    expect(await texts('fig-wiring-m')).toEqual(expect.arrayContaining(['Layer-1 head', 'Layer-2 head', 'Δ accuracy']));
    expect(await page.locator('[data-testid=clamp-json]').textContent()).toContain('{}');
    // An unclamped run: no toggle, and the page says its views are of the plain model.
    expect(await page.locator('[data-testid=clamp-shown]').textContent()).toContain('This run trained without a clamp spec');
    expect(await page.locator('[data-testid=clamp-toggle]').count()).toBe(0);
    expect(await texts('fig-induction')).toEqual(expect.arrayContaining([expect.stringContaining('unclamped run')]));
    // A run that never learned reads "not learned within …", never "150k (not learned)".
    const rec = ((await (await fetch(url('/api/runs/smoke'))).json()) as { record: { summary: { learned: boolean; learning_time: number } } }).record.summary;
    const lt = await page.locator('[data-testid=learning-time]').textContent();
    expect(lt).not.toContain('(not learned)');
    if (!rec.learned) expect(lt).toContain('not learned within');
    await shot('run');

    // The attention legend's title is whole and inside the figure's visible box, also in a 1280 px window.
    await page.setViewportSize({ width: 1280, height: 900 });
    const legendInside = () =>
      page.evaluate(() => {
        const fig = document.querySelector('[data-testid=fig-attention] .figure-canvas')!.getBoundingClientRect();
        const box = document.querySelector('[data-testid=fig-attention]')!.getBoundingClientRect();
        const title = [...document.querySelectorAll('[data-testid=fig-attention] svg text')].find((t) => t.textContent === 'attention')!.getBoundingClientRect();
        return { inside: title.left >= Math.max(fig.left, box.left) && title.right <= Math.min(fig.right, box.right), title: [title.left, title.right], box: [box.left, box.right] };
      });
    expect(await legendInside()).toMatchObject({ inside: true });
    await page.setViewportSize({ width: 1600, height: 1000 });

    // The slider picks a checkpoint; the URL keeps it, so the link reopens the same view.
    const detail = (await (await fetch(url('/api/runs/smoke'))).json()) as { checkpoints: number[] };
    const before = (await texts('fig-attention')).find((t) => t.startsWith('Attention patterns at'));
    await page.locator('[data-testid=ckpt-slider]').fill('0');
    await page.waitForURL(/ckpt=0/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-attention] svg text')].some((t) => t.textContent === 'Attention patterns at 0 sequences'));
    expect(before).toBe(`Attention patterns at ${detail.checkpoints.at(-1)! >= 1000 ? `${+(detail.checkpoints.at(-1)! / 1000).toFixed(1)}k` : detail.checkpoints.at(-1)} sequences`);
    expect(await page.locator('[data-testid=ckpt-label]').textContent()).toContain(`1 of ${detail.checkpoints.length}`);
    await page.reload();
    await figure('fig-attention');
    expect(await page.locator('[data-testid=ckpt-label]').textContent()).toContain(`1 of ${detail.checkpoints.length}`);

    // Export: SVG and PNG files of the figure as drawn.
    const [svgDl] = await Promise.all([page.waitForEvent('download'), page.locator('[aria-label="Export smoke-loss as SVG"]').click()]);
    expect(svgDl.suggestedFilename()).toBe('smoke-loss.svg');
    const svg = fs.readFileSync((await svgDl.path())!, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Loss during training');
    const [pngDl] = await Promise.all([page.waitForEvent('download'), page.locator('[aria-label="Export smoke-loss as PNG"]').click()]);
    expect(pngDl.suggestedFilename()).toBe('smoke-loss.png');
    expect([...fs.readFileSync((await pngDl.path())!).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it('a ?ckpt= that names no checkpoint says which one is shown instead', async () => {
    const detail = (await (await fetch(url('/api/runs/smoke'))).json()) as { checkpoints: number[] };
    await page.goto(url('/runs/smoke?ckpt=7'));
    await page.waitForSelector('[data-testid=ckpt-missing]');
    expect(await page.locator('[data-testid=ckpt-missing]').textContent()).toBe('?ckpt=7 names no checkpoint of this run; shown instead: the nearest checkpoint, 0 sequences.');
    expect(await page.locator('[data-testid=ckpt-label]').textContent()).toContain(`1 of ${detail.checkpoints.length}`);
    await page.goto(url('/runs/smoke?ckpt=latest'));
    await page.waitForSelector('[data-testid=ckpt-missing]');
    const last = detail.checkpoints.at(-1)!;
    expect(await page.locator('[data-testid=ckpt-missing]').textContent()).toBe(`?ckpt=latest names no checkpoint of this run; shown instead: the last checkpoint, ${last.toLocaleString('en')} sequences.`);
    // Picking a checkpoint with the slider makes the URL name it: the note goes.
    await page.locator('[data-testid=ckpt-slider]').fill('0');
    await page.waitForURL(/ckpt=0/);
    await page.waitForSelector('[data-testid=ckpt-missing]', { state: 'detached' });
  });

  it('a clamped run: views as trained by default, marked heads, a toggle to the same checkpoints unclamped kept in the URL', async () => {
    await page.goto(url('/runs/clamped'));
    for (const f of ['fig-induction', 'fig-prevtoken', 'fig-attention']) await figure(f);
    await page.waitForSelector('[data-testid=heads-pending]', { state: 'detached', timeout: 60_000 });
    const shown = () => page.locator('[data-testid=clamp-shown]').textContent();
    expect(await shown()).toBe('Shown: the model as trained. Head curves and attention patterns are computed with the run’s clamp spec (ablate 0:1,1:0; prevToken 0:2); heads it ablates or clamps are marked “(ablated)”, “(clamped)”.');
    expect(await page.locator('[data-testid=clamp-toggle] input[value=run]').isChecked()).toBe(true);
    expect(await texts('fig-induction')).toEqual(expect.arrayContaining(['L2H0 (ablated)', 'L2H1', expect.stringContaining('as trained, with its clamp spec (ablate 0:1,1:0; prevToken 0:2)')]));
    expect(await texts('fig-prevtoken')).toEqual(expect.arrayContaining(['L1H1 (ablated)', 'L1H2 (clamped)']));
    expect(await texts('fig-attention')).toEqual(expect.arrayContaining(['L1H2 (clamped)', 'L2H0 (ablated)']));
    await shot('clamped-as-trained');

    await page.locator('[data-testid=clamp-toggle] input[value=none]').click();
    await page.waitForURL(/clamp=none/);
    expect(await shown()).toContain('Shown: the same checkpoints unclamped.');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-induction] svg text')].some((t) => t.textContent === 'L2H0 (ablated in training)'));
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-attention] svg text')].some((t) => t.textContent === 'L1H2 (clamped in training)'));
    expect(await texts('fig-induction')).toEqual(expect.arrayContaining([expect.stringContaining('unclamped (clamp spec ablate 0:1,1:0; prevToken 0:2 removed)')]));
    expect(await texts('fig-induction')).not.toContain('L2H0 (ablated)');
    await shot('clamped-unclamped');

    // A shared link opens the same view.
    await page.reload();
    await figure('fig-induction');
    expect(await page.locator('[data-testid=clamp-toggle] input[value=none]').isChecked()).toBe(true);
    expect(await shown()).toContain('Shown: the same checkpoints unclamped.');
    await page.locator('[data-testid=clamp-toggle] input[value=run]').click();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('clamp'));
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-induction] svg text')].some((t) => t.textContent === 'L2H0 (ablated)'));
  });

  it('a live run: appended rows appear without a reload; a half-written row is flagged, then counted', async () => {
    await page.goto(url('/runs/live'));
    await figure('fig-loss');
    expect(await page.locator('[data-testid=live-note]').count()).toBe(1);
    const count = () => page.locator('[data-testid=row-count]').textContent();
    expect(await count()).toBe(`${fx.liveRows} metric rows`);
    const pathBefore = await page.locator('[data-testid=fig-loss] svg g.mark-line.role-mark path').first().getAttribute('d');
    const rd = RunDir.open(path.join(fx.runsDir, 'live'));
    const add = fx.smokeRows.slice(fx.liveRows, fx.liveRows + 12);
    rd.appendMetrics(add);
    const n = fx.liveRows + add.length;
    await page.waitForFunction((want) => document.querySelector('[data-testid=row-count]')?.textContent === want, `${n} metric rows`);
    await page.waitForFunction((d) => document.querySelector('[data-testid=fig-loss] svg g.mark-line.role-mark path')?.getAttribute('d') !== d, pathBefore);

    const line = JSON.stringify(fx.smokeRows[n]);
    fs.appendFileSync(rd.metricsFile, line.slice(0, 25));
    await page.waitForSelector('[data-testid=partial-note]');
    expect(await count()).toBe(`${n} metric rows`);
    await shot('live-partial');
    fs.appendFileSync(rd.metricsFile, line.slice(25) + '\n');
    await page.waitForFunction((want) => document.querySelector('[data-testid=row-count]')?.textContent === want, `${n + 1} metric rows`);
    await page.waitForSelector('[data-testid=partial-note]', { state: 'detached' });

    // The run finishes: the page notices and stops calling it live.
    rd.writeRecord({ ...rd.readRecord(), status: 'finished' });
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'finished');
    await page.waitForSelector('[data-testid=live-note]', { state: 'detached' });
  });

  it('compare: one line per group named by the config differences, and learning time against # labels and # classes', async () => {
    await page.goto(url('/compare?runs=smoke,labels10'));
    await figure('fig-compare');
    await figure('fig-learning-time');
    expect(await marks('fig-compare', 'line')).toBe(2);
    expect(await texts('fig-compare')).toEqual(expect.arrayContaining(['0.4·ln 2', '# sequences seen', 'classes=50, labels=5, seqs=20000', 'classes=100, labels=10, seqs=10000']));
    expect(await marks('fig-learning-time', 'symbol')).toBe(2);
    expect(await texts('fig-learning-time')).toEqual(expect.arrayContaining(['Learning time vs # labels', '# labels', 'learning time (# sequences)', '50 classes', '100 classes']));
    await shot('compare');
    await page.selectOption('[data-testid=lt-axis]', 'classes');
    await page.waitForURL(/x=classes/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-learning-time] svg text')].some((t) => t.textContent === '# training classes'));
  });

  it("report: the claims judged on whatever runs the directory holds, as opto report judges them, and its figures", async () => {
    await page.goto(url('/report'));
    // The first judgement loads the engine's report entry point and runs the toy model: slow on a busy machine.
    await page.waitForSelector('[data-testid=claims-table]', { timeout: 120_000 });
    // No report file yet: the page names the command that writes it, with the runs directory as <runs>.
    expect(await page.locator('[data-testid=report-missing]').textContent()).toContain('opto report --runs <runs>');
    expect(await page.locator('[data-testid=claim-row]').count()).toBe(23);
    // A user's own Fig. 5b runs, with the configs `opto train --preset fig5b-<c> --seqs <n> --eval-every 2000` writes.
    const shapes: Record<string, [number, CurveShape]> = {
      none: [200_000, { start: 1.9, drop: 300_000 }],
      pt: [200_000, { start: 1.9, drop: 130_000 }],
      layer1: [100_000, { start: 1.65, drop: null, tau: 15_000 }],
      match: [100_000, { start: 0.8, drop: null, tau: 8_000 }],
      copy: [100_000, { start: 0.83, drop: null, tau: 12_000 }],
      'layer1-copy': [100_000, { start: 0.78, drop: null, tau: 9_000 }],
    };
    const mine = Object.keys(shapes).map((c) => path.join(fx.runsDir, `mine-${c}`));
    for (const [c, [seqs, shape]] of Object.entries(shapes))
      writeCurveRun(path.join(fx.runsDir, `mine-${c}`), mergeConfig(presetConfig(`fig5b-${c}`, DEFAULT_PRESET_HEADS), { name: `mine-${c}`, schedule: { seqs, evalEvery: 2000, ckptEvery: 10_000 } }), shape);
    try {
      const { report } = await writeReport(fx.runsDir);
      const want = Object.fromEntries(report.claims.map((c) => [String(c.id), c.status]));
      for (const id of ['13', '14', '15', '16']) expect(want[id]).not.toBe('missing');
      // The page shows the same verdict for every claim once it has judged the new runs (it polls every 5 s).
      await page.waitForFunction(
        (w) => [...document.querySelectorAll('[data-testid=claim-row]')].every((r) => (r as HTMLElement).dataset.status === w[(r as HTMLElement).dataset.claim!]),
        want,
        { timeout: 120_000 },
      );
      const row13 = await page.locator('[data-testid=claim-row][data-claim="13"]').textContent();
      expect(row13).toContain('judged on a shorter run (2e5 of 6e5 sequences)');
      expect(row13).toContain('mine-pt');
      expect(await page.locator('[data-testid=report-summary]').textContent()).toContain(`${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.missing} missing`);
      // The report's own SVGs, shown as images.
      await page.waitForFunction(() => ((document.querySelector('[data-testid=report-figures] img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
      expect(await page.locator('[data-testid=report-missing]').count()).toBe(0);
      await shot('report');
    } finally {
      for (const d of [...mine, path.join(fx.runsDir, 'report')]) fs.rmSync(d, { recursive: true, force: true });
    }
  }, 400_000);

  it('corrupt and missing runs show a message, not a crash', async () => {
    await page.goto(url('/runs/badrows'));
    await page.waitForSelector('[data-testid=metrics-error]');
    expect(await page.locator('[data-testid=metrics-error]').textContent()).toMatch(/badrows\/metrics\.jsonl:4: malformed metrics row/);
    await page.goto(url('/runs/corrupt'));
    await page.waitForSelector('[data-testid=run-error]');
    expect(await page.locator('[data-testid=run-error]').textContent()).toContain('not valid JSON');
    await page.goto(url('/runs/no-such-run'));
    await page.waitForSelector('[data-testid=run-error]');
    expect(await page.locator('[data-testid=run-error]').textContent()).toContain("no run 'no-such-run'");
    await page.goto(url('/runs/..%2f..%2fsecret.txt'));
    await page.waitForSelector('[data-testid=run-error]');
    expect(await page.content()).not.toContain(SECRET);
    expect(pageErrors).toEqual([]);
  });

  it('traversal over raw HTTP (no URL normalisation by the client) never reaches a file outside the runs directory', async () => {
    const secretName = path.basename(fx.secretFile);
    const attempts = [
      `/api/runs/../../${secretName}`,
      `/api/runs/..%2f${secretName}/metrics`,
      `/api/runs/..%2F..%2F${secretName}`,
      `/api/runs/%2e%2e/metrics`,
      `/api/runs/%2e%2e%2f%2e%2e%2f${secretName}/metrics`,
      `/api/runs/%252e%252e%252f${secretName}/metrics`,
      `/api/runs/%2e%2e%5c${secretName}/metrics`,
      `/api/runs/..%5c..%5c${secretName}`,
      `/api/runs/smoke/..%2f..%2f..%2f${secretName}`,
      `/api/runs/escape/metrics`,
      `/api/runs/escape`,
      `/api/runs/leaky/metrics`,
      `/api/runs/${encodeURIComponent(fx.secretFile)}`,
      `/api/runs/%00/metrics`,
      `/_next/static/..%2f..%2f..%2f..%2f${secretName}`,
      `/_next/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/${secretName}`,
      `/..%2f..%2f${secretName}`,
      `/${secretName}`,
    ];
    for (const p of attempts) {
      const r = await rawGet(server!.port, p);
      expect(r.body, p).not.toContain(SECRET);
      expect([308, 400, 403, 404], `${p} → ${r.status}`).toContain(r.status);
    }
    expect((await rawGet(server!.port, '/api/runs/escape/metrics')).status).toBe(403);
    expect((await rawGet(server!.port, '/api/runs/leaky/metrics')).status).toBe(403);
    // Read-only: writes are refused.
    const post = await rawGet(server!.port, '/api/runs', 'POST');
    expect(post.status).toBe(405);
  });

  // Last: the run it trains joins the directory only after the views above have judged it.
  it('a 3-layer run: the layer picker scores the head curves between the two layers chosen, kept in the URL', async () => {
    await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', model: { nLayers: 3 }, schedule: { seqs: 2000, evalEvery: 1000, ckptEvery: 1000, evalSize: 100 } }), { out: path.join(fx.runsDir, 'deep3') });
    await page.goto(url('/runs/deep3'));
    await figure('fig-induction');
    await page.waitForSelector('[data-testid=heads-pending]', { state: 'detached', timeout: 60_000 });
    // Default: the first and the last layer.
    expect(await texts('fig-induction')).toEqual(expect.arrayContaining(['Layer-3 head', 'L3H0']));
    expect(await texts('fig-prevtoken')).toEqual(expect.arrayContaining(['Layer-1 head', 'L1H0']));
    await page.locator('[data-testid=layers-prev]').selectOption('1');
    await page.waitForURL(/layers=1(%3A|:)2/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-prevtoken] svg text')].some((t) => t.textContent === 'Layer-2 head'));
    expect(await texts('fig-prevtoken')).toContain('L2H0');
    // Previous-token layer 0 again, induction layer 1 (the middle one): the wiring names its command.
    await page.locator('[data-testid=layers-prev]').selectOption('0');
    await page.locator('[data-testid=layers-induction]').selectOption('1');
    await page.waitForURL(/layers=0(%3A|:)1/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-induction] svg text')].some((t) => t.textContent === 'Layer-2 head'));
    expect(await page.locator('[data-testid=wiring-missing]').textContent()).toContain('--what wiring --layers 0:1');
    await shot('deep-layers-0-1');
    // A shared link opens the same pair.
    await page.reload();
    await figure('fig-induction');
    expect(await page.locator('[data-testid=layers-induction]').inputValue()).toBe('1');
    expect(pageErrors).toEqual([]);
  });
});

const rawGet = (port: number, p: string, method = 'GET') => rawRequest(port, p, { method });
