/**
 * Sweep specs: a base run config, a grid and zipped lists over any dotted config path, and seeds, expanded
 * deterministically into members whose run IDs are stable across machines: `<name>-<hash>`, the hash
 * being the first 10 hex digits (40 bits) of the SHA-256 of the member's validated config in canonical JSON (sorted
 * keys, defaults filled in). The same spec therefore names the same runs on a laptop, on every queue
 * worker and in every array-job task, and editing the grid (adding a value) keeps the existing IDs.
 *
 * Expansion order is that of nested loops: the variants list (slowest), grid keys in the order written,
 * then each zip group, then the seed lists (innermost). A member's config is its base, then its variant
 * merged on top, then the grid/zip/seed values set at their paths (an object value is merged into what
 * is there); a `preset` (in the base or a variant) is expanded under all of that, so explicit fields win.
 */
import { createHash } from 'node:crypto';
import '../zodSetup.js';
import { z } from 'zod';
import { ConfigError, mergeConfig, parseRunConfig, type RunConfig, type RunConfigInput } from '../config.js';
import { PRESETS, presetConfig } from '../presets.js';

/** Members in one sweep at most (a typo in a grid should not enqueue a million runs). */
export const MAX_MEMBERS = 10_000;

const dotted = z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'expected a dotted config path like task.numLabels');
const values = z.array(z.unknown()).min(1, 'expected a non-empty list of values');
const seedList = z.array(z.number().int().nonnegative()).min(1, 'expected a non-empty list of non-negative integers');
const zipGroup = z.record(dotted, values).superRefine((g, ctx) => {
  const lens = Object.values(g).map((v) => v.length);
  if (lens.length === 0) ctx.addIssue({ code: 'custom', message: 'a zip group needs at least one path' });
  else if (new Set(lens).size > 1)
    ctx.addIssue({ code: 'custom', message: `zipped lists must have equal lengths, got ${Object.entries(g).map(([k, v]) => `${k}: ${v.length}`).join(', ')}` });
});

export const SweepSpecSchema = z
  .object({
    /** Prefix of every run ID and the member configs' `name`; safe as a directory name. */
    name: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-", starting with a letter or digit'),
    description: z.string().optional(),
    /** A run config (README "Run config"); `preset` names a run preset to start from. */
    base: z.record(z.string(), z.unknown()).default({}),
    /** Whole-config overrides, one member each (heterogeneous sets like the paper's). */
    variants: z.array(z.record(z.string(), z.unknown())).min(1, 'expected a non-empty list of config overrides').optional(),
    /** Cartesian product over these paths. */
    grid: z.record(dotted, values).default({}),
    /** Lists varied together (one group, or several groups each forming one axis). */
    zip: z.union([zipGroup, z.array(zipGroup).min(1)]).optional(),
    /** Seed lists: `[5, 6, 7]` means init seeds; `{ init, train, eval }` lists form a product. */
    seeds: z
      .union([seedList, z.object({ init: seedList.optional(), train: seedList.optional(), eval: seedList.optional() }).strict()])
      .optional(),
  })
  .strict();

export type SweepSpecInput = z.input<typeof SweepSpecSchema>;
export type SweepSpec = z.output<typeof SweepSpecSchema>;

export interface SweepMember {
  /** Position in expansion order (what `--index` selects). */
  index: number;
  /** `<sweep name>-<10 hex digits>`: the run directory's name under the runs directory. */
  id: string;
  /** The validated run config (its `name` is the sweep's name). */
  config: RunConfig;
  /** The values this member sets, in axis order. */
  vary: [path: string, value: unknown][];
}

export interface ExpandedSweep {
  spec: SweepSpec;
  members: SweepMember[];
}

/** One axis of the product: parallel lists of values for one or more paths ('' = the whole config). */
interface Axis {
  paths: string[];
  rows: unknown[][];
}

const WHOLE = '';

/** Validate a spec; throws one line naming the field at fault. */
export function parseSweepSpec(input: unknown, where = 'sweep spec'): SweepSpec {
  const r = SweepSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  const extra = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : '';
  // A bad record key nests the key's own issue ("Invalid key in record" alone names no rule).
  const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  throw new ConfigError(`${where}: ${at}: ${inner ?? issue.message}${extra}`);
}

