#!/usr/bin/env bash
# The mutation score of the packages around the engine, as stryker/per-file.sh does for packages/engine/src:
# one Stryker run per line below with only the fast unit tests that import the mutated source (the CLI's
# end-to-end tests run the built dist/main.js, which a mutant of src/ never reaches), merged into
# stryker/incremental-apps.json. Same arguments: run names to make, FORCE=1 to re-test every mutant.
set -euo pipefail
cd "$(dirname "$0")/.."
E=
CONFIG=stryker/apps.config.mjs
REPORT=stryker/incremental-apps.json
# name | files mutated | tests run against them (paths from the repository root)
RUNS=(
  "core-glue|packages/core-wasm/src/core.ts,packages/core-wasm/src/index.ts|packages/core-wasm/src/core.test.ts,packages/core-wasm/src/arenaEdges.test.ts"
  "cli-args|apps/cli/src/args.ts|apps/cli/src/flags.test.ts"
  "cli-data|apps/cli/src/dataFlags.ts|apps/cli/src/flags.test.ts"
  "cli-clamps|apps/cli/src/clampFlags.ts|apps/cli/src/flags.test.ts"
  "cli-format|apps/cli/src/format.ts|apps/cli/src/format.test.ts"
  "cli-view|apps/cli/src/sweepView.ts|apps/cli/src/sweepView.test.ts"
  "dash-errors|apps/dashboard/src/server/errors.ts|apps/dashboard/src/server/errors.test.ts"
  "dash-sweep|apps/dashboard/src/server/sweep.ts|apps/dashboard/src/server/sweep.test.ts"
  "dash-paths|apps/dashboard/src/server/paths.ts|apps/dashboard/src/server/paths.test.ts,apps/dashboard/src/server/pathsEdges.test.ts"
  "dash-access|apps/dashboard/src/server/access.ts|apps/dashboard/src/server/access.test.ts,apps/dashboard/src/server/accessEdges.test.ts"
)
[ -f "$REPORT" ] || echo '{"schemaVersion":"2","thresholds":{"high":80,"low":60},"files":{},"testFiles":{}}' >"$REPORT"
source stryker/run-files.sh
