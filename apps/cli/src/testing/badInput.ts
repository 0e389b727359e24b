/**
 * Test helpers for the bad-input contract (README "What happens on bad input"): one line on stderr that
 * names the culprit, no stack or internal dump, a non-zero exit, and the tree byte-for-byte unchanged.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { start } from './procs.js';

/** Every file and directory under `dir` with the SHA-256 of each file's bytes. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    out[rel] = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

/** Signs of an internal dump: a stack frame, a Node internal, libhdf5's error stack, an uncaught error's name. */
const DUMP = /^\s+at |node:internal|HDF5-DIAG|^\s*\^|\b(TypeError|ReferenceError|RangeError|SyntaxError)\b|Cannot read properties|undefined \(reading/m;

/** The one-line contract on a captured stderr: exactly one line, matching `culprit`, and no dump. */
export function expectOneLine(stderr: string, culprit: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, `stderr:\n${stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(culprit);
  expect(lines[0]).not.toMatch(DUMP);
}

/** The same contract on an error thrown in-process (the message the CLI prints after "opto: "). */
export function expectOneLineError(e: unknown, culprit: RegExp): void {
  expect(e, 'expected an error').toBeInstanceOf(Error);
  expectOneLine((e as Error).message, culprit);
}

/** Run the CLI in the background with a time limit; resolves with its exit code and output. */
export async function optoAsync(args: string[], cwd: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env) {
  const p = start(args, cwd, process.execPath, env);
  // 'close', not 'exit': only then has every byte of stdout and stderr been read.
  const closed = new Promise<void>((r) => p.child.once('close', () => r()));
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  await closed;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
