/**
 * 4.3 pattern- and value-preserving ablation: a `clean` pass with no manipulation; the final pass takes
 * its attention patterns and/or values, so an ablation upstream changes only what is not preserved.
 */
import { z } from 'zod';
import { defineClamp } from './clamp.js';

export const CLEAN_PASS = 'clean';

export const preserve = defineClamp({
  key: 'preserve',
  section: '4.3',
  summary: "pattern-/value-preserving ablation: every layer's attention patterns and/or values are the clean model's",
  label: 'preserved',
  schema: z.object({ patterns: z.boolean().default(false), values: z.boolean().default(false) }).strict().optional(),
  sites: ['blocks.*.attn.pattern', 'blocks.*.attn.v'],
  active: (v) => !!(v?.patterns || v?.values),
  writesAllPatterns: (v) => (v?.patterns ? 'preserve.patterns' : null),
  compile(v) {
    const sites = new Set([...(v!.patterns ? ['attn.pattern'] : []), ...(v!.values ? ['attn.v'] : [])]);
    return {
      passes: [{ name: CLEAN_PASS }],
      hook: (at, x, ctx) => (sites.has(at.rest) ? ctx.passes.get(CLEAN_PASS)!.sites.get(at.site)! : x),
    };
  },
  flags: [
    {
      flag: '--preserve <what>',
      help: 'preserved ablation (4.3): take the clean pass\'s "patterns", "values" or both (patterns,values)',
      arg: 'words',
      set: (v, s) => ({ ...s, preserve: Object.fromEntries((v as string[]).map((w) => [w, true])) }),
    },
  ],
  form: { kind: 'switches', options: ['patterns', 'values'], label: 'Preserve (clean pass)', title: "Take the unmanipulated model's patterns and/or values (4.3, for ablations)" },
});
