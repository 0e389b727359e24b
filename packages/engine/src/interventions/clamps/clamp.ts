/**
 * What one manipulation of spec section 4 ("artificial optogenetics") is, as one record: the clamp
 * registry (`clamps/index.ts`) collects every file of this directory. A clamp owns its spec field (the one name it has
 * everywhere: spec key, `--kebab-case` CLI flag, dashboard field, code), the zod schema of that field,
 * the heads it names and what it writes there (from which the shared rules in spec.ts derive the range,
 * duplicate and contradiction checks), any rule of its own, the reference passes it needs, its site
 * hook in the final pass, its CLI flags and its dashboard form field.
 *
 * Clamps are plain data applied by the forward (spec 2.6: `where(mask, clamp, computed)`), never global
 * state. A clamp's hook sees every site of the final pass and returns the value unchanged except at its
 * own sites; the registry order decides which hook runs first where two touch one site.
 */
import type { z } from 'zod';
import type { Buf } from '../../backend.js';
import { fewShotPositions, type TaskPositions } from '../../data/tasks/positions.js';
import type { Value } from '../../graph.js';
import type { PassContext, PassPlan } from '../../model.js';
import * as op from '../../ops.js';
import type { ParamStore } from '../../params.js';
import { InterventionError } from '../errors.js';
import { parseHead, type Head } from '../heads.js';

export { InterventionError };

/** A head a clamp names: `at` is the spec path of the entry (range checks), `owner` the clamp's field. */
export interface HeadUse {
  at: string;
  owner: string;
  ref: string;
  /**
   * What the clamp writes at that head: its attention `pattern`, its pre-softmax `scores` (masked or
   * rescaled; moot where another clamp writes the pattern), or nothing (`read`, `values`).
   */
  writes?: 'pattern' | 'scores' | 'values' | 'read';
}

/** The residual stream a clamp replaces wholesale after layer `throughLayer` (everything upstream is moot). */
export interface Replacement {
  field: string;
  /** The name used in messages ("perfectLayer1", "the graft"). */
  name: string;
  throughLayer: number;
  /** Does it also set every attention pattern of the layers after `throughLayer` (perfect Layer 1)? */
  setsLaterPatterns?: boolean;
}

export interface ModelShape {
  nLayers: number;
  nHeads: number;
}

export interface ValidateContext {
  /** The whole parsed spec (other clamps' fields by their keys). */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly model: ModelShape;
  fail(field: string, msg: string): never;
}

export interface CompileEnv {
  /** The trained model's parameters (donors load on the same backend). */
  params: ParamStore;
  /** Where the task's query, candidates and exemplars sit; absent: the few-shot layout of the pass's length. */
  positions?: TaskPositions;
  /** Loads a graft donor (Node only; `compile.ts` supplies it). */
  loadDonor?: (checkpoint: string, params: ParamStore) => ParamStore;
}

/** A site of the final pass, split: `blocks.1.attn.pattern` is layer 1, rest `attn.pattern`. */
export interface SiteAt {
  site: string;
  layer: number;
  rest: string;
}

export type SiteHook = (at: SiteAt, v: Value, ctx: PassContext) => Value;

export interface Compiled {
  /** Reference passes (deduplicated by name across clamps: two preservations share one clean pass). */
  passes?: PassPlan[];
  hook?: SiteHook;
  /**
   * Moves the final pass onto other (frozen) parameters and traces the model's own forward first as the
   * reference pass `ownPass`, under the same hooks, so the final pass can take activations from it
   * (grafting a trained model's later layers onto this one).
   */
  final?: { params: ParamStore; ownPass: string };
}

/**
 * How the CLI reads a flag's argument (the CLI owns the parsers, so its messages stay one line):
 * `heads` "1:0,1:2"; `headsAt` "0:1,0:2@0.75" (a strength in [0, 1]: `{ heads, strength? }`);
 * `headsAtNumber` "1:3@2.5" (any number ≥ 0: `{ heads, at? }`); `head` one head; `switch` no argument;
 * `layer` an index; `file` a path (stored absolute); `number` a finite number; `words` a comma list.
 */
export type FlagArg = 'heads' | 'headsAt' | 'headsAtNumber' | 'head' | 'switch' | 'layer' | 'file' | 'number' | 'words';

export interface ClampFlag {
  /** `--name <arg>` as commander takes it; the first flag of a clamp is `--<kebab of its key>`. */
  flag: string;
  /** Older names that still work (hidden from help). */
  aliases?: string[];
  help: string;
  arg: FlagArg;
  /**
   * The spec with this flag's value merged in (`flags`: every clamp flag given, by commander name; `model`:
   * the shape of the model the spec will run on, where a flag's meaning depends on it, as --only-head's).
   */
  set(value: unknown, spec: Record<string, unknown>, flags: Readonly<Record<string, unknown>>, model: ModelShape): Record<string, unknown>;
}

