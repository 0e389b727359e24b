/**
 * The run-file helpers of store/atomic.ts in this process (atomic.test.ts injects a failing write into the
 * built module in a child): what each writes, byte for byte, what a failed rename leaves, and `makeDirs`
 * creating every missing level or failing with one line that names what it was making.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendLines, makeDirs, writeFileAtomic, writeJsonAtomic } from './atomic.js';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-atomic-helpers-')));
  return temps[temps.length - 1];
};

describe('writeFileAtomic / writeJsonAtomic', () => {
  it('replace the target whole, from a string or bytes, and leave nothing beside it', () => {
    const d = tmp();
    const f = path.join(d, 'run.json');
    fs.writeFileSync(f, 'an older, longer content than the new one');
    writeFileAtomic(f, 'new');
    expect(fs.readFileSync(f, 'utf8')).toBe('new');
    writeFileAtomic(f, Uint8Array.of(0, 255, 7));
    expect([...fs.readFileSync(f)]).toEqual([0, 255, 7]);
    writeJsonAtomic(f, { a: [1, 2], b: 'x' });
    expect(fs.readFileSync(f, 'utf8')).toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}\n');
    expect(fs.readdirSync(d)).toEqual(['run.json']);
  });

  it('closes its file: many writes leave no descriptor open', () => {
    const d = tmp();
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 50; i++) writeFileAtomic(path.join(d, `f${i % 3}`), `x${i}`);
    expect(open()).toBe(before);
  });

  it('a rename that fails (the target is a directory) throws, leaves the directory as it was and removes its temp file', () => {
    const d = tmp();
    const target = path.join(d, 'checkpoints');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'k');
    expect(() => writeFileAtomic(target, 'x')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(fs.readdirSync(d)).toEqual(['checkpoints']);
    expect(fs.readdirSync(target)).toEqual(['keep']);
  });
});

describe('appendLines', () => {
  it('appends whole lines, each ending in a newline; no lines writes nothing (not even an empty file)', () => {
    const d = tmp();
    const f = path.join(d, 'metrics.jsonl');
    appendLines(f, []);
    expect(fs.existsSync(f)).toBe(false);
    appendLines(f, ['{"a":1}']);
    appendLines(f, ['{"a":2}', '{"a":3}']);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
  });
});

describe('makeDirs', () => {
  it('creates every missing level, and accepts a directory that exists', () => {
    const cwdBefore = fs.readdirSync(process.cwd());
    const d = tmp();
    const deep = path.join(d, 'a', 'b', 'c');
    makeDirs(deep);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    makeDirs(path.join(d, 'a'));
    expect(fs.readdirSync(path.join(d, 'a'))).toEqual(['b']);
    // nothing made anywhere else (the working directory included)
    expect(fs.readdirSync(d)).toEqual(['a']);
    expect(fs.readdirSync(process.cwd())).toEqual(cwdBefore);
  });

  it('a file on the way: one line naming what was being made and the file, code ENOTDIR, nothing created', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'f'), '');
    const err = (() => {
      try {
        makeDirs(path.join(d, 'f', 'x', 'y'), '--out f/x/y');
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
      throw new Error('makeDirs did not throw');
    })();
    expect(err.message).toBe(`--out f/x/y: ${path.join(d, 'f')} is not a directory (ENOTDIR)`);
    expect([err.code, err.syscall]).toEqual(['ENOTDIR', 'mkdir']);
    expect(fs.readdirSync(d)).toEqual(['f']);
  });

  it('a level that cannot be created fails with one line (no endless loop under /proc), naming the path by default', () => {
    const target = '/proc/self/opto-no-such/x';
    const err = (() => {
      try {
        makeDirs(target);
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
      throw new Error('makeDirs did not throw');
    })();
    expect(err.message).toMatch(new RegExp(`^${target}: cannot create /proc/self/opto-no-such \\(E[A-Z]+\\)$`));
    expect(err.code).toMatch(/^E[A-Z]+$/);
  });
});
