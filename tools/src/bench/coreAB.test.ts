/**
 * The core A/B (`opto bench --baseline-core`): the same core build as baseline gives bit-identical losses; a
 * baseline whose arithmetic differs (a copy of this core with one f32 constant of the exp polynomial, which
 * softmax uses, moved by ~0.8%) must show different ones.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { runCoreAB } from './coreAB.js';

const require = createRequire(import.meta.url);
const coreDir = path.dirname(path.dirname(require.resolve('@optoscope/core-wasm')));
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of the built core-wasm package, with `edit` applied to its wasm bytes. */
function copyCore(edit?: (wasm: Buffer) => void): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-coreab-'));
  temps.push(d);
  fs.cpSync(path.join(coreDir, 'dist'), path.join(d, 'dist'), { recursive: true });
  fs.cpSync(path.join(coreDir, 'build'), path.join(d, 'build'), { recursive: true });
  fs.writeFileSync(path.join(d, 'package.json'), fs.readFileSync(path.join(coreDir, 'package.json')));
  if (edit) {
    const f = path.join(d, 'build', 'core.wasm');
    const w = fs.readFileSync(f);
    edit(w);
    fs.writeFileSync(f, w);
  }
  return d;
}

describe('runCoreAB', () => {
  it('the same core build: bit-identical losses', async () => {
    const r = await runCoreAB({ baseline: copyCore(), rounds: 2, steps: 5, warmup: 2 });
    expect(r.bitIdentical).toBe(true);
    expect(r.baseline.rounds).toHaveLength(2);
    expect(r.current.losses[1]).toBeGreaterThan(0);
  });

  it('a core whose exp polynomial differs: different losses', async () => {
    // the r² coefficient of e^r's polynomial as f32 in the exp constant table (softmax.ts EXP_C), little-endian
    const c2 = Buffer.from(new Float32Array([4.999999403953552e-1]).buffer);
    const r = await runCoreAB({
      baseline: copyCore((w) => {
        const at = w.indexOf(c2);
        expect(at).toBeGreaterThan(0);
        w[at + 2] ^= 1; // mantissa bit 16: the coefficient moves by ~0.8%
      }),
      rounds: 2,
      steps: 5,
      warmup: 2,
    });
    expect(r.bitIdentical).toBe(false);
  });
});
