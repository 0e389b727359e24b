/** Public API of the analysis library (spec section 5). */
export { headScores, pickHeads, ptGroup, type HeadScores } from './heads.js';
export * from './denseSet.js';
export * from './ablation.js';
export * from './wiring.js';
export * from './progress.js';
export * from './store.js';
export { LIVE_DENSE_SIZE, LiveAnalysis, LiveAnalysisWorker, type LiveAnalysisService, type LiveHeadPattern, type LiveHeadPoint, type LiveRunInfo } from './live.js';
export { ANALYSES, ANALYSIS_NAMES, runAnalysis, summarizeAnalysis, type AnalysisContext, type AnalysisDef, type AnalysisName } from './registry.js';