/** Dashboard form field (apps/dashboard ClampForm renders each kind). Paths are inside the clamp's value. */
export type FormField =
  /** A checkbox per head of every layer, one row per layer (the value is a list of refs). */
  | { kind: 'headsPerLayer'; label: string; title: string }
  /**
   * Checkboxes for the heads of every layer, `layer` (where the clamp usually sits) first, stored at
   * `<key>.heads`, with optional number fields.
   */
  | { kind: 'heads'; layer: 'first' | 'last'; label: string; title: string; numbers?: FormNumber[] }
  /** One head of any layer (the last first), or off, stored at `<key>.head`. */
  | { kind: 'head'; layer: 'last'; label: string; title: string }
  /** A checkbox: the value is `true` or absent. */
  | { kind: 'switch'; label: string; title: string }
  /** A checkbox per option, stored at `<key>.<option>`. */
  | { kind: 'switches'; options: string[]; label: string; title: string }
  /** A file path stored at `<key>.<path>`, with optional numbers; `nodeOnly`: a page cannot read files. */
  | { kind: 'file'; path: string; label: string; title: string; numbers?: FormNumber[]; nodeOnly: true };

export interface FormNumber {
  path: string;
  label: string;
  default: number;
  step: number;
}

/**
 * Where a clamp's hook runs in the final pass, and its reference passes are traced, relative to the others
 * (a clamp's `order` is its stage plus a small offset; orders are unique). Where two hooks touch one
 * site the earlier runs first: preservations take the clean pass's activations, then the wholesale
 * replacements of the residual stream, the embedding, score edits, pattern clamps, then ablations (they
 * take precedence, spec 4.1), then the readout.
 */
export const STAGE = { preserve: 100, replace: 200, embedding: 300, scores: 400, pattern: 500, ablate: 600, readout: 700 } as const;

export interface Clamp<K extends string = string, S extends z.ZodTypeAny = z.ZodTypeAny> {
  key: K;
  /** Its place in the registry (`STAGE.<stage>` plus an offset): hooks and reference passes run in this order. */
  order: number;
  /**
   * Spec section ("4.5"), "opto.py" for the authors' manipulations outside the paper, or "optoscope" for
   * manipulations of this project's own; `summary` is one line of meaning (README's clamp table says the same).
   */
  section: string;
  summary: string;
  /** Short label for legends and presets ("match clamp"). */
  label: string;
  /** The field's schema (optional or defaulted: an absent field is "off"). */
  schema: S;
  /** The sites it writes, as patterns over `blocks.<l>.<site>` (documentation and the registry test). */
  sites: readonly string[];
  active(value: z.output<S>): boolean;
  heads?(value: z.output<S>, model: ModelShape): HeadUse[];
  /** Sets every head's attention pattern in every layer (preserve.patterns): contradicts any pattern writer. */
  writesAllPatterns?(value: z.output<S>): string | null;
  replaces?(value: z.output<S>): Replacement | null;
  validate?(value: z.output<S>, v: ValidateContext): void;
  /** What the task lacks for this clamp to apply (one line), or null: the per-clamp task check of config.ts. */
  taskIssue?(value: z.output<S>, positions: TaskPositions): string | null;
  compile(value: z.output<S>, env: CompileEnv): Compiled;
  flags: readonly ClampFlag[];
  form: FormField;
}

/**
 * Every clamp by key, for the types: each clamp file adds its own entry by declaration merging
 * (`declare module './clamp.js' { interface ClampTypes { <key>: typeof <key> } }`), so the spec's
 * TypeScript type is built from the registry without a list anyone edits.
 */
export interface ClampTypes {}

/** Keeps the literal key and schema types, so the spec's TypeScript type is built from the registry. */
export function defineClamp<K extends string, S extends z.ZodTypeAny>(c: Clamp<K, S>): Clamp<K, S> {
  return c;
}

// --- Helpers the clamps share (hooks build their constants and masks with these). ---

/** A constant (no-gradient) value filled with `fill`. */
export function constant(ctx: PassContext, shape: readonly number[], fill = 0): { value: Value; buf: Buf } {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = ctx.g.be.allocF(n);
  if (fill !== 0) ctx.g.be.fill(buf, fill, n);
  return { value: ctx.g.wrap(buf, shape, null), buf };
}

/** A uint8 mask of `n` entries, set where `set(i)`. */
export function mask(ctx: PassContext, n: number, set: (i: number) => boolean): Buf {
  const host = new Uint8Array(n);
  for (let i = 0; i < n; i++) host[i] = set(i) ? 1 : 0;
  const buf = ctx.g.be.allocU8(n);
  ctx.g.be.write(buf, host);
  return buf;
}

