/**
 * The end-to-end tests' browser: Debian chromium driven by playwright-core. Never skipped: a missing
 * chromium is a failure that says how to install it. Screenshots go to screenshots/e2e (or
 * $DASHBOARD_SCREENSHOTS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS_DIR = process.env.DASHBOARD_SCREENSHOTS ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'screenshots', 'e2e');

/**
 * The stack notes' flags: headless Chromium gets a SwiftShader WebGPU adapter only with these, and only
 * without --disable-gpu.
 */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** Chromium with `args`, one page of `viewport` collecting uncaught page errors. */
export async function openBrowser(viewport: { width: number; height: number }, args: string[] = []): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`Debian chromium is not installed at ${CHROMIUM}: install it with \`sudo apt-get install -y chromium fonts-dejavu-core\` (.ci/run does this), or set CHROMIUM_PATH`);
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { browser, page, pageErrors };
}

/**
 * An end-to-end session: the production dashboard over `runsDir`, started as `opto dashboard` starts it
 * (built into its own `distDir`, so a dashboard someone is using keeps its .next), and chromium.
 */
export async function openDashboardSession(
  runsDir: string,
  o: { distDir: string; build: 'always' | 'auto'; viewport: { width: number; height: number } },
): Promise<{ url: (p: string) => string; page: Page; pageErrors: string[]; close: () => Promise<void> }> {
  const { startDashboard } = await import('@optoscope/cli/dist/commands/dashboard.js');
  const server = await startDashboard({ runsDir, port: 0, build: o.build, distDir: o.distDir, log: () => undefined });
  try {
    const { browser, page, pageErrors } = await openBrowser(o.viewport);
    return {
      url: (p) => `${server.url}${p}`,
      page,
      pageErrors,
      close: async () => {
        await browser.close();
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
