#!/usr/bin/env bash
# The mutation score of the measured engine files, one Stryker run per file with only the fast tests that
# cover it (a run over every file at once with every listed test takes hours on 2 shared cores), merged into
# stryker/incremental.json by stryker/merge.mjs, which prints the table README "Mutation score" shows.
#
#   stryker/per-file.sh                 # every file below, incrementally (only changed mutants/tests re-run)
#   stryker/per-file.sh ops rng         # only the runs named (the first word of each line below)
#   FORCE=1 stryker/per-file.sh grouping  # re-test every mutant: an incremental run keeps a static
#                                          # survivor forever (stryker-js #6119), so force after adding tests
#
# Each run starts from the committed stryker/incremental.json and keeps its own report in .stryker-tmp-runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
E=packages/engine/src
# name | files mutated | tests run against them (paths under packages/engine/src)
RUNS=(
  "member|sweep/member.ts|sweep/member.test.ts"
  "trainSetup|trainSetup.ts|trainSetup.test.ts,evalPoints.test.ts"
  "metricsTags|metrics.ts,store/tags.ts|metrics.test.ts,store/tags.test.ts"
  "optim|optim.ts|optim.test.ts"
  "atomic|store/atomic.ts|store/atomic.test.ts,store/atomicHelpers.test.ts"
  "claim|report/claim.ts|report/claimGroups.test.ts,report/claimBounds.test.ts,report/claims.test.ts"
  "ops|ops.ts|ops.test.ts,rope.test.ts,opsGraph.test.ts"
  "rng|rng.ts|rng.test.ts"
  "curves|report/curves.ts|report/curves.test.ts,report/curveWords.test.ts"
  "grouping|sweep/grouping.ts|sweep/grouping.test.ts,sweep/groupingEdges.test.ts"
  "sampler|data/sampler.ts|data/sampler.test.ts,data/samplerEdges.test.ts"
  "evalSets|data/evalSets.ts|data/evalSets.test.ts"
  "task|data/task.ts|data/task.test.ts,data/taskEdges.test.ts"
  "liveness|store/liveness.ts|store/liveness.test.ts,store/livenessEdges.test.ts"
  "runDir|store/runDir.ts|store/store.test.ts,store/runDirEdges.test.ts"
  "spec|sweep/spec.ts|sweep/spec.test.ts,sweep/specEdges.test.ts"
  "query|store/query.ts|store/queryEdges.test.ts"
  "aggregate|store/aggregate.ts,store/metricRows.ts|store/aggregate.test.ts"
  "safetensors|store/safetensors.ts,store/safetensorsCodec.ts|store/store.test.ts,store/safetensorsEdges.test.ts"
  "json|store/jsonChecksum.ts,store/jsonFile.ts|store/jsonEdges.test.ts"
  "catalog|sweep/paperRuns.ts,sweep/presets.ts,sweep/paperSeeds.ts,sweep/load.ts,sweep/data.ts|sweep/catalog.test.ts"
  "find|report/find.ts|report/findEdges.test.ts"
  "read|report/read.ts|report/read.test.ts,report/readEdges.test.ts"
  "write|report/write.ts|report/writeEdges.test.ts"
  "localStore|store/runStore.ts,store/runStores.ts,store/backendVerdicts.ts,store/export.ts|store/localStore.test.ts"
  "finish|store/finishRun.ts|store/finishEdges.test.ts"
  "csvSmoothing|figures/csv.ts,figures/smoothing.ts|figures/csvEdges.test.ts,figures/smoothing.test.ts"
  "format|report/format.ts|report/formatEdges.test.ts"
  "parquet|store/metricsParquet.ts|store/parquetEdges.test.ts"
  "figCurves|figures/lossCurves.ts,figures/groupCurves.ts|figures/figures.test.ts"
  "figSmall|figures/matrix.ts,figures/scatter.ts,figures/learningTime.ts,figures/parallelCoords.ts|figures/figureData.test.ts"
  "model|model.ts|modelForward.test.ts,model.test.ts,seqLen.test.ts,interventions/golden.test.ts"
  "graph|graph.ts|graph.test.ts,opsGraph.test.ts"
  "params|params.ts|params.test.ts,model.test.ts"
  "clamp|interventions/clamps/clamp.ts|interventions/clamps/clampHelpers.test.ts"
  "config|config.ts|config.test.ts"
  "denseSet|analysis/denseSet.ts|analysis/denseSetEdges.test.ts,analysis/denseSet.test.ts"
  "progress|analysis/progress.ts|analysis/progressEdges.test.ts,analysis/progress.test.ts"
  "ivSpec|interventions/spec.ts,interventions/heads.ts|interventions/specEdges.test.ts,interventions/spec.test.ts,interventions/taskLayouts.test.ts"
  "sites|sites.ts,modelConfig.ts|sites.test.ts"
  "taskSchema|data/tasks/schema.ts,data/tasks/positions.ts|data/tasks/schemaPositions.test.ts"
  "taskChecks|analysis/taskChecks.ts|analysis/taskChecksEdges.test.ts,analysis/taskChecks.test.ts"
  "npy|data/npy.ts|data/npyEdges.test.ts,data/npy.test.ts"
  "ablation|analysis/ablation.ts,analysis/heads.ts|analysis/ablationEdges.test.ts,analysis/ablation.test.ts,analysis/heads.test.ts,analysis/denseSet.test.ts"
  "passes|interventions/passes.ts,interventions/onBase.ts,compileInterventions.ts|interventions/passesEdges.test.ts,interventions/onBase.test.ts,interventions/golden.test.ts,interventions/clamps/preserve.test.ts,interventions/clamps/graftOut.test.ts,interventions/spec.test.ts"
  "reference|backends/reference.ts|ops.test.ts,opsGraph.test.ts,rope.test.ts,optim.test.ts"
)
# shared with stryker/apps.sh: runs RUNS under E, with CONFIG, merged into REPORT
source stryker/run-files.sh
