/**
 * `opto dashboard --runs <dir> [--port N]`: the Next.js dashboard (apps/dashboard) as a production server
 * over a runs directory, read-only. The app is built first when it has no build yet or its sources are
 * newer than the build (`next build`, ~15-30 s), with a message saying so; `npm start` never builds it.
 *
 * Access (README "Sharing the dashboard"): on a non-loopback address it refuses to start without an
 * access token (`--token-file`, or OPTO_DASHBOARD_TOKEN); the server (apps/dashboard/src/proxy.ts) then
 * wants the token on every request and answers only the Host names allowed here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isS3Url, openRunStoreAt, type RunStore } from '@optoscope/engine';
import { portNumber } from '../args.js';
import { RUNS_HELP, addCacheOption, type CacheFlags } from '../runsFlags.js';

/** How often the dashboard's copy of a bucket is refreshed: new rows of a live run show within about this plus one upload. */
export const BUCKET_REFRESH_MS = 1500;

/**
 * A bucket as the dashboard reads it: its local cache, refreshed every {@link BUCKET_REFRESH_MS} (never two
 * refreshes at once). A failed refresh is logged and retried; the last good copy stays served.
 */
async function followBucket(url: string, cache: string | undefined, log: (s: string) => void): Promise<{ dir: string; stop: () => void }> {
  const store: RunStore = await openRunStoreAt({ location: url, cache });
  let dir: string;
  try {
    dir = await store.refresh('all');
  } catch (e) {
    store.close();
    throw e;
  }
  let stopped = false;
  let lastError = '';
  const loop = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, BUCKET_REFRESH_MS).unref());
      if (stopped) break;
      try {
        await store.refresh('all');
        lastError = '';
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== lastError) log(`refreshing ${url}: ${msg} (retrying)`);
        lastError = msg;
      }
    }
  };
  void loop();
  return {
    dir,
    stop: () => {
      stopped = true;
      store.close();
    },
  };
}

/** apps/dashboard, next to this package in the monorepo (dist/commands/dashboard.js → ../../../dashboard). */
export function dashboardDir(): string {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dashboard');
  if (!fs.existsSync(path.join(dir, 'package.json'))) throw new Error(`the dashboard app is not at ${dir} (opto dashboard runs from the Optoscope monorepo)`);
  return dir;
}

/** Everything that ends up inside the build, hashed by content (engine rebuilds rewrite files without changing them). */
function buildInputs(app: string): string[] {
  // The app's sources and config, and the engine code bundled into it for the browser: the figure specs
  // and, for the /train page, `@optoscope/engine/browser` with everything it imports (model, backends,
  // data, interventions; the core-wasm loader). The server loads the rest of the engine at run time.
  const packages = path.resolve(app, '..', '..', 'packages');
  return [
    path.join(app, 'src'),
    path.join(app, 'next.config.mjs'),
    path.join(app, 'tsconfig.json'),
    path.join(app, 'package.json'),
    path.join(packages, 'engine', 'dist'),
    path.join(packages, 'core-wasm', 'dist'),
  ];
}

function hashTree(h: ReturnType<typeof createHash>, p: string): void {
  if (!fs.existsSync(p)) return;
  if (fs.statSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) if (!e.endsWith('.map') && !e.endsWith('.test.ts')) hashTree(h, path.join(p, e));
    return;
  }
  h.update(p).update('\0').update(fs.readFileSync(p)).update('\0');
}

export function inputsHash(app: string): string {
  const h = createHash('sha256');
  for (const p of buildInputs(app)) hashTree(h, p);
  return h.digest('hex');
}

/** The build directory: `.next`, or another one (tests build into `.next-e2e` so a running dashboard keeps its build). */
export const DEFAULT_DIST_DIR = '.next';
const stampFile = (app: string, distDir: string) => path.join(app, distDir, 'optoscope-inputs.sha256');

