export * from './peers/index.js';
export { benchEngine, type EngineBenchResult } from './bench/engineStep.js';
export { formatStepBench, runStepBench, type StepBenchOptions, type StepBenchResult } from './bench/stepBench.js';
export { formatClampBench, runClampBench, type ClampBenchRow } from './bench/clampBench.js';
