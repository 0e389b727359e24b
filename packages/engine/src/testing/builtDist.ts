/**
 * The webgpu backend starts its GPU worker from the engine's build (dist/backends/webgpuWorker.js beside
 * src/, see backends/webgpu.ts), but Stryker's sandbox copies the sources without the build
 * (stryker.config.mjs leaves dist out). Tests that open a device call this first: in the sandbox it links
 * the checkout's build, the one Node resolves @optoscope/engine to, beside the copied sources; in a
 * checkout dist is already there and nothing happens. The worker's own code (webgpuExecutor.ts) therefore
 * always runs from the build; only the engine-thread side is mutated.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export function linkBuiltDist(): void {
  const local = fileURLToPath(new URL('../../dist', import.meta.url));
  if (fs.existsSync(local)) return;
  const built = path.dirname(createRequire(import.meta.url).resolve('@optoscope/engine'));
  if (path.resolve(built) === path.resolve(local) || !fs.existsSync(path.join(built, 'backends', 'webgpuWorker.js'))) return;
  try {
    fs.symlinkSync(built, local, 'dir');
  } catch (e) {
    // another test file of the same run linked it first
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
