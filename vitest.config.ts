import { defineConfig } from 'vitest/config';

// One test run for the whole monorepo. Workspace packages resolve to their built dist (nx builds them
// first), so tests exercise exactly what the CLI ships.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tools/src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
