/**
 * `opto data export --out <dir>`: the feature table, the four fixed eval sets and (optionally) the first
 * training batches as .npy files with a JSON manifest, for analysis in another framework (README
 * "Python"). `--run <run>` exports a run's own data; otherwise a config file and the flags name the data and
 * the task as `opto train`'s do.
 */
import type { Command } from 'commander';
import { columnsText, exportData, exportRunData, mergeConfig, parseRunConfig, presetConfig, readJsonObject, type DataExportManifest } from '@optoscope/engine';
import { nonNegativeInt, positiveInt } from '../args.js';
import { addDataOptions, addTaskOptions, type DataFlags } from '../dataFlags.js';
import { flagsToConfig } from './train.js';

interface ExportFlags extends DataFlags {
  out: string;
  run?: string;
  preset?: string;
  classes?: number;
  labels?: number;
  seedEval?: number;
  evalSize?: number;
  trainBatches?: number;
  json?: boolean;
}

export function registerData(program: Command): void {
  const data = program.command('data').description('the data runs train and evaluate on');
  const cmd = data
    .command('export')
    .description(
      'write the feature table and the fixed eval sets (and training batches) as .npy with a manifest.json naming the columns; ' +
        "rows per task: the paper's x1 l1 x2 l2 xq target, k shots and bursty x1 l1 ... xk lk xq target, repeated tokens p1 ... pn r1 ... rm target",
    )
    .argument('[config]', 'JSON run config file, as opto train takes (any task: k shots, bursty, repeated tokens)')
    .requiredOption('--out <dir>', 'directory to create (must not exist or be empty)')
    .option('--run <run>', "export this run's own data and eval sets (its config decides everything)")
    .option('--preset <name>', 'start from a named preset, as opto train does')
    .option('--seed-eval <n>', 'eval-set seed (default 1)', nonNegativeInt)
    .option('--eval-size <n>', 'sequences per eval set (default 1000)', positiveInt)
    .option('--train-batches <n>', 'also replay the first n training batches of the train stream into train.npy', nonNegativeInt)
    .option('--json', 'print the manifest as one JSON line');
  addDataOptions(addTaskOptions(cmd)).action(async (configFile: string | undefined, f: ExportFlags) => {
    let manifest: DataExportManifest;
    if (f.run !== undefined) {
      if (configFile !== undefined) throw new Error(`--run ${f.run} exports the run's own data; drop the config file ${configFile}`);
      const conflicting = (['preset', 'data', 'datasetPath', 'classes', 'labels', 'seedEval', 'evalSize'] as const).filter((k) => f[k] !== undefined);
      if (conflicting.length) throw new Error(`--run ${f.run} exports the run's own data; drop --${kebab(conflicting[0])}`);
      manifest = await exportRunData(f.run, f.out, { trainBatches: f.trainBatches });
    } else {
      let cfg = f.preset ? presetConfig(f.preset) : {};
      if (configFile) cfg = mergeConfig(cfg, readJsonObject(configFile, 'config file'));
      cfg = mergeConfig(cfg, flagsToConfig(f));
      if (f.evalSize !== undefined) cfg = mergeConfig(cfg, { schedule: { evalSize: f.evalSize } });
      manifest = await exportData(parseRunConfig(cfg, 'flags'), f.out, { trainBatches: f.trainBatches });
    }
    if (f.json) {
      process.stdout.write(JSON.stringify(manifest) + '\n');
      return;
    }
    const lines = [`wrote ${f.out}${manifest.run ? ` (run ${manifest.run.id})` : ''}: data ${manifest.data.description}`];
    lines.push(`  ${manifest.features.file.padEnd(26)} float32 [${manifest.features.shape.join(', ')}]`);
    const sq = manifest.sequences;
    lines.push(`  sequences of ${sq.task}: ${sq.seq_len} tokens + target, columns ${columnsText(sq.columns)}`);
    for (const s of manifest.eval_sets) lines.push(`  ${s.file.padEnd(26)} int32 [${s.n}, ${sq.columns.length}]`);
    for (const s of manifest.omitted_eval_sets) lines.push(`  (no ${s.name}: ${s.reason})`);
    if (manifest.train) lines.push(`  ${manifest.train.file.padEnd(26)} int32 [${manifest.train.shape.join(', ')}]  (train seed ${manifest.train.seed})`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
