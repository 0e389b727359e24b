/**
 * The only way the dashboard turns a name from a URL into a file: every path is resolved under the runs
 * directory and checked after resolving symlinks, so nothing outside it is reachable (`..`, absolute
 * paths, encoded separators, double encoding, NUL, and symlinks that point out of the directory are all
 * refused).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiError } from './errors';

/** The runs directory, from OPTO_RUNS_DIR (set by `opto dashboard --runs <dir>`), resolved through symlinks. */
export function runsDir(): string {
  const dir = process.env.OPTO_RUNS_DIR;
  if (!dir) throw new ApiError(500, 'OPTO_RUNS_DIR is not set: start the dashboard with `opto dashboard --runs <dir>`');
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    throw new ApiError(500, `runs directory ${dir} does not exist (OPTO_RUNS_DIR)`);
  }
  if (!fs.statSync(real).isDirectory()) throw new ApiError(500, `runs directory ${dir} is not a directory (OPTO_RUNS_DIR)`);
  return real;
}

/**
 * What the user named the runs by, for resume commands: OPTO_RUNS_LOCATION (an s3:// URL when the runs
 * directory is a local cache of a bucket) or the runs directory itself.
 */
export function runsLocation(): string {
  return process.env.OPTO_RUNS_LOCATION || process.env.OPTO_RUNS_DIR || 'runs';
}

/**
 * A run id as it may appear in a URL: one directory name. Route params arrive decoded once; anything that
 * still looks encoded (`%`), any separator, `.`/`..`, a leading dot (temp and hidden entries) or a control
 * character is refused before the filesystem is touched.
 */
export function checkRunId(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 200) throw new ApiError(400, 'run id must be a non-empty directory name');
  if (raw.startsWith('.') || /[/\\%\0-\x1f\x7f]/.test(raw) || path.isAbsolute(raw))
    throw new ApiError(400, `run id '${raw.replace(/[\0-\x1f\x7f]/g, '?')}' is not a plain directory name under the runs directory`);
  return raw;
}

/** `real` is `root` or inside it (both already resolved through symlinks). */
function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Resolve `rel` (segments under `root`, which is already real) and refuse anything whose real path leaves
 * `root`. A path that does not exist yet resolves through its nearest existing parent, so a symlinked
 * parent cannot smuggle a missing file out either. Returns the real path (or the would-be path).
 */
export function containedPath(root: string, ...rel: string[]): string {
  const joined = path.resolve(root, ...rel);
  if (!inside(root, joined)) throw new ApiError(403, `path escapes the runs directory`);
  let probe = joined;
  const rest: string[] = [];
  while (!fs.existsSync(probe) && probe !== root) {
    rest.unshift(path.basename(probe));
    probe = path.dirname(probe);
  }
  let real: string;
  try {
    real = fs.realpathSync(probe);
  } catch {
    // A dangling symlink: treat as absent, but only if the link itself stays inside.
    real = probe;
  }
  if (!inside(root, real)) throw new ApiError(403, `${path.relative(root, joined) || '.'} resolves outside the runs directory`);
  return path.join(real, ...rest);
}

/** The run directory for an id from a URL; 404 when it is not a run (no run.json). */
export function runPath(id: unknown): string {
  const root = runsDir();
  const name = checkRunId(id);
  const dir = containedPath(root, name);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ApiError(404, `no run '${name}' in the runs directory`);
  // The engine reads these files by name: make sure none of them is a link out of the directory.
  for (const f of ['run.json', 'metrics.jsonl', 'checkpoints', 'analysis']) containedPath(root, name, f);
  if (!fs.existsSync(path.join(dir, 'run.json'))) throw new ApiError(404, `'${name}' is not a run directory (no run.json)`);
  return dir;
}
