/**
 * Run configuration: one validated JSON document that fully determines a run (spec 1-3), stored verbatim
 * in run.json so any run can be regenerated from its directory alone. Defaults are the paper's.
 */
import './zodSetup.js';
import { z } from 'zod';
import { ConfigError } from './configError.js';
import { tooManyLabels } from './data/task.js';
import { taskPositions } from './data/tasks/positions.js';
import { TASK_FIELDS, taskIssues, taskSeqLen } from './data/tasks/schema.js';
import { InterventionSpecSchema, taskClampIssues } from './interventions/spec.js';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const triple = z.tuple([nonNegInt, nonNegInt, nonNegInt]);

export const RunConfigSchema = z
  .object({
    /** Free-form label shown in listings. */
    name: z.string().min(1).optional(),
    /** The preset the config started from, if any (informational). */
    preset: z.string().optional(),
    data: z
      .object({
        /** 'synthetic' (built-in default) or a path to an .h5/.hdf5/.npy feature file (spec 1.1). */
        source: z.string().min(1).default('synthetic'),
        /** HDF5 dataset path inside the file. */
        datasetPath: z.string().min(1).default('resnet18/224/feat'),
        /** Seed of the synthetic feature generator (ignored for files). */
        syntheticSeed: nonNegInt.default(0),
      })
      .strict()
      .prefault({}),
    task: z
      .object({
        /** [train, val, test] classes (spec 1.2: 50 1473 100; test is always the last 100). */
        classSplit: triple.default([50, 1473, 100]),
        /** [train, val, test] exemplars (spec 1.2: 1 4 0 → training sees exemplar 0 only). */
        exemplarSplit: triple.default([1, 4, 0]),
        /** Output labels L (spec 1.3: 5; Fig. 6 uses 10 and 15). */
        numLabels: z.number().int().min(2).default(5),
        /** Proportions of label pairs for train/val/test (spec 1.3: 8 2 0). */
        labelPairSplit: triple.default([8, 2, 0]),
        /** Seed of the label-pair permutation (20 in the original). */
        pairSeed: nonNegInt.default(20),
        /** Tasks beyond the paper's (data/tasks/schema.ts): kind, shots, bursty, repeat. */
        ...TASK_FIELDS,
      })
      .strict()
      .prefault({}),
    model: z
      .object({
        dModel: posInt.default(64),
        nHeads: posInt.default(8),
        /** Blocks (1 to 6; the paper's 2). */
        nLayers: z.number().int().min(1).max(6).default(2),
        /** Per-head width; default dModel / nHeads (the paper's 8). Even with RoPE. */
        headDim: posInt.optional(),
        /** 'rope' (the paper's, default when absent), 'learned' absolute positions, or 'none'. */
        positions: z.enum(['rope', 'learned', 'none']).optional(),
        /** Rows of the learned position table; default the task's sequence length. */
        ctx: posInt.optional(),
        /**
         * A pre-LN GELU MLP after each attention block (absent: attention-only, the paper's model): its
         * hidden width, or a ratio of dModel (4 is GPT-2's).
         */
        mlp: z
          .union([z.object({ hidden: posInt }).strict(), z.object({ ratio: z.number().positive() }).strict()])
          .optional(),
        ropeBase: z.number().positive().default(10000),
        lnEps: z.number().positive().default(1e-5),
      })
      .strict()
      .prefault({}),
    optim: z
      .object({
        lr: z.number().positive().default(1e-5),
        beta1: z.number().min(0).max(1).default(0.9),
        beta2: z.number().min(0).max(1).default(0.999),
        eps: z.number().positive().default(1e-8),
        batchSize: posInt.default(32),
      })
      .strict()
      .prefault({}),
    schedule: z
      .object({
        /** Training length in sequences, not steps (spec 3.2). */
        seqs: posInt.default(1_000_000),
        /** Eval cadence in sequences (eval at the first step ≥ each multiple, plus a final eval). */
        evalEvery: posInt.default(5000),
        /** Checkpoint cadence in sequences; null = only the final checkpoint. */
        ckptEvery: posInt.nullable().default(10_000),
        /** Sequences per fixed eval set (spec 1.6: 1000). */
        evalSize: posInt.default(1000),
      })
      .strict()
      .prefault({}),
    seeds: z
      .object({
        init: nonNegInt.default(5),
        train: nonNegInt.default(0),
        eval: nonNegInt.default(1),
      })
      .strict()
      .prefault({}),
    backend: z.enum(['auto', 'wasm', 'reference', 'webgpu']).default('auto'),
    /** Artificial-optogenetics manipulations applied throughout training and evaluation (spec 4). */
    interventions: InterventionSpecSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const { init, train, eval: ev } = c.seeds;
    if (init === train || init === ev || train === ev)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: `init, train and eval seeds must differ (spec 3.2), got ${init}, ${train}, ${ev}` });
    for (const [path, message] of taskIssues(c.task)) ctx.addIssue({ code: 'custom', path, message });
    // Clamps take their positions from the task; a clamp that cannot apply says what the task lacks.
    if (c.interventions !== undefined && !taskIssues(c.task).length)
      for (const [field, message] of taskClampIssues(c.interventions, taskPositions(c.task))) ctx.addIssue({ code: 'custom', path: ['interventions', field], message });
    const many = tooManyLabels(c.task.numLabels);
    if (many) ctx.addIssue({ code: 'custom', path: ['task', 'numLabels'], message: many });
    const rope = (c.model.positions ?? 'rope') === 'rope';
    if (c.model.headDim !== undefined) {
      if (rope && c.model.headDim % 2 !== 0) ctx.addIssue({ code: 'custom', path: ['model', 'headDim'], message: `RoPE rotates pairs, so headDim must be even, got ${c.model.headDim}` });
    } else if (c.model.dModel % c.model.nHeads !== 0 || (rope && (c.model.dModel / c.model.nHeads) % 2 !== 0))
      ctx.addIssue({ code: 'custom', path: ['model', 'nHeads'], message: `dModel ${c.model.dModel} / nHeads ${c.model.nHeads} must be an ${rope ? 'even ' : ''}integer head size (or set model.headDim)` });
    if (c.model.mlp && 'ratio' in c.model.mlp && Math.round(c.model.mlp.ratio * c.model.dModel) < 1)
      ctx.addIssue({ code: 'custom', path: ['model', 'mlp', 'ratio'], message: `ratio ${c.model.mlp.ratio} × dModel ${c.model.dModel} leaves no hidden unit` });
    if (c.model.positions === 'learned' && c.model.ctx !== undefined && c.model.ctx < taskSeqLen(c.task))
      ctx.addIssue({ code: 'custom', path: ['model', 'ctx'], message: `${c.model.ctx} learned positions are fewer than the task's ${taskSeqLen(c.task)} tokens` });
  });

export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/** Validate a config; throws one line naming the field at fault. */
export function parseRunConfig(input: unknown, where = 'config'): RunConfig {
  const r = RunConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  const extra = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : '';
  const got = valueAt(input, issue.path);
  const shown = got === undefined || issue.code === 'unrecognized_keys' ? '' : ` (got ${JSON.stringify(got)})`;
  throw new ConfigError(`${where}: ${path}: ${issue.message}${shown}${extra}`);
}

function valueAt(x: unknown, path: readonly PropertyKey[]): unknown {
  let cur = x;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export { ConfigError } from './configError.js';

/** Deep-merge plain objects (arrays and scalars replace); used for preset ← file ← flags layering. */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (!isPlain(base) || !isPlain(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeConfig(out[k], v) : v;
  return out as T;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
