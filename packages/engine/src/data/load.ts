/** The feature source a run config's `data` block names (spec 1.1): the synthetic generator or a file. */
import { loadFeatureFile, syntheticFeatures } from './features.js';
import type { FeatureSource } from './types.js';

export interface DataBlock {
  /** 'synthetic' or a path to an .h5/.hdf5/.npy feature file. */
  source: string;
  /** HDF5 dataset path inside the file. */
  datasetPath: string;
  syntheticSeed: number;
}

/** Load the feature source of a config (any object with the run config's `data` block). */
export async function loadFeatures(cfg: { data: DataBlock }): Promise<FeatureSource> {
  if (cfg.data.source === 'synthetic') return syntheticFeatures({ seed: cfg.data.syntheticSeed });
  return loadFeatureFile(cfg.data.source, { datasetPath: cfg.data.datasetPath });
}