/** Expand a spec into its members (validating every member's config); throws one line on any problem. */
export function expandSweep(input: unknown, where = 'sweep spec'): ExpandedSweep {
  const spec = parseSweepSpec(input, where);
  const axes = axesOf(spec, where);
  const count = axes.reduce((n, a) => n * a.rows.length, 1);
  if (count > MAX_MEMBERS) throw new ConfigError(`${where}: expands to ${count} members, more than ${MAX_MEMBERS}`);

  const members: SweepMember[] = [];
  const seen = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    const vary: [string, unknown][] = [];
    let rest = index;
    // Mixed-radix digits, last axis fastest.
    const picks = new Array<number>(axes.length);
    for (let a = axes.length - 1; a >= 0; a--) {
      picks[a] = rest % axes[a].rows.length;
      rest = Math.floor(rest / axes[a].rows.length);
    }
    let cfg = structuredClone(spec.base);
    axes.forEach((axis, a) => axis.paths.forEach((p, j) => vary.push([p, axis.rows[picks[a]][j]])));
    for (const [p, v] of vary) cfg = setPath(cfg, p, structuredClone(v), where);
    const label = describeVary(vary);
    const at = `${where}: member ${index}${label ? ` (${label})` : ''}`;
    const config = parseRunConfig({ ...withPreset(cfg, at), name: spec.name }, at);
    const id = `${spec.name}-${configHash(config)}`;
    const dup = seen.get(id);
    if (dup !== undefined && canonicalJson(members[dup].config) === canonicalJson(config))
      throw new ConfigError(`${where}: members ${dup} and ${index} have the same config (${label || 'no varied fields'}); remove the duplicate value`);
    if (dup !== undefined) throw new ConfigError(`${where}: members ${dup} and ${index} hash to the same run ID ${id} (a 1-in-10¹² event); rename the sweep`);
    seen.set(id, index);
    members.push({ index, id, config, vary });
  }
  return { spec, members };
}

/** `config` as a member of a sweep named `sweepName`: its validated config and run ID. */
export function memberFor(sweepName: string, config: RunConfigInput): SweepMember {
  return expandSweep({ name: sweepName, variants: [config] }).members[0];
}

/** The run ID `config` gets as a member of a sweep named `sweepName`. */
export function memberIdFor(sweepName: string, config: RunConfigInput): string {
  return memberFor(sweepName, config).id;
}
/** Canonical JSON: object keys sorted at every level, so equal configs hash equally anywhere. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (typeof x === 'object' && x !== null)
    return `{${Object.keys(x)
      .sort()
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}

export function configHash(config: RunConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 10);
}

/** `task.numLabels=10 seeds.init=6`, for listings and error messages. */
export function describeVary(vary: [string, unknown][]): string {
  return vary.map(([p, v]) => (p === WHOLE ? JSON.stringify(v) : `${p}=${JSON.stringify(v)}`)).join(' ');
}

function axesOf(spec: SweepSpec, where: string): Axis[] {
  const axes: Axis[] = spec.variants ? [{ paths: [WHOLE], rows: spec.variants.map((v) => [v]) }] : [];
  axes.push(...Object.entries(spec.grid).map(([p, vs]) => ({ paths: [p], rows: vs.map((v) => [v]) })));
  const zips = spec.zip === undefined ? [] : Array.isArray(spec.zip) ? spec.zip : [spec.zip];
  for (const g of zips) {
    const paths = Object.keys(g);
    axes.push({ paths, rows: g[paths[0]].map((_, i) => paths.map((p) => g[p][i])) });
  }
  if (spec.seeds !== undefined) {
    const lists = Array.isArray(spec.seeds) ? { init: spec.seeds } : spec.seeds;
    for (const [k, vs] of Object.entries(lists)) if (vs) axes.push({ paths: [`seeds.${k}`], rows: vs.map((v) => [v]) });
  }
  const varied: string[] = [];
  for (const p of axes.flatMap((a) => a.paths).filter((p) => p !== WHOLE)) {
    const q = varied.find((q) => p === q || p.startsWith(q + '.') || q.startsWith(p + '.'));
    if (q) throw new ConfigError(`${where}: ${p} is varied twice (also ${q})`);
    varied.push(p);
  }
  return axes;
}

/** Expand a config's `preset` under it (the config's own fields win). */
function withPreset(cfg: Record<string, unknown>, where: string): Record<string, unknown> {
  if (cfg.preset === undefined) return cfg;
  if (typeof cfg.preset !== 'string' || !PRESETS[cfg.preset])
    throw new ConfigError(`${where}: preset: unknown preset ${JSON.stringify(cfg.preset)}; available: ${Object.keys(PRESETS).join(', ')}`);
  return mergeConfig(presetConfig(cfg.preset) as Record<string, unknown>, cfg);
}

/** `obj` with `value` at the dotted path (merged into an object already there); '' merges into the root. */
function setPath(obj: Record<string, unknown>, dottedPath: string, value: unknown, where: string): Record<string, unknown> {
  if (dottedPath === WHOLE) return mergeConfig(obj, value);
  const keys = dottedPath.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (next === undefined) cur[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new ConfigError(`${where}: cannot set ${dottedPath}: ${k} is not an object in the base config`);
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  cur[last] = mergeConfig(cur[last], value);
  return obj;
}
