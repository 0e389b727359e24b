/**
 * Crash-safe file writes: write a temporary file beside the target, fsync it, rename over the target.
 * A reader (or a resumed run) therefore sees either the old file or the new one, never half of one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let tempSeq = 0;
/** A temp file name beside `file` (a hidden `.tmp` that RunDir.removeTempFiles and the S3 sync skip), unique within this process. */
export function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.${tempSeq++}.tmp`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempBeside(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    try {
      // writeFileSync on a descriptor loops over short writes (a full disk or a file-size limit makes
      // write(2) return fewer bytes, and a lone writeSync would then rename a truncated file into place);
      // the next write raises ENOSPC / EFBIG instead.
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // the target is untouched; leave no half-written temp file beside it
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Append whole lines in one write, so a crash can only ever leave a trailing partial line. */
export function appendLines(file: string, lines: string[]): void {
  if (lines.length === 0) return;
  fs.appendFileSync(file, lines.join('\n') + '\n');
}

/**
 * `mkdir -p` that fails instead of spinning: Node's recursive mkdirSync loops forever on paths under
 * pseudo file systems such as /proc (ENOENT on a parent that exists). Each missing level is created on
 * its own, and the first failure throws one line naming `what` (e.g. `--out runs/x`) and the cause.
 */
export function makeDirs(dir: string, what = dir): void {
  const missing: string[] = [];
  let p = path.resolve(dir);
  while (!fs.existsSync(p)) {
    missing.unshift(p);
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  const fail = (msg: string, code: string) => Object.assign(new Error(`${what}: ${msg} (${code})`), { code, syscall: 'mkdir' });
  if (!fs.statSync(p).isDirectory()) throw fail(`${p} is not a directory`, 'ENOTDIR');
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw fail(`cannot create ${d}`, code ?? (e as Error).message);
    }
  }
}
