import { defineConfig } from 'vitest/config';

// The tests Stryker runs mutants against (stryker.config.mjs): fast unit tests of the mutated modules, each with
// an independent reference. Slow end-to-end suites stay out: Stryker runs a test file once per mutant that it
// covers, on 2 shared cores.
// STRYKER_TESTS (comma-separated) narrows the list for a run over one file, e.g.
// `STRYKER_TESTS=packages/engine/src/metrics.test.ts npx stryker run --mutate packages/engine/src/metrics.ts`:
// a mutant then runs only the fast tests named, not every listed test that reaches it.
const narrowed = process.env.STRYKER_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: narrowed ?? [
      'packages/engine/src/optim.test.ts',
      'packages/engine/src/trainSetup.test.ts',
      'packages/engine/src/evalPoints.test.ts',
      'packages/engine/src/store/atomic.test.ts',
      'packages/engine/src/store/atomicHelpers.test.ts',
      'packages/engine/src/report/claims.test.ts',
      'packages/engine/src/report/claimGroups.test.ts',
      'packages/engine/src/report/claimBounds.test.ts',
      'packages/engine/src/report/tightened.test.ts',
      'packages/engine/src/sweep/member.test.ts',
      'packages/engine/src/metrics.test.ts',
      'packages/engine/src/store/tags.test.ts',
      'packages/engine/src/ops.test.ts',
      'packages/engine/src/rope.test.ts',
      'packages/engine/src/opsGraph.test.ts',
      'packages/engine/src/rng.test.ts',
      'packages/engine/src/report/curves.test.ts',
      'packages/engine/src/report/curveWords.test.ts',
      'packages/engine/src/sweep/grouping.test.ts',
      'packages/engine/src/sweep/groupingEdges.test.ts',
      'packages/engine/src/data/sampler.test.ts',
      'packages/engine/src/data/samplerEdges.test.ts',
      'packages/engine/src/data/evalSets.test.ts',
      'packages/engine/src/data/task.test.ts',
      'packages/engine/src/data/taskEdges.test.ts',
      'packages/engine/src/store/livenessEdges.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
