/**
 * The paper's runs on a feature file of one's own (`opto sweep <preset> --data <file>`, `opto report
 * --data <file>`): the `data` block `opto train --data` writes into a run config, applied to every
 * member of a preset. A file's runs are named under a data-tagged sweep name (`paper-main.<file stem>`),
 * so they live next to the synthetic runs in one runs directory with IDs of their own.
 */
import * as path from 'node:path';
import { ConfigError, type RunConfig } from '../config.js';
import { loadFeatureFile } from '../data/features.js';
import { buildTask } from '../data/task.js';
import type { FeatureSource } from '../data/types.js';

/** A run config's `data` block as `opto train --data <source> [--dataset-path <p>]` gives it. */
export interface DataInput {
  source?: string;
  datasetPath?: string;
}

/** Does `data` name a feature file (anything but the built-in synthetic features)? */
export function isFileData(data: DataInput | undefined): data is DataInput & { source: string } {
  return data?.source !== undefined && data.source !== 'synthetic';
}

/** The tag a file's runs carry in their sweep name: the file's stem, in sweep-name characters. */
export function dataTag(data: DataInput & { source: string }): string {
  const stem = path.basename(data.source).replace(/\.[^.]*$/, '');
  return (stem.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[_-]+/, '') || 'data').slice(0, 40);
}

/** `name`, or `name.<tag>` when the runs read a feature file (the run-ID prefix of those runs). */
export function dataSweepName(name: string, data: DataInput | undefined): string {
  return isFileData(data) ? `${name}.${dataTag(data)}` : name;
}

/** The flags that give `data` on the command line (for the commands the report prints). */
export function dataFlags(data: DataInput | undefined): string {
  if (!isFileData(data)) return '';
  return ` --data ${data.source}${data.datasetPath !== undefined ? ` --dataset-path ${data.datasetPath}` : ''}`;
}

/**
 * Load the feature file `data` names, before any run starts; every problem (a missing or unreadable
 * file, a bad dataset path, a table of the wrong shape) is one line naming the flags and the file.
 */
export async function loadDataFlag(data: DataInput & { source: string }): Promise<FeatureSource> {
  try {
    return await loadFeatureFile(data.source, { datasetPath: data.datasetPath });
  } catch (e) {
    throw new ConfigError(`${dataFlags(data).trim()}: ${(e as Error).message}`);
  }
}

/** Check that every member's task fits the features (enough classes and exemplars); throws one line. */
export function checkTasksFit(configs: { id: string; config: RunConfig }[], features: FeatureSource, data: DataInput): void {
  const seen = new Set<string>();
  for (const { id, config } of configs) {
    const key = JSON.stringify(config.task);
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      buildTask(config.task, features);
    } catch (e) {
      throw new ConfigError(`${dataFlags(data).trim()}: run ${id}: ${(e as Error).message}`);
    }
  }
}
