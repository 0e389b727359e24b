/**
 * `@optoscope/engine/report`: the reproduction report (paper spec section 11) over a runs directory. A
 * separate entry point: it pulls in every analysis and the figure renderer, which `opto train` needs not.
 */
export { CLAIMS, judgeClaims, summarize } from './claims.js';
export { APPROX, LEARNED, LN2, PLATEAU_SLOPE, curveOf, learnTime, plateau, spearman, type Plateau, type Point } from './curves.js';
export { TOY_SEEDS, gatherEvidence, type ClampProgressEvidence, type Evidence, type GatherOptions, type MainAnalyses, type RunEvidence, type ToyEvidence } from './evidence.js';
export { catalogConfigs, findPaperRuns, presetForRole, runFingerprint, type FoundRun } from './find.js';
export { reportFigures, type ReportFigure } from './figures.js';
export { readReport, reportFile } from './read.js';
export { REPORT_VERSION, type ClaimResult, type ClaimStatus, type FigureEntry, type Report } from './types.js';
export { reportMarkdown, resolvedRoles, writeReport, writeReportFrom, type WriteReportResult } from './write.js';
