/**
 * Head curves kept across server restarts, in a cache directory outside the runs directory (the dashboard
 * never writes into runs): `$OPTO_DASHBOARD_CACHE`, else `$XDG_CACHE_HOME/optoscope/dashboard`, else
 * `~/.cache/optoscope/dashboard`. One file per run and view (clamp choice, and the layers where not the default), written atomically after a scoring
 * job added scores. A stored score is used only while everything it was computed from is unchanged: the
 * run's directory and config, the checkpoint file (mtime and size), the dense set, and the engine's build
 * (`liveCodeKey`). A cache directory inside the runs directory, or one that cannot be written, is not used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LiveHeadPoint, LiveRunInfo } from '@optoscope/engine';
import { engine } from './engine';
import { runsDir } from './paths';

const VERSION = 1;

export interface StoredHeads {
  info: LiveRunInfo;
  /** By checkpoint: its file key (mtime:size) and scores. */
  scores: Map<number, { key: string; p: LiveHeadPoint }>;
}

interface FileBody {
  version: number;
  run: string;
  /** The view: the clamp choice, with the layers where they are not the default (heads.ts `viewKey`). */
  clamp: string;
  configKey: string;
  code: string;
  info: LiveRunInfo;
  scores: [number, string, LiveHeadPoint][];
}

/** The cache directory, or null when it would lie inside the runs directory. */
export function headCacheDir(): string | null {
  const dir = path.resolve(process.env.OPTO_DASHBOARD_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'optoscope', 'dashboard'));
  const real = (p: string) => {
    // The nearest existing ancestor, resolved: a cache dir not made yet may still sit under a symlink.
    let q = p;
    while (!fs.existsSync(q) && path.dirname(q) !== q) q = path.dirname(q);
    return path.join(fs.realpathSync(q), path.relative(q, p));
  };
  const rel = path.relative(real(runsDir()), real(dir));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? null : dir;
}

function fileFor(cache: string, dir: string, clamp: string): string {
  const id = createHash('sha256').update(`${fs.realpathSync(dir)}\0${clamp}`).digest('hex').slice(0, 32);
  return path.join(cache, `heads-${id}.json`);
}

/** What was stored for `dir` under `clamp` with this config and engine build; null if nothing usable. */
export async function loadHeads(dir: string, clamp: string, configKey: string): Promise<StoredHeads | null> {
  const cache = headCacheDir();
  if (!cache) return null;
  try {
    const body = JSON.parse(fs.readFileSync(fileFor(cache, dir, clamp), 'utf8')) as FileBody;
    const code = (await engine()).liveCodeKey();
    if (body.version !== VERSION || body.run !== fs.realpathSync(dir) || body.clamp !== clamp || body.configKey !== configKey || body.code !== code) return null;
    return { info: body.info, scores: new Map(body.scores.map(([seqs, key, p]) => [seqs, { key, p }])) };
  } catch {
    return null; // absent, unreadable or from another version: score again
  }
}

/** Store the scores of `dir` under `clamp` (atomically); a cache that cannot be written is skipped. */
export async function saveHeads(dir: string, clamp: string, configKey: string, stored: StoredHeads): Promise<void> {
  const cache = headCacheDir();
  if (!cache) return;
  const E = await engine();
  const body: FileBody = {
    version: VERSION,
    run: fs.realpathSync(dir),
    clamp,
    configKey,
    code: E.liveCodeKey(),
    info: stored.info,
    scores: [...stored.scores].map(([seqs, { key, p }]) => [seqs, key, p]),
  };
  try {
    fs.mkdirSync(cache, { recursive: true });
    E.writeJsonAtomic(fileFor(cache, dir, clamp), body);
  } catch {
    // A read-only home or a full disk: the scores stay in memory only.
  }
}