/** Why the app must be (re)built, or null when its build is current. */
export function buildReason(app: string, distDir = DEFAULT_DIST_DIR): string | null {
  if (!fs.existsSync(path.join(app, distDir, 'BUILD_ID'))) return 'it has not been built yet';
  const stamp = fs.existsSync(stampFile(app, distDir)) ? fs.readFileSync(stampFile(app, distDir), 'utf8').trim() : null;
  if (stamp === null) return 'the build was not made by opto dashboard';
  return stamp === inputsHash(app) ? null : 'its sources or the engine code it bundles changed since the last build';
}

function nextBin(app: string): string {
  return createRequire(path.join(app, 'package.json')).resolve('next/dist/bin/next');
}

// next.config.mjs reads OPTO_DASHBOARD_DIST_DIR as its distDir.
const childEnv = (distDir: string, extra: Record<string, string> = {}) => ({ ...process.env, NEXT_TELEMETRY_DISABLED: '1', OPTO_DASHBOARD_DIST_DIR: distDir, ...extra });

/**
 * Next type-checks a build against the route types of every build directory the app's tsconfig lists (`.next`
 * and the tests' `.next-e2e`, ...), and it never prunes them: a directory built before a route moved or was
 * removed names a file that no longer exists, and every later build fails its type check on it. Such stale
 * types are removed here (each directory's next build writes its own again); current ones are left alone,
 * since another build may be reading them.
 */
