/**
 * `opto data export`: the data a run sees, as NumPy files another framework can load with nothing but
 * numpy (README "Python"):
 *
 *   <out>/manifest.json        what every file holds, the run config, the model config, omitted sets
 *   <out>/features.npy         float32 [nClasses, nExemplars, dim], the feature table (spec 1.1)
 *   <out>/eval/<set>.npy       int32 [n, 6] per fixed eval set (spec 1.6), columns x1 l1 x2 l2 xq target
 *   <out>/train.npy            int32 [steps, batch, 6], the first training batches (with trainBatches)
 *
 * The eval sets are exactly the ones `makeEvalSets` draws for the config (same seed, size and splits), and
 * the training batches replay the run's train stream, so a peer can recompute any logged number. The
 * directory is written beside its final place and renamed in, so a failed export leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseRunConfig, type RunConfig } from './config.js';
import { evalSetOmissions, makeEvalSets } from './data/evalSets.js';
import { trainDistribution } from './data/sampler.js';
import { batchToSequences, SEQUENCE_COLUMNS } from './data/sequenceArray.js';
import { buildTask } from './data/task.js';
import { isPaperTask, taskKind } from './data/tasks/schema.js';
import { allocBatch, type FeatureSource } from './data/types.js';
import type { ModelConfig } from './params.js';
import { Rng } from './rng.js';
import { writeFileAtomic, writeJsonAtomic } from './store/atomic.js';
import { encodeNpy } from './data/npy.js';
import { RunDir } from './store/runDir.js';
import { loadFeatures } from './data/load.js';
import { modelConfigFor } from './trainSetup.js';

export const DATA_EXPORT_FORMAT = 'optoscope-data/1';

export interface DataExportManifest {
  format: typeof DATA_EXPORT_FORMAT;
  created_at: string;
  /** The run the data belongs to (with `--run`), else null. */
  run: { id: string; dir: string } | null;
  data: { description: string };
  config: RunConfig;
  model: ModelConfig;
  features: { file: string; dtype: 'float32'; shape: [number, number, number]; rows: string };
  sequences: { columns: readonly string[]; dtype: 'int32'; x: string; tokens: string };
  eval_sets: { name: string; file: string; n: number }[];
  omitted_eval_sets: { name: string; reason: string }[];
  train: { file: string; shape: [number, number, number]; first_step: number; seed: number } | null;
}

export interface DataExportOptions {
  /** Replay the first `trainBatches` training batches of the run's train stream into train.npy. */
  trainBatches?: number;
  /** Features already loaded for `config.data` (tests, callers that hold them). */
  features?: FeatureSource;
  /** The run the config came from, named in the manifest. */
  run?: { id: string; dir: string };
}

/** Export the data `config` trains and evaluates on into the new directory `out`. */
export async function exportData(config: RunConfig, out: string, opts: DataExportOptions = {}): Promise<DataExportManifest> {
  const cfg = parseRunConfig(config);
  // The export format (sequenceArray.ts) is the paper's 5-token layout.
  if (!isPaperTask(cfg.task)) throw new ConfigError(`data export: only the paper's 5-token task can be exported; this config trains task.kind '${taskKind(cfg.task)}'${cfg.task.shots ? ` with ${cfg.task.shots} shots` : ''}`);
  const trainBatches = opts.trainBatches ?? 0;
  if (!Number.isInteger(trainBatches) || trainBatches < 0) throw new Error(`--train-batches must be a non-negative integer, got ${trainBatches}`);
  assertNewDir(out);
  // Everything that can fail on bad input happens before the first file is written.
  const features = opts.features ?? (await loadFeatures(cfg));
  const task = buildTask(cfg.task, features);
  const evalSets = makeEvalSets(task, features, cfg.seeds.eval, cfg.schedule.evalSize);

  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(path.resolve(out))}.${process.pid}.export.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'eval'), { recursive: true });
  try {
    const { nClasses, nExemplars, dim } = features;
    writeFileAtomic(path.join(tmp, 'features.npy'), encodeNpy([nClasses, nExemplars, dim], features.data));
    const sets: DataExportManifest['eval_sets'] = [];
    for (const set of evalSets) {
      const file = `eval/${set.name}.npy`;
      writeFileAtomic(path.join(tmp, file), encodeNpy([set.batch.size, SEQUENCE_COLUMNS.length], batchToSequences(set.batch, set.distribution)));
      sets.push({ name: set.name, file, n: set.batch.size });
    }
    let train: DataExportManifest['train'] = null;
    if (trainBatches > 0) {
      const B = cfg.optim.batchSize;
      const dist = trainDistribution(task, features);
      const rng = new Rng(cfg.seeds.train); // the same stream train() hands makeTrainStep
      const batch = allocBatch(B);
      const rows = new Int32Array(trainBatches * B * SEQUENCE_COLUMNS.length);
      for (let s = 0; s < trainBatches; s++) {
        dist.sample(rng, batch);
        batchToSequences(batch, dist, rows, s * B);
      }
      writeFileAtomic(path.join(tmp, 'train.npy'), encodeNpy([trainBatches, B, SEQUENCE_COLUMNS.length], rows));
      train = { file: 'train.npy', shape: [trainBatches, B, SEQUENCE_COLUMNS.length], first_step: 0, seed: cfg.seeds.train };
    }
    const manifest: DataExportManifest = {
      format: DATA_EXPORT_FORMAT,
      created_at: new Date().toISOString(),
      run: opts.run ?? null,
      data: { description: features.description },
      config: cfg,
      model: modelConfigFor(cfg, features),
      features: { file: 'features.npy', dtype: 'float32', shape: [nClasses, nExemplars, dim], rows: 'features.reshape(-1, dim)[class * nExemplars + exemplar]' },
      sequences: {
        columns: SEQUENCE_COLUMNS,
        dtype: 'int32',
        x: 'x1, x2, xq index rows of features.reshape(-1, dim)',
        tokens: 'model input [x1, l1, x2, l2, xq]; the loss is cross-entropy of the logits at xq against target',
      },
      eval_sets: sets,
      omitted_eval_sets: evalSetOmissions(task),
      train,
    };
    writeJsonAtomic(path.join(tmp, 'manifest.json'), manifest);
    if (fs.existsSync(out)) fs.rmdirSync(out); // assertNewDir allowed only an empty directory
    fs.renameSync(tmp, out);
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** `opto data export --run <run>`: the run's own data, eval sets and (optionally) training batches. */
export async function exportRunData(runDir: string, out: string, opts: Omit<DataExportOptions, 'run'> = {}): Promise<DataExportManifest> {
  const run = RunDir.open(runDir);
  const config = parseRunConfig(run.readRecord().config, `${run.recordFile} config`);
  return exportData(config, out, { ...opts, run: { id: run.id, dir: path.resolve(runDir) } });
}

function assertNewDir(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new Error(`--out ${out} exists and is not a directory`);
  if (fs.readdirSync(out).length > 0) throw new Error(`--out ${out} exists and is not empty (nothing was changed)`);
}
