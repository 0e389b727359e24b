#!/usr/bin/env node
/**
 * README screenshots of a running dashboard: `node apps/dashboard/scripts/screenshots.mjs <url> <out dir>
 * [compare runs] [fig6 runs] [run id] [clamped run id] [sweep runs]`, e.g. against `opto dashboard --runs <dir>`
 * over the runs the README names. Waits for each figure's SVG marks, then saves whole pages and single figures
 * as PNG; for a clamped run, its head curves as trained and unclamped, with the toggle and the note above them;
 * the sweep's runs give the grouped bands, learning time per group and the hyperparameter view.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const [base, out, compareRuns = '', fig6Runs = '', run = 'main', clampedRun = '', sweepRuns = ''] = process.argv.slice(2);
if (!base || !out) {
  console.error('usage: screenshots.mjs <dashboard url> <out dir> [compare run ids,comma-separated] [fig6 run ids] [run id] [clamped run id] [sweep run ids]');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
const ready = (fig) => page.waitForSelector(`[data-testid=${fig}] svg g.role-mark`, { state: 'attached', timeout: 120_000 });
const shot = async (name, fig) => {
  const file = path.join(out, `${name}.png`);
  if (fig) await page.locator(`[data-testid=${fig}]`).screenshot({ path: file });
  else await page.screenshot({ path: file });
  console.log(file);
};

await page.goto(`${base}/`);
await page.waitForSelector('[data-testid=run-row]');
await shot('runs');

await page.goto(`${base}/runs/${encodeURIComponent(run)}`);
for (const f of ['fig-loss', 'fig-induction', 'fig-attention']) await ready(f);
await page.waitForSelector('[data-testid=heads-pending]', { state: 'detached', timeout: 120_000 });
await page.waitForTimeout(300); // let the last re-render settle before the pixels are taken
await shot('run-page');
for (const f of ['fig-loss', 'fig-accuracy', 'fig-induction', 'fig-prevtoken', 'fig-attention']) await shot(f.slice(4), f);
if (await page.locator('[data-testid=fig-wiring-m]').count()) {
  await ready('fig-wiring-m');
  await shot('wiring-m', 'fig-wiring-m');
}
if (clampedRun) {
  // The toggle, the note saying which model is shown, and both head-curve figures, in one picture.
  const heads = async (name) => {
    await ready('fig-induction');
    await page.waitForSelector('[data-testid=heads-pending]', { state: 'detached', timeout: 120_000 });
    await page.waitForTimeout(300);
    const boxes = await Promise.all(['clamp-toggle', 'fig-induction', 'fig-prevtoken'].map((t) => page.locator(`[data-testid=${t}]`).boundingBox()));
    const x = Math.min(...boxes.map((b) => b.x));
    const y = Math.min(...boxes.map((b) => b.y));
    const clip = { x, y, width: Math.max(...boxes.map((b) => b.x + b.width)) - x, height: Math.max(...boxes.map((b) => b.y + b.height)) - y };
    const file = path.join(out, `${name}.png`);
    await page.screenshot({ path: file, clip, fullPage: true });
    console.log(file);
  };
  await page.goto(`${base}/runs/${encodeURIComponent(clampedRun)}`);
  await heads('clamped-as-trained');
  await page.goto(`${base}/runs/${encodeURIComponent(clampedRun)}?clamp=none`);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fig-induction] svg text')].some((t) => t.textContent.includes('in training')));
  await heads('clamped-unclamped');
}
if (compareRuns) {
  await page.goto(`${base}/compare?runs=${compareRuns}`);
  await ready('fig-compare');
  await shot('compare', 'fig-compare');
}
if (fig6Runs) {
  await page.goto(`${base}/compare?runs=${fig6Runs}`);
  await ready('fig-learning-time');
  await shot('learning-time', 'fig-learning-time');
}
if (sweepRuns) {
  await page.goto(`${base}/compare?runs=${sweepRuns}`);
  for (const f of ['fig-compare', 'fig-group-learning-time', 'fig-hyperparameters']) await ready(f);
  await page.waitForTimeout(300);
  await shot('sweep-bands', 'fig-compare');
  await shot('sweep-learning-time', 'fig-group-learning-time');
  await shot('sweep-hyperparameters', 'fig-hyperparameters');
  await page.goto(`${base}/compare?runs=${sweepRuns}&smooth=0.9&logx=1`);
  await ready('fig-compare');
  await page.waitForTimeout(300);
  await shot('sweep-smoothed', 'fig-compare');
}
await browser.close();
