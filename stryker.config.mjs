// Stryker mutation testing of the engine's shared, fast-tested modules: `npm run mutation` (not part of
// `npm test` or CI; see README "Mutation score"). Incremental: results are kept in stryker/incremental.json
// (committed), so a later run re-tests only the mutants whose code or covering tests changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // Only the unit tests listed there, and per mutated file only the ones related to it (vitest `related`);
  // 'perTest' coverage then runs each mutant against just the tests that reach its code.
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'packages/engine/src/optim.ts',
    'packages/engine/src/trainSetup.ts',
    'packages/engine/src/store/atomic.ts',
    'packages/engine/src/report/claim.ts',
    'packages/engine/src/sweep/member.ts',
    'packages/engine/src/metrics.ts',
    'packages/engine/src/store/tags.ts',
    'packages/engine/src/ops.ts',
    'packages/engine/src/rng.ts',
    'packages/engine/src/report/curves.ts',
    'packages/engine/src/sweep/grouping.ts',
    'packages/engine/src/data/sampler.ts',
    'packages/engine/src/data/evalSets.ts',
    'packages/engine/src/data/task.ts',
    'packages/engine/src/store/liveness.ts',
  ],
  incrementalFile: 'stryker/incremental.json',
  // 2 cores shared by the team: run it under `nice`, one test process at a time
  concurrency: 1,
  timeoutMS: 60_000,
  // the first run of every test with per-test coverage, on a loaded shared machine
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // the sandbox needs the engine's sources and the root configs; workspace packages resolve through
  // node_modules to their built dist in this checkout
  ignorePatterns: ['apps', 'tools', 'python', 'docs', 'reports', 'packages/core-wasm', 'packages/*/dist', 'stryker', '.stryker-tmp*'],
  cleanTempDir: 'always',
};
