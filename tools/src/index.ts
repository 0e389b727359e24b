export * from './peers/index.js';
export { benchEngine, type EngineBenchResult } from './bench/engineStep.js';
export { formatStepBench, runStepBench, type StepBenchOptions, type StepBenchResult } from './bench/stepBench.js';
export { formatClampBench, runClampBench, type ClampBenchRow } from './bench/clampBench.js';
export { formatSweepBench, runSweepBench, type SweepBenchOptions, type SweepBenchResult } from './bench/sweepBench.js';
export { batchedRuns, formatBatchedRunsBench, runBatchedRunsBench, type BatchedRuns, type BatchedRunsBenchResult, type BatchedRunsOptions } from './bench/batchedRuns.js';
export { formatWebGpuBench, runWebGpuBench, type WebGpuBenchResult } from './bench/webgpuBench.js';
export { benchAnalysis, formatAnalysisBench, type AnalysisBenchResult } from './bench/analysisBench.js';
export { DASHBOARD_BUDGET_MS, formatDashboardBench, runDashboardBench, writeDashboardFixture, type DashboardBenchOptions, type DashboardBenchResult, type DashboardStarter } from './bench/dashboardBench.js';
