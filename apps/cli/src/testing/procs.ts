/** Test helpers: the built CLI as child processes that can be watched, killed and awaited. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@optoscope/engine/testing';
import { afterAll, beforeAll } from 'vitest';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

const made: string[] = [];

/** A fresh temp directory, removed by {@link removeTemps}. */
export function tmp(prefix = 'opto-cli-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remove every directory {@link tmp} made (runs with checkpoints add up over many test runs). */
export function removeTemps(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Run the CLI to completion (killed after `timeoutMs`: spawnSync blocks, so vitest's own timeout cannot fire). */
export function optoSync(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Start the CLI (or another command) in the background, capturing its output. */
export function start(args: string[], cwd: string, command = process.execPath, env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(command, command === process.execPath ? [MAIN, ...args] : args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Poll `cond` every 20 ms; throws `what` after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// the engine's, shared with its own server tests
export { freePort };

/** Every file under `dir`, for nothing-was-written checks. */
export function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

/** A redis-server of our own on a free 127.0.0.1 port (nothing else is ever contacted); its URL. */
export async function startRedis(procs: Proc[]): Promise<string> {
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error('redis-server is not installed: the queue tests need a real Redis. Install it with `apt-get install -y redis-server` (Debian; .ci/run does this when it is missing)');
  const port = await freePort();
  const redis = start(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], tmp('opto-redis-'), 'redis-server');
  procs.push(redis);
  await until(() => /Ready to accept connections/.test(redis.stdout()), 10_000, `redis-server on port ${port}: ${redis.stdout()}${redis.stderr()}`);
  return `redis://127.0.0.1:${port}`;
}

/**
 * For a whole test file: a redis-server of its own before its tests; after them, every process in `procs` still
 * running killed (SIGKILL) and awaited, and the temp directories removed. Returns the Redis URL (once started).
 */
export function redisForFile(procs: Proc[]): () => string {
  let url = '';
  beforeAll(async () => {
    url = await startRedis(procs);
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    removeTemps();
  });
  return () => url;
}

/** The run IDs of `[hh:mm:ss host:pid] <verb> <id>...` lines in an `opto worker` log. */
export function workerEvents(log: string, verb: string): string[] {
  return log
    .split('\n')
    .map((l) => new RegExp(`^\\[[^\\]]+\\] ${verb} (\\S+)`).exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}
