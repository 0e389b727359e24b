/**
 * `--data <source> [--dataset-path <p>]` (train, sweep, report): the run config's `data` block, built in
 * one place so that `opto sweep --data` and `opto report --data` name exactly the data `opto train --data`
 * trains on.
 */
import type { Command } from 'commander';
import { positiveInt } from './args.js';
import type { DataInput } from '@optoscope/engine';

export interface DataFlags {
  data?: string;
  datasetPath?: string;
}

export function addDataOptions(cmd: Command, what = ''): Command {
  return cmd
    .option('--data <source>', `'synthetic' or a feature file (.h5/.hdf5/.npy)${what}`)
    .option('--dataset-path <path>', 'HDF5 dataset path inside the file (default resnet18/224/feat)');
}

/** The `data` block the flags give (only the fields given), or undefined without either flag. */
export function dataBlock(f: DataFlags): DataInput | undefined {
  if (f.data === undefined && f.datasetPath === undefined) return undefined;
  return { ...(f.data !== undefined && { source: f.data }), ...(f.datasetPath !== undefined && { datasetPath: f.datasetPath }) };
}

/** `dataBlock` for sweep and report, where `--dataset-path` alone names no file. */
export function dataFileBlock(f: DataFlags): DataInput | undefined {
  const d = dataBlock(f);
  if (d && d.source === undefined) throw new Error(`--dataset-path ${d.datasetPath}: give the feature file with --data <file>`);
  return d;
}

/** `--classes` and `--labels` (train, data export): the task's size, turned into config by train's flagsToConfig. */
export function addTaskOptions(cmd: Command): Command {
  return cmd
    .option('--classes <n>', 'training classes (spec 1.2: 50; Fig. 6: 100, 200)', positiveInt)
    .option('--labels <n>', 'output labels L (spec 1.3: 5; Fig. 6: 10, 15)', positiveInt);
}
