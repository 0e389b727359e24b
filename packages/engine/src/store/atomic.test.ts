/**
 * Fault injection for the atomic writes every run file goes through: a real write that fails partway,
 * made by a file-size limit (`ulimit -f`, RLIMIT_FSIZE) in a child process, the way a full disk fails a
 * write. write(2) then returns short, and the next write fails with EFBIG. The old file must be intact
 * byte for byte, and no partial file may be left beside it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built module (nx builds before the tests), run in a child so the limit applies to it alone.
const ATOMIC = fileURLToPath(new URL('../../dist/store/atomic.js', import.meta.url));
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Call `fn` of the atomic module on `target` with `bytes` bytes, under a file-size limit of `limitKiB`. */
function writeUnderLimit(fn: 'writeFileAtomic' | 'writeJsonAtomic', target: string, bytes: number, limitKiB: number) {
  const script = `
    const m = await import(${JSON.stringify(ATOMIC)});
    const data = ${fn === 'writeFileAtomic' ? `new Uint8Array(${bytes}).fill(120)` : `{ pad: 'x'.repeat(${bytes}) }`};
    try { m.${fn}(${JSON.stringify(target)}, data); console.log('wrote'); } catch (e) { console.log('threw ' + e.code); }`;
  // SIGXFSZ ignored, so the limit shows as a short write and then EFBIG (as ENOSPC would on a full disk).
  const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f ${limitKiB}; exec "$0" --input-type=module -e "$1"`, process.execPath, script], { encoding: 'utf8' });
  return (r.stdout + r.stderr).trim();
}

describe('atomic writes under a write that fails partway', () => {
  for (const fn of ['writeFileAtomic', 'writeJsonAtomic'] as const)
    it(`${fn}: the old file stays intact and no partial file is visible`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-atomic-'));
      temps.push(dir);
      const target = path.join(dir, 'run.json');
      const old = Buffer.from('{"status": "finished"}\n');
      fs.writeFileSync(target, old);
      // 64 KiB against a 4 KiB limit: the first write(2) stops short at 4 KiB.
      expect(writeUnderLimit(fn, target, 65536, 4)).toBe('threw EFBIG');
      expect(fs.readFileSync(target)).toEqual(old);
      expect(fs.readdirSync(dir)).toEqual(['run.json']);
    });

  it('the same write within the limit replaces the file whole (the check above can pass only by failing safely)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-atomic-'));
    temps.push(dir);
    const target = path.join(dir, 'ckpt.safetensors');
    fs.writeFileSync(target, 'old');
    expect(writeUnderLimit('writeFileAtomic', target, 65536, 128)).toBe('wrote');
    expect(fs.readFileSync(target)).toEqual(Buffer.alloc(65536, 120));
    expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });
});
