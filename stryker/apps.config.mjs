// Stryker over the packages around the engine (stryker/apps.sh): the wasm core's JavaScript glue, the CLI's flag
// parsing and the dashboard server. Same runner and settings as the engine's stryker.config.mjs; the sandbox
// copies those packages' sources (and the compiled core, which the glue loads) instead of leaving them out.
import base from '../stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: [],
  incrementalFile: 'stryker/incremental-apps.json',
  htmlReporter: { fileName: 'reports/mutation-apps/index.html' },
  jsonReporter: { fileName: 'reports/mutation-apps/mutation.json' },
  ignorePatterns: [
    'tools', 'python', 'docs', 'reports', 'stryker', '.stryker-tmp*', 'packages/*/dist', 'apps/*/dist',
    'apps/dashboard/.next*', 'apps/dashboard/screenshots', 'runs',
  ],
};
