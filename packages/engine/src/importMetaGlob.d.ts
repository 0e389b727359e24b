/**
 * `import.meta.glob` (Vite's): the clamp registry finds its files with it. Vitest evaluates it; the
 * engine's build expands it into static imports in dist (`scripts/expandImportGlobs.mjs`). Only the eager
 * form with literal patterns is supported.
 */
interface ImportMeta {
  glob(patterns: string | readonly string[], options: { eager: true }): Record<string, unknown>;
}
