/** Public API of the analysis library (spec section 5). */
export { checkHeadLayers, defaultHeadLayers, headScores, pickHeads, ptGroup, type HeadLayers, type HeadScores } from './heads.js';
export * from './denseSet.js';
export * from './ablation.js';
export * from './wiring.js';
export * from './progress.js';
export * from './store.js';
export { LIVE_CLAMPS, LIVE_DENSE_SIZE, liveCodeKey, LiveAnalysis, LiveAnalysisWorker, type LiveAnalysisService, type LiveClamp, type LiveHeadPattern, type LiveHeadPoint, type LiveRunInfo } from './live.js';
export { recordSites } from './recordSites.js';
export { ANALYSES, ANALYSIS_NAMES, analysisCommand, runAnalysis, storedAnalysisName, WIRING_UNCLAMPED, summarizeAnalysis, type AnalysisContext, type AnalysisDef, type AnalysisName } from './registry.js';
