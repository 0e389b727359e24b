#!/usr/bin/env bash
# The mutation score of the measured engine files, one Stryker run per file with only the fast tests that
# cover it (a run over every file at once with every listed test takes hours on 2 shared cores), merged into
# stryker/incremental.json by stryker/merge.mjs, which prints the table README "Mutation score" shows.
#
#   stryker/per-file.sh                 # every run of stryker/engine-runs.txt, incrementally (only changed mutants/tests re-run)
#   stryker/per-file.sh ops rng         # only the runs named (the first word of a line there)
#   FORCE=1 stryker/per-file.sh grouping  # re-test every mutant: an incremental run keeps a static
#                                          # survivor forever (stryker-js #6119), so force after adding tests
#
# Each run starts from the committed stryker/incremental.json and keeps its own report in .stryker-tmp-runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
E=packages/engine/src
# the webgpu runs' tests find Mesa's software adapter only when EGL_PLATFORM is in the process environment
# (vitest's thread pool cannot set it for Mesa afterwards)
export EGL_PLATFORM=${EGL_PLATFORM:-surfaceless}
# the runs: stryker/engine-runs.txt (read once here, so it can be edited while a run goes on)
mapfile -t RUNS < <(grep -v -e '^#' -e '^[[:space:]]*$' stryker/engine-runs.txt)
# shared with stryker/apps.sh: runs RUNS under E, with CONFIG, merged into REPORT
source stryker/run-files.sh