export function dropStaleRouteTypes(app: string): string[] {
  const dropped: string[] = [];
  for (const dist of fs.readdirSync(app).filter((d) => d.startsWith('.next'))) {
    for (const types of [path.join(app, dist, 'types'), path.join(app, dist, 'dev', 'types')]) {
      const validator = path.join(types, 'validator.ts');
      if (!fs.existsSync(validator)) continue;
      const named = [...fs.readFileSync(validator, 'utf8').matchAll(/import\("(\.[^"]+)"\)/g)].map((m) => path.resolve(types, m[1]!));
      const exists = (f: string) => ['', '.ts', '.tsx'].some((ext) => fs.existsSync(f.replace(/\.js$/, '') + ext));
      if (named.some((f) => !exists(f))) {
        fs.rmSync(types, { recursive: true, force: true });
        dropped.push(path.relative(app, types));
      }
    }
  }
  return dropped;
}

/** `next build` of the dashboard; its output goes to stderr. */
export async function buildDashboard(app = dashboardDir(), log: (s: string) => void = (s) => process.stderr.write(s + '\n'), distDir = DEFAULT_DIST_DIR): Promise<void> {
  const t0 = Date.now();
  // Hashed before building: an edit made during the build makes the next start rebuild.
  const hash = inputsHash(app);
  dropStaleRouteTypes(app);
  const child = spawn(process.execPath, [nextBin(app), 'build'], { cwd: app, env: childEnv(distDir, { NODE_ENV: 'production' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`next build of ${app} failed (exit ${code}): ${out.trim().split('\n').slice(-15).join(' | ')}`);
  fs.writeFileSync(stampFile(app, distDir), hash + '\n');
  log(`dashboard built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Bind `host:port` for a moment (port 0: any free one) and give back the port. A taken port or an address
 * this machine cannot listen on fails here with one line, before any build, and the readiness check
 * below can then only hear our own server (not another one that already held the port).
 */
export async function probeListen(host: string, port: number): Promise<number> {
  if (!net.isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host))
    throw new Error(`--host ${host}: not an IP address or host name`);
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new Error(`--port ${port}: already in use on ${host} (choose another port, or --port 0 for any free one)`));
      else if (e.code === 'EACCES') reject(new Error(`--port ${port}: permission denied on ${host} (ports below 1024 need privileges)`));
      else reject(new Error(`--host ${host}: cannot listen there (${e.code ?? e.message})`));
    });
    s.listen(port, host, () => {
      const got = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
}

export interface DashboardOptions {
  /** A runs directory, or s3://bucket/prefix (read through a local cache kept current). */
  runsDir: string;
  /** The access token every request must carry; required unless `host` is a loopback address. */
  token?: string | null;
  /** Host header names to answer besides the loopback ones (and `host` itself when it is one address). */
  allowedHosts?: string[];
  /** With s3://: the local cache directory. */
  cache?: string;
  /** 0: any free port. */
  port?: number;
  host?: string;
  /** 'auto': build when missing or stale (default); 'always'; 'never': fail if there is no build. */
  build?: 'auto' | 'always' | 'never';
  /** Build directory under apps/dashboard (default `.next`). */
  distDir?: string;
  log?: (s: string) => void;
}

export interface DashboardServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** The Host names it answers (anything else gets 403). */
  allowedHosts: string[];
  /** Stop the server and wait for it to exit. */
  stop(): Promise<void>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const TOKEN_HINT = 'make one with `openssl rand -hex 32 > dashboard.token && chmod 600 dashboard.token`';
const MIN_TOKEN_LENGTH = 32;

/** Addresses only this machine can reach (the same test as the server's access checks). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** A token as a file holds it: one line of at least 32 characters, no spaces. */
export function checkToken(token: string, where: string): string {
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH || /\s/.test(t)) throw new Error(`${where} must hold one token of at least ${MIN_TOKEN_LENGTH} characters and no spaces; ${TOKEN_HINT}`);
  return t;
}

/** The token from `--token-file`, else OPTO_DASHBOARD_TOKEN, else null; warns when the file is readable by others. */
export function readToken(tokenFile: string | undefined, env = process.env, log: (s: string) => void = () => undefined): string | null {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(tokenFile, 'utf8');
    } catch (e) {
      throw new Error(`--token-file ${tokenFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${TOKEN_HINT}`);
    }
    if ((fs.statSync(tokenFile).mode & 0o077) !== 0) log(`warning: --token-file ${tokenFile} is readable by other users; chmod 600 it`);
    return checkToken(text, `--token-file ${tokenFile}`);
  }
  if (env.OPTO_DASHBOARD_TOKEN !== undefined) return checkToken(env.OPTO_DASHBOARD_TOKEN, 'OPTO_DASHBOARD_TOKEN');
  return null;
}

/** `--allowed-host` values: a DNS name or IP, optionally with :port; nothing that could smuggle a separator. */
export function checkAllowedHost(value: string): string {
  const v = value.trim().toLowerCase();
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(v)) throw new Error(`--allowed-host '${value}' is not a host name or address (e.g. dash.example.org, 192.168.1.20, [fd00::5])`);
  return v;
}

/** The Host names the server answers: loopback, the listen address when it names one interface, and `extra`. */
export function allowedHostsFor(host: string, extra: string[] = []): string[] {
  const own = host === '0.0.0.0' || host === '::' || host === '[::]' ? [] : [host.includes(':') && !host.startsWith('[') ? `[${host}]` : host];
  return [...new Set([...LOOPBACK_NAMES, ...own.map((h) => h.toLowerCase()), ...extra.map(checkAllowedHost)])];
}

/** Start the production dashboard over `runsDir`; resolves once it answers HTTP. */
export async function startDashboard(o: DashboardOptions): Promise<DashboardServer> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const bucket = isS3Url(o.runsDir) ? await followBucket(o.runsDir, o.cache, log) : null;
  try {
    return await serve(o, bucket?.dir ?? path.resolve(o.runsDir), log, bucket?.stop);
  } catch (e) {
    bucket?.stop();
    throw e;
  }
}

async function serve(o: DashboardOptions, runsDir: string, log: (s: string) => void, onStop: () => void = () => undefined): Promise<DashboardServer> {
  if (!fs.existsSync(runsDir) || !fs.statSync(runsDir).isDirectory()) throw new Error(`--runs ${o.runsDir} is not a directory`);
  const host = o.host ?? '127.0.0.1';
  // The address first (a host that is no address here, or a port that is taken, is the first thing to fix),
  // then whether it may be served without a token.
  const probed = await probeListen(host, o.port ?? 0);
  const token = o.token ? checkToken(o.token, 'the access token') : null;
  if (!token && !isLoopbackHost(host))
    throw new Error(
      `--host ${host} would serve every run to the network without an access token: pass --token-file <file> (or set OPTO_DASHBOARD_TOKEN); ${TOKEN_HINT}`,
    );
  const allowedHosts = allowedHostsFor(host, o.allowedHosts);
  const app = dashboardDir();
  const distDir = o.distDir ?? DEFAULT_DIST_DIR;
  if (!/^\.next[\w-]*$/.test(distDir)) throw new Error(`distDir '${distDir}' must be .next or .next-<name>`);
  const reason = o.build === 'always' ? 'a rebuild was asked for' : buildReason(app, distDir);
  if (reason) {
    if (o.build === 'never') throw new Error(`the dashboard needs a build (${reason}): run opto dashboard once, or npm run build:app -w @optoscope/dashboard`);
    log(`building the dashboard first (${reason}); this takes about half a minute...`);
    await buildDashboard(app, log, distDir);
  }
  // After a build (half a minute) the port may have been taken since the probe: probe once more.
  const port = o.port ? (reason ? await probeListen(host, o.port) : o.port) : reason ? await probeListen(host, 0) : probed;
  const access = { OPTO_DASHBOARD_ALLOWED_HOSTS: allowedHosts.join(',') };
  const child = spawn(process.execPath, [nextBin(app), 'start', '-p', String(port), '-H', host], {
    cwd: app,
    // Only the token chosen here reaches the server (an inherited OPTO_DASHBOARD_TOKEN is overridden).
    env: childEnv(distDir, {
      OPTO_RUNS_DIR: runsDir,
      OPTO_RUNS_LOCATION: isS3Url(o.runsDir) ? o.runsDir : runsDir,
      NODE_ENV: 'production',
      OPTO_DASHBOARD_TOKEN: token ?? '',
      ...access,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(onStop);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Ready when it answers; a server that exits first (port taken, bad build) reports its own output.
  for (;;) {
    const done = await Promise.race([exited.then((c) => ({ exit: c })), new Promise<null>((r) => setTimeout(() => r(null), 150))]);
    if (done) throw new Error(`the dashboard server exited (code ${done.exit}) before answering: ${out.trim().split('\n').slice(-6).join(' | ')}`);
    try {
      const res = await fetch(`${url}/api/runs?limit=1`);
      await res.arrayBuffer();
      break;
    } catch {
      // not listening yet
    }
  }
  return {
    url,
    port,
    child,
    allowedHosts,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function registerDashboard(program: Command): void {
  addCacheOption(program
    .command('dashboard'))
    .description('serve the live dashboard over a runs directory (read-only; builds the app first if needed)')
    .requiredOption('--runs <dir>', RUNS_HELP)
    .option('--port <n>', 'port (0: any free port)', portNumber, 3000)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--token-file <file>', 'file holding the access token every request must carry (required off loopback; or set OPTO_DASHBOARD_TOKEN)')
    .option('--allowed-host <name>', 'also answer this Host name, e.g. the name a reverse proxy forwards (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--rebuild', 'build the app even if its build is current')
    .action(async (o: CacheFlags & { runs: string; port: number; host: string; tokenFile?: string; allowedHost: string[]; rebuild?: boolean }) => {
      const log = (s: string) => process.stderr.write(s + '\n');
      const token = readToken(o.tokenFile, process.env, log);
      const server = await startDashboard({ runsDir: o.runs, cache: o.cache, port: o.port, host: o.host, token, allowedHosts: o.allowedHost, build: o.rebuild ? 'always' : 'auto', log });
      process.stdout.write(`Optoscope dashboard: ${server.url}  (runs: ${isS3Url(o.runs) ? o.runs : path.resolve(o.runs)}; Ctrl-C stops it)\n`);
      process.stdout.write(`access: ${token ? 'token required' : 'no token (loopback only)'}; answers Host ${server.allowedHosts.join(', ')}\n`);
      server.child.stderr!.pipe(process.stderr);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const code = await new Promise<number | null>((resolve) => server.child.on('exit', resolve));
      if (code !== 0 && code !== null) throw new Error(`the dashboard server exited with code ${code}`);
    });
}