/** Attention tensor geometry [B, H, Tq, T] (patterns and scores); row i is absolute position qPos0 + i. */
export function attnDims(v: Value) {
  const [B, H, Tq, T] = v.shape;
  return { B, H, Tq, T, qPos0: T - Tq };
}

/** Entry i of a [B, H, Tq, T] tensor: its head, absolute query position and key position. */
export function attnIndex(v: Value): (i: number) => { head: number; t: number; j: number } {
  const { H, Tq, T, qPos0 } = attnDims(v);
  return (i) => ({ head: Math.floor(i / (Tq * T)) % H, t: qPos0 + (Math.floor(i / T) % Tq), j: i % T });
}

/**
 * The task positions a hook uses on a pass of T tokens: the compile environment's, or the few-shot layout
 * of T tokens (the paper's when T = 5) when none was given.
 */
export function positionsFor(env: CompileEnv, T: number): TaskPositions {
  const p = env.positions ?? fewShotPositions(T);
  if (p.seqLen !== T) throw new InterventionError(`clamps compiled for ${p.name} (${p.seqLen} tokens) run on ${T}-token sequences`);
  return p;
}

/**
 * The rule of the two-step circuit: a clamp that reads what a previous-token clamp wrote (the match) must sit
 * in a later layer than every previous-token clamp's head. `field` and `heads` are the reader's.
 */
export function checkAfterPrevToken(field: string, heads: readonly string[], v: ValidateContext): void {
  const writers = (['prevToken', 'prevTokenLabels'] as const).flatMap((k) => ((v.spec[k] as { heads?: string[] } | undefined)?.heads ?? []).map((ref, i) => ({ at: `${k}.heads[${i}]`, ref })));
  if (!writers.length) return;
  const latest = writers.reduce((a, w) => (parseHead(w.ref).layer > parseHead(a.ref).layer ? w : a));
  const pl = parseHead(latest.ref).layer;
  heads.forEach((ref, i) => {
    const l = parseHead(ref).layer;
    if (l <= pl) v.fail(`${field}.heads[${i}]`, `head "${ref}" is in layer ${l}, not after the previous-token clamp's layer ${pl} (${latest.at} "${latest.ref}"); the match reads what the previous-token head wrote, so it must sit in a later layer`);
  });
}

/** The heads of `refs` in `layer`, as head indices. */
export function headsIn(refs: readonly Head[], layer: number): Set<number> {
  return new Set(refs.filter((h) => h.layer === layer).map((h) => h.head));
}

/** `refs` listed under `field.heads` (or `field` itself for a plain list), as head uses. */
export function listUses(field: string, refs: readonly string[], writes?: HeadUse['writes'], plain = false): HeadUse[] {
  return refs.map((ref, i) => ({ at: plain ? `${field}[${i}]` : `${field}.heads[${i}]`, owner: field, ref, writes }));
}

export const parseHeads = (refs: readonly string[]): Head[] => refs.map(parseHead);

/**
 * The compiled form of a per-head clamp: a hook on site `rest` (`attn.pattern`, `attn.scores`, ...) of
 * every layer that holds one of `refs`, where `apply` gets that layer's clamped head indices.
 */
export function headsHook(refs: readonly string[], rest: string, apply: (hs: Set<number>, v: Value, ctx: PassContext, at: SiteAt) => Value): Compiled {
  const heads = parseHeads(refs);
  return {
    hook: (at, v, ctx) => {
      if (at.rest !== rest) return v;
      const hs = headsIn(heads, at.layer);
      return hs.size ? apply(hs, v, ctx, at) : v;
    },
  };
}

/** `v` with the entries where `set(i)` replaced by the constant `fill` (no gradient reaches them). */
export function overwrite(ctx: PassContext, v: Value, set: (i: number) => boolean, fill = 0): Value {
  return op.where(ctx.g, mask(ctx, v.size, set), constant(ctx, v.shape, fill).value, v);
}

/**
 * `v`·k over its last axis, as v·(k·I) with a constant matrix (the graph has no scaling op), so the
 * gradient is k·dv: rescaled scores (a temperature), or a pattern's share in a blend.
 */
export function scaled(ctx: PassContext, v: Value, k: number): Value {
  const T = v.shape[v.shape.length - 1];
  const m = constant(ctx, [T, T]);
  ctx.g.be.write(m.buf, Float64Array.from({ length: T * T }, (_, i) => (Math.floor(i / T) === i % T ? k : 0)));
  return ctx.g.view(op.linear(ctx.g, ctx.g.view(v, [v.size / T, T]), m.value, null), v.shape);
}
