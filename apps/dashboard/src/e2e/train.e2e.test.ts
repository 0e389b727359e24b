/**
 * End to end for /train: the production dashboard (built into its own .next-train-e2e, started the way
 * `opto dashboard` starts it), Debian chromium with the SwiftShader WebGPU flags of the stack notes (no
 * --disable-gpu), 2,000 steps of the main preset trained in the page. The losses the page streamed are
 * compared with the same config trained in Node by the engine (wasm core), the curves must be drawn
 * (SVG marks), the clamp form must show the engine's validation message, pause/resume must work, and the
 * downloaded zip must hold a run directory the engine reads back. Screenshot: screenshots/e2e/train.png.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createReferenceBackend, createWasmBackend, decodeSafetensors, parseRunConfig, type MetricRow } from '@optoscope/engine';
import { trainInPage } from '@optoscope/engine/browser';
import { startDashboard, type DashboardServer } from '@optoscope/cli/dist/commands/dashboard.js';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, SHOTS_DIR, WEBGPU_FLAGS } from '../testing/browser';

// WEBGPU_FLAGS give headless Chromium a SwiftShader adapter; the page must still say which backend it trains on, and why.
const STEPS = 2000;
/**
 * Page vs Node: the same wasm binary (float32 SIMD kernels, same instruction sequence in V8) and the same
 * JS for batches, Adam and metrics, so the losses should agree bit for bit. 1e-5 nats leaves room only for
 * differences in the f64 Math functions between Node's and Chromium's V8 in the metric code; a different
 * model, clamp, seed or batch order moves eval losses by 1e-2 or more within a few hundred steps.
 */
const TOL = 1e-5;

/**
 * Steps trained on webgpu in the page. SwiftShader is a CPU rasteriser and runs this model at ~1.6 s per
 * step in headless Chromium (tfjs dispatches a few hundred small kernels per step), so the webgpu check is
 * 100 steps (~3 min with its evals); the 2,000-step check runs the page's wasm core under the same flags.
 */
const GPU_STEPS = Number(process.env.TRAIN_E2E_GPU_STEPS ?? 100);
/** The Node parity bound of the webgpu backend (float32 kernels vs float64), also for head strengths. */
const GPU_TOL = 1e-4;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-train-e2e-'));
let server: DashboardServer | undefined;
let browser: Browser | undefined;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(path.join(tmp, 'runs'));
  server = await startDashboard({ runsDir: path.join(tmp, 'runs'), port: 0, build: 'always', distDir: '.next-train-e2e', log: () => undefined });
  ({ browser, page, pageErrors } = await openBrowser({ width: 1500, height: 1100 }, WEBGPU_FLAGS));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const json = async <T>(testId: string): Promise<T> => JSON.parse((await page.locator(`[data-testid=${testId}]`).textContent()) ?? 'null') as T;
const marks = (fig: string, kind: 'line' | 'rule', el = kind === 'rule' ? 'line' : 'path') => page.locator(`[data-testid=${fig}] svg g.mark-${kind}.role-mark ${el}`).count();
const texts = (fig: string) => page.locator(`[data-testid=${fig}] svg text`).allTextContents();
/**
 * Wait until the status line matches `attr`, but fail at once, with what the page shows, when the run
 * failed (an error note) or the page threw: a broken run must not look like a slow one.
 */
