/**
 * The clamp registry: every manipulation of spec section 4, one file each, found here without a list to
 * edit. The spec parser, the pass compiler, the CLI flags, the dashboard's ClampForm and README's clamp
 * table all read `CLAMPS`.
 *
 * Every `.ts` file of this directory except the tests and the shared modules is one clamp, exporting a
 * clamp named after the file. Under vitest (Vite) `import.meta.glob` collects them; the engine's build
 * replaces the call with static imports of the same files in dist (`scripts/expandImportGlobs.mjs`), so
 * Node and the dashboard's bundler see ordinary imports, and modules are evaluated in file-name order.
 *
 * The registry is sorted by each clamp's `order` (its `STAGE` plus an offset), which decides the order in
 * which reference passes are traced and, where two hooks touch one site, which runs first.
 */
import type { ClampTypes } from './clamp.js';

export type ClampKey = keyof ClampTypes;
export type AnyClamp = ClampTypes[ClampKey];

const modules = import.meta.glob(['./*.ts', '!./*.test.ts', '!./index.ts', '!./clamp.ts'], { eager: true });

function collect(found: Record<string, Record<string, unknown>>): readonly AnyClamp[] {
  const clamps = Object.entries(found).map(([file, exports]) => {
    const key = file.replace(/^\.\/|\.ts$/g, '');
    const clamp = exports[key] as AnyClamp | undefined;
    // A file here that is not a clamp named after itself is a slip the registry must not hide.
    if (clamp?.key !== key) throw new Error(`interventions/clamps/${key}.ts must export the clamp '${key}' (a clamp whose key is its file name)`);
    return clamp;
  });
  const sorted = clamps.sort((a, b) => a.order - b.order);
  sorted.forEach((c, i) => {
    if (i > 0 && sorted[i - 1].order === c.order) throw new Error(`clamps '${sorted[i - 1].key}' and '${c.key}' share order ${c.order}: each clamp needs its own place`);
  });
  return sorted;
}

export const CLAMPS: readonly AnyClamp[] = collect(modules as Record<string, Record<string, unknown>>);
