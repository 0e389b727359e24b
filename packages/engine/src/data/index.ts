/** Public API of the data layer (spec sections 1.1-1.6). */
export * from './types.js';
export {
  syntheticFeatures,
  SYNTHETIC_DEFAULTS,
  loadFeatureFile,
  parseNpy,
  DEFAULT_H5_DATASET,
  type SyntheticFeatureOptions,
} from './features.js';
export { defaultTaskConfig, buildTask, allLabelPairs, labelPairCounts, classSplitFor, OMNIGLOT_CLASSES, TEST_CLASSES } from './task.js';
export { trainDistribution, makeDistribution, type SequenceDistribution } from './sampler.js';
export { makeEvalSets, evalDistribution, evalSetOmissions, evalSetOmissionReason } from './evalSets.js';
export { enumerateTrainingSet, finiteSetSize } from './finiteSet.js';
export * from './tasks/index.js';
export { SEQUENCE_COLUMNS, batchToSequences, sequencesToEvalSet } from './sequenceArray.js';
