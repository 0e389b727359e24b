/** @optoscope/engine: the library every Optoscope app uses. */
export type { Backend, BackendName, Buf, Kernels } from './backend.js';
export { selectBackend, selectBackendAsync, BACKEND_CHOICES, createReferenceBackend, createWasmBackend, createWebGpuBackend, type BackendChoice, type SelectedBackend } from './backends/index.js';
export { openWebGpuDevice, type BatchedRunsBackend, type WebGpuDevice } from './backends/webgpu.js';
export { acquireWebGpuAdapter, describeAdapter, HOW_TO_GET_A_WEBGPU_ADAPTER, type WebGpuAdapterProbe } from './backends/webgpuAdapter.js';
export { ConfigError, RunConfigSchema, mergeConfig, parseRunConfig, type RunConfig, type RunConfigInput } from './config.js';
export { DEFAULT_PRESET_HEADS, PRESETS, onlyHead, presetConfig, type Preset, type PresetHeads } from './presets.js';
export { TASK_PRESETS, type TaskPreset } from './taskPresets.js';
export { checkBurstyIcl, checkInductionPhaseChange, evalCurve, BURSTY_BANDS, PHASE_BANDS, type InductionHeads, type TaskVerdict } from './analysis/taskChecks.js';
export { answerAttentionFromPatterns, finalRepeatHeadScores, inductionScorer, repeatHeadScorer, scoresFromPattern, type RepeatHeadScores } from './analysis/induction.js';
export { checkHeadLayers, defaultHeadLayers, headScores, pickHeads, ptGroup, type HeadLayers, type HeadScores } from './analysis/heads.js';
export { evaluateLoaded, evaluateRun, headsFromRun, loadRun, readSequencesFile, type EvaluateOptions, type LoadedRun, type RunEvaluation } from './evaluate.js';
export { DATA_EXPORT_FORMAT, exportData, exportRunData, type DataExportManifest, type DataExportOptions } from './dataExport.js';
export { encodeNpy, parseNpyArray, type NpyArray, type NpyDtype } from './data/npy.js';
export * from './data/index.js';
export { Graph, Program, type SiteHook, type Value } from './graph.js';
export { LEARNED_LOSS, LN2, METRIC_NAMES, evalMetrics, learningTime, type Metrics } from './metrics.js';
export { QUERY_POS, SEQ_LEN, buildModel, tracePass, type BuildOptions, type ModelInputs, type ModelProgram, type PassContext, type PassPlan, type PassResult } from './model.js';
export * as ops from './ops.js';
export { Adam, DEFAULT_ADAM, type AdamConfig } from './optim.js';
export { DEFAULT_MODEL, ParamStore, paramSpecs, type ModelConfig, type ParamSpec } from './params.js';
export { Rng } from './rng.js';
export { BLOCK_SITES, allSites, isSiteName, type SiteName } from './sites.js';
export { RUN_SCHEMA, RunDir, runChecksums, type MetricRow, type RunRecord, type RunStatus, type RunSummary, type RunWriteListener } from './store/runDir.js';
export { HEARTBEAT_EVERY_MS, HEARTBEAT_FILE, STALE_AFTER_MS, describeStaleness, readHeartbeat, resumeCommand, runStaleness, writerIdentity, type Heartbeat, type Staleness } from './store/liveness.js';
export { LocalRunStore, prepareRunsDir, type RunMirrorHandle, type RunStore, type RunStoreSpec } from './store/runStore.js';
export { openRunStoreAt } from './store/runStores.js';
export { isS3Url, parseS3Url, type S3Location } from './store/s3/bucket.js';
export { formatTags, noteRun, parseTagArg, parseTagFilter, readRunTags, tagRun, TAGS_FILE, TAGS_SCHEMA, type RunTags } from './store/tags.js';
export { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type NamedTensor } from './store/safetensors.js';
export { makeTrainStep, type TrainStep } from './trainStep.js';
export { InterruptedError, resumeTraining, train, type TrainEvent, type TrainOptions } from './train.js';
export { evaluator, modelConfigFor } from './trainSetup.js';
export { loadFeatures, type DataBlock } from './data/load.js';
export { checkpointMetadata, loadParamTensors, paramTensors } from './store/paramIO.js';
export { compileInterventions } from './compileInterventions.js';
export { CLAMPS, type AnyClamp, type ClampKey } from './interventions/clamps/index.js';
export type { Clamp, ClampFlag, FlagArg, FormField, FormNumber } from './interventions/clamps/clamp.js';
export {
  INTERVENTION_VERSION,
  InterventionError,
  InterventionSpecSchema,
  ablateAllBut,
  headKey,
  headLabel,
  isEmptySpec,
  keepOnlyHead,
  parseHead,
  parseHeadRef,
  parseInterventionSpec,
  validateSpec,
  type Head,
  type InterventionSpec,
  type InterventionSpecInput,
} from './interventions/spec.js';
// Sweeps (the Redis queue is `@optoscope/engine/queue`, the DuckDB run store `@optoscope/engine/query`:
// separate entry points, so `opto train` loads neither).
export { SWEEP_PRESETS, paperCatalog, paperSweep, sweepPresetOnData, sweepPresetUsesHeads, type SweepPreset } from './sweep/presets.js';
export { checkTasksFit, dataFlags, dataSweepName, dataTag, isFileData, loadDataFlag, type DataInput } from './sweep/data.js';
export { FIG15_STRENGTHS, FIG5B_CONDITIONS, FIG6_CELLS, FIG6_CLAMPS, FIG8_VARIANTS, PAPER_SWEEPS, SET_SWEEP_NAME, setSweepName, type PaperRun, type PaperSet } from './sweep/paperRuns.js';
export { SweepSpecSchema, canonicalJson, configHash, memberFor, memberIdFor, describeVary, expandSweep, parseSweepSpec, type ExpandedSweep, type SweepMember, type SweepSpec, type SweepSpecInput } from './sweep/spec.js';
export { loadSweepSpec } from './sweep/load.js';
export { PAPER_SEEDS, paperSeedsMains, paperSeedsRest, seedRole, seedSet } from './sweep/paperSeeds.js';
export { memberDir, memberState, planSweep, runMember, type MemberResult, type MemberState, type SweepPlan } from './sweep/member.js';
export { TrainPool, defaultWorkers, type PoolEvent } from './sweep/pool.js';
export { preflightSweep, runLocalSweep, type LocalSweepOptions, type SweepEvent, type SweepOutcome } from './sweep/local.js';
export { MAX_MEASURED_REPLICAS, READ_EVERY_STEPS, groupByProgram, programKey, runBatchedSweep, type BatchedSweepOptions, type BatchingEvent } from './sweep/batched.js';
export { DeferredStepStats, type StepValues } from './stepStats.js';
export * from './analysis/index.js';
export * from './toy/toyModel.js';
export * from './figures/index.js';
export { appendLines, makeDirs, writeFileAtomic, writeJsonAtomic } from './store/atomic.js';
export { jsonKind, parseJsonObject, readJsonObject } from './store/jsonFile.js';
export { verifyJsonChecksum, withJsonChecksum } from './store/jsonChecksum.js';
export { checkRunSizes, estimateRunSizes, SIZE_LIMITS, type RunSizeEstimate } from './sizes.js';
export * from './sweep/grouping.js';
