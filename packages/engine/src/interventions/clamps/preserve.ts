/**
 * 4.3 pattern- and value-preserving ablation: a `clean` pass with no manipulation; the final pass takes
 * its attention patterns and/or values, so an ablation upstream changes only what is not preserved.
 * Preserving only the queries or only the keys (the authors' `opto_preserve_queries`/`_keys`) splits
 * pattern preservation in two: with the clean queries and the ablated model's keys (or the reverse), an
 * upstream ablation reaches the patterns through one side of Q·K only.
 */
import { z } from 'zod';
import { defineClamp, STAGE } from './clamp.js';

export const CLEAN_PASS = 'clean';

export const preserve = defineClamp({
  key: 'preserve',
  order: STAGE.preserve,
  section: '4.3',
  summary: "pattern-/value-preserving ablation: every layer's attention patterns and/or values are the clean model's",
  label: 'preserved',
  schema: z
    // queries and keys are optional (absent = off), not default(false): a stored preserve spec from before
    // they existed must parse to the same object (run IDs and cached analyses hash it).
    .object({ patterns: z.boolean().default(false), values: z.boolean().default(false), queries: z.boolean().optional(), keys: z.boolean().optional() })
    .strict()
    .optional(),
  sites: ['blocks.*.attn.pattern', 'blocks.*.attn.v', 'blocks.*.attn.q', 'blocks.*.attn.k'],
  active: (v) => !!(v?.patterns || v?.values || v?.queries || v?.keys),
  writesAllPatterns: (v) => (v?.patterns ? 'preserve.patterns' : null),
  validate(v, c) {
    const s = c.spec as { perfectLayer1?: boolean; graft?: unknown };
    for (const side of ['queries', 'keys'] as const) {
      if (!v![side]) continue;
      if (v!.patterns) c.fail(`preserve.${side}`, 'has no effect with preserve.patterns: the patterns are the clean pass\'s already');
      if (s.perfectLayer1) c.fail(`preserve.${side}`, 'contradicts perfectLayer1: it sets every layer-1 pattern and replaces layer 0');
      if (s.graft) c.fail('preserve', "contradicts graft: the clean pass runs the model's own layers, not the donor's");
    }
  },
  compile(v) {
    const sites = new Set([
      ...(v!.patterns ? ['attn.pattern'] : []),
      ...(v!.values ? ['attn.v'] : []),
      ...(v!.queries ? ['attn.q'] : []),
      ...(v!.keys ? ['attn.k'] : []),
    ]);
    return {
      passes: [{ name: CLEAN_PASS }],
      hook: (at, x, ctx) => (sites.has(at.rest) ? ctx.passes.get(CLEAN_PASS)!.sites.get(at.site)! : x),
    };
  },
  flags: [
    {
      flag: '--preserve <what>',
      help: 'preserved ablation (4.3): take the clean pass\'s "patterns", "values", "queries" or "keys" (a comma list)',
      arg: 'words',
      set: (v, s) => ({ ...s, preserve: Object.fromEntries((v as string[]).map((w) => [w, true])) }),
    },
  ],
  form: { kind: 'switches', options: ['patterns', 'values', 'queries', 'keys'], label: 'Preserve (clean pass)', title: "Take the unmanipulated model's patterns, values, queries or keys (4.3, for ablations)" },
});

declare module './clamp.js' {
  interface ClampTypes {
    preserve: typeof preserve;
  }
}