async function untilStatus(attr: string, timeout: number): Promise<void> {
  const failed = '[data-testid=train-status][data-phase=failed]';
  try {
    await page.waitForSelector(`[data-testid=train-status]${attr}, ${failed}`, { timeout });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nstatus: ${await page.locator('[data-testid=train-status]').textContent()}\npage errors: ${JSON.stringify(pageErrors)}`);
  }
  if (await page.locator(failed).count())
    throw new Error(`the run failed: ${await page.locator('[data-testid=train-error]').textContent()}\npage errors: ${JSON.stringify(pageErrors)}`);
}
/**
 * A fresh /train page, with the backend probe done: each test starts from here, so a run that failed or
 * hung in one test cannot leave the next with a busy, disabled form (leaving the page ends its workers).
 */
async function freshTrainPage(): Promise<void> {
  pageErrors.length = 0;
  await page.goto(server!.url + '/train');
  await page.waitForSelector('[data-testid=train-backend][data-backend]:not([data-backend=""])', { timeout: 60_000 });
  expect(await page.locator('[data-testid=train-status]').getAttribute('data-phase')).toBe('idle');
}
const losses = (rows: MetricRow[], kind: 'eval' | 'train') => rows.filter((r) => r.kind === kind).map((r) => ({ seqs: r.seqs, set: r.set ?? 'train', loss: Number(r.loss) }));

describe('/train: training in the browser (production build, chromium, SwiftShader WebGPU flags)', () => {
  it('is linked from the navigation and says which backend it uses, and why', async () => {
    await page.goto(server!.url + '/');
    await page.locator('header nav a[href="/train"]').click();
    await page.waitForURL(/\/train$/);
    // auto: SwiftShader is a software adapter, so the wasm core, and the note says so.
    await page.waitForSelector('[data-testid=train-backend][data-backend=wasm]', { timeout: 60_000 });
    const note = (await page.locator('[data-testid=train-backend]').textContent())!;
    console.log(`[train e2e] backend note: ${note}`);
    expect(note).toMatch(/^WebGPU: software adapter .*swiftshader.* via navigator\.gpu\. Backend: wasm \(auto: the adapter is a software rasteriser/i);
    // The server's cross-origin isolation reaches the page (the webgpu backend needs SharedArrayBuffer).
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  it('the clamp form writes the spec and shows the engine parser\'s message for a contradictory clamp', async () => {
    await freshTrainPage();
    await page.selectOption('[data-testid=train-preset]', 'main');
    await page.locator('[aria-label="match 1:3"]').check();
    await page.locator('[data-testid=perfect-layer1]').check();
    expect(await page.locator('[data-testid=spec-json]').inputValue()).toContain('"perfectLayer1": true');
    await page.waitForSelector('[data-testid=train-config-error]');
    expect(await page.locator('[data-testid=train-config-error]').textContent()).toMatch(/^interventions\.match[\w.]*: contradicts perfectLayer1: both set the attention pattern of head "1:3"$/);
    expect(await page.locator('[data-testid=train-start]').isDisabled()).toBe(true);
    await page.locator('[data-testid=spec-json]').fill('{"ablate": ["1:9"]}');
    expect(await page.locator('[data-testid=train-config-error]').textContent()).toContain('head 9 out of range');
    await page.locator('[data-testid=spec-json]').fill('{}');
    await page.waitForSelector('[data-testid=train-config-error]', { state: 'detached' });
  });

  it(`trains ${STEPS} steps of the main preset with the losses Node's engine gets for the same config`, async () => {
    await freshTrainPage();
    await page.selectOption('[data-testid=train-preset]', 'main');
    await page.locator('[data-testid=train-seqs]').fill(String(STEPS * 32));
    await page.locator('[data-testid=train-start]').click();
    // Pause as soon as the run is going (the page reaches the end of 2,000 wasm steps in a few seconds, so
    // waiting for a particular eval count would race it). The page says "paused" only when the worker has
    // acknowledged that its loop stopped, after reporting its last step: from then on nothing may move
    // until Resume, with no grace period for a chunk in flight.
    await untilStatus('[data-phase=running]', 300_000);
    await page.locator('[data-testid=train-pause]').click();
    await untilStatus('[data-phase=paused]', 60_000);
    expect(await page.locator('[data-testid=train-pause]').textContent()).toBe('Resume');
    const status = page.locator('[data-testid=train-status]');
    const pausedAt = { seqs: await status.getAttribute('data-seqs'), evals: await status.getAttribute('data-evals'), rows: await json<MetricRow[]>('train-metrics') };
    expect(Number(pausedAt.seqs)).toBeLessThan(STEPS * 32);
    for (let i = 0; i < 8; i++) {
      await page.waitForTimeout(250);
      expect(await status.getAttribute('data-phase')).toBe('paused');
      expect(await status.getAttribute('data-seqs')).toBe(pausedAt.seqs);
      expect(await status.getAttribute('data-evals')).toBe(pausedAt.evals);
    }
    expect(await json<MetricRow[]>('train-metrics')).toEqual(pausedAt.rows);
    await page.locator('[data-testid=train-pause]').click();
    await untilStatus('[data-phase=done]', 900_000);
    expect(Number(await status.getAttribute('data-seqs'))).toBe(STEPS * 32);

    const rows = await json<MetricRow[]>('train-metrics');
    const cfg = parseRunConfig(await json<unknown>('train-config'));
    expect(cfg.preset).toBe('main');
    expect(cfg.schedule.seqs).toBe(STEPS * 32);
    expect(cfg.backend).toBe('wasm');
    expect(cfg.interventions).toEqual({ version: 1, ablate: [], perfectLayer1: false });
    const node = await trainInPage(cfg, { backend: createWasmBackend() });
    expect(node.steps).toBe(STEPS);
    const [pe, ne] = [losses(rows, 'eval'), losses(node.rows, 'eval')];
    expect(pe.map((p) => `${p.seqs}/${p.set}`)).toEqual(ne.map((p) => `${p.seqs}/${p.set}`));
    expect(pe.length).toBe(4 * 14); // evals at 0, the first step past each 5000 up to 60000, and at 64000
    const worst = Math.max(...pe.map((p, i) => Math.abs(p.loss - ne[i].loss)), ...losses(rows, 'train').map((p, i) => Math.abs(p.loss - losses(node.rows, 'train')[i].loss)));
    console.log(`[train e2e] ${STEPS} steps: page vs Node max |Δloss| = ${worst.toExponential(2)}; fsl_train loss ${pe[0].loss.toFixed(4)} → ${pe.filter((p) => p.set === 'fsl_train').at(-1)!.loss.toFixed(4)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    // The page trained: the loss moved (not two copies of an untrained model).
    expect(pe[0].loss - pe.filter((p) => p.set === 'fsl_train').at(-1)!.loss).toBeGreaterThan(0.01);

    // The curves are drawn with the shared figure specs: a line per eval set, ln 2 and ln 5 rules, 8 heads.
    expect(await marks('fig-train-loss', 'line')).toBeGreaterThanOrEqual(3);
    expect(await marks('fig-train-loss', 'rule')).toBe(2);
    expect(await texts('fig-train-loss')).toEqual(expect.arrayContaining(['ln 2', 'ln 5', '# sequences seen', 'mean loss']));
    expect(await marks('fig-train-induction', 'line')).toBeGreaterThanOrEqual(8);
    expect(await texts('fig-train-induction')).toEqual(expect.arrayContaining(['Induction strength per head', 'L2H0', 'L2H7']));
    const heads = await json<{ seqs: number; head: string; value: number }[]>('train-heads');
    expect(Math.max(...heads.map((h, i) => Math.abs(h.value - node.heads[i].value)))).toBeLessThanOrEqual(TOL);
    await page.screenshot({ path: path.join(SHOTS_DIR, 'train.png'), fullPage: true });

    // The zip is a run directory: run.json (config, summary), metrics.jsonl (the rows shown), a checkpoint.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=train-download]').click()]);
    expect(dl.suggestedFilename()).toMatch(/^page-main-\d{8}T\d{6}\.zip$/);
    const files = unzipSync(fs.readFileSync((await dl.path())!));
    const id = dl.suggestedFilename().replace(/\.zip$/, '');
    expect(Object.keys(files).sort()).toEqual([`${id}/checkpoints/seqs-${String(STEPS * 32).padStart(10, '0')}.safetensors`, `${id}/metrics.jsonl`, `${id}/run.json`]);
    const rec = JSON.parse(new TextDecoder().decode(files[`${id}/run.json`]));
    expect(parseRunConfig(rec.config)).toEqual(cfg);
    expect(rec.status).toBe('finished');
    expect(rec.backend.used).toBe('wasm');
    const jsonl = new TextDecoder().decode(files[`${id}/metrics.jsonl`]).trim().split('\n').map((l) => JSON.parse(l) as MetricRow);
    expect(jsonl).toEqual(rows);
    const ck = decodeSafetensors(files[`${id}/checkpoints/seqs-${String(STEPS * 32).padStart(10, '0')}.safetensors`]);
    expect(ck.tensors['blocks.1.attn.qkv.weight'].shape).toEqual([192, 64]);
    expect(pageErrors).toEqual([]);
  }, 1_200_000);
  it(`trains ${GPU_STEPS} steps on webgpu (SwiftShader) in the page's workers, within ${GPU_TOL} of the float64 reference`, async () => {
    await freshTrainPage();
    await page.selectOption('[data-testid=train-preset]', 'main');
    await page.selectOption('[data-testid=train-backend-pick]', 'webgpu');
    await page.waitForSelector('[data-testid=train-backend][data-backend=webgpu]');
    await page.locator('[data-testid=train-seqs]').fill(String(GPU_STEPS * 32));
    await page.locator('[data-testid=train-start]').click();
    await untilStatus('[data-phase=done]', 1_500_000);
    const note = (await page.locator('[data-testid=train-backend]').textContent())!;
    const status = (await page.locator('[data-testid=train-status]').textContent())!;
    console.log(`[train e2e] webgpu: ${note}\n[train e2e] webgpu status: ${status}`);
    expect(await page.locator('[data-testid=train-backend]').getAttribute('data-run-backend')).toBe('webgpu');
    expect(note).toMatch(/This run: webgpu, software adapter .*swiftshader.* via navigator\.gpu/i);

    const rows = await json<MetricRow[]>('train-metrics');
    const cfg = parseRunConfig(await json<unknown>('train-config'));
    expect(cfg.schedule.seqs).toBe(GPU_STEPS * 32);
    expect(cfg.backend).toBe('webgpu');
    const ref = await trainInPage(cfg, { backend: createReferenceBackend() });
    const [pe, re] = [losses(rows, 'eval'), losses(ref.rows, 'eval')];
    const [pt, rt] = [losses(rows, 'train'), losses(ref.rows, 'train')];
    expect(pe.map((p) => `${p.seqs}/${p.set}`)).toEqual(re.map((p) => `${p.seqs}/${p.set}`));
    expect(pt.length).toBe(rt.length);
    const worst = Math.max(...pe.map((p, i) => Math.abs(p.loss - re[i].loss)), ...pt.map((p, i) => Math.abs(p.loss - rt[i].loss)));
    const heads = await json<{ seqs: number; head: string; value: number }[]>('train-heads');
    expect(heads.map((h) => `${h.seqs}/${h.head}`)).toEqual(ref.heads.map((h) => `${h.seqs}/${h.head}`));
    const worstHead = Math.max(...heads.map((h, i) => Math.abs(h.value - ref.heads[i].value)));
    console.log(`[train e2e] webgpu ${GPU_STEPS} steps: page (float32, SwiftShader) vs float64 reference max |Δloss| = ${worst.toExponential(2)}, max |Δstrength| = ${worstHead.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(GPU_TOL);
    expect(worstHead).toBeLessThanOrEqual(GPU_TOL);
    // It trained (the loss moved), and the curves are drawn.
    expect(pe[0].loss - pe.filter((p) => p.set === 'fsl_train').at(-1)!.loss).toBeGreaterThan(0.01);
    expect(await marks('fig-train-loss', 'line')).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: path.join(SHOTS_DIR, 'train-webgpu.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 1_800_000);
});
