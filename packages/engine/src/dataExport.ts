/**
 * `opto data export`: the data a run sees, as NumPy files another framework can load with nothing but
 * numpy (README "Python"), for every task the engine trains:
 *
 *   <out>/manifest.json        what every file holds, the run config, the model config, omitted sets
 *   <out>/features.npy         float32 [nClasses, nExemplars, dim], the feature table (spec 1.1)
 *   <out>/eval/<set>.npy       int32 [n, W] per fixed eval set of the task, one sequence per row
 *   <out>/train.npy            int32 [steps, batch, W], the first training batches (with trainBatches)
 *
 * The rows are the task's sequence format (data/tasks/sequenceFormat.ts; the manifest's `sequences` names
 * the columns): the paper's task x1 l1 x2 l2 xq target (W = 6, spec 1.6), k shots and bursty contexts
 * x1 l1 … xk lk xq target (W = 2k + 2), repeated tokens p1 … pn r1 … rm target (W = n + m + 1).
 *
 * The eval sets are exactly the ones the run draws for the config (same seed, size and splits), and
 * the training batches replay the run's train stream, so a peer can recompute any logged number. The
 * directory is written beside its final place and renamed in, so a failed export leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, type RunConfig } from './config.js';
import { buildTask } from './data/task.js';
import { taskData, taskEvalSetOmissions } from './data/tasks/index.js';
import { batchToRows, columnsOf, sequenceFormat } from './data/tasks/sequenceFormat.js';
import { allocBatch, allocLayoutBatch, type FeatureSource } from './data/types.js';
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
  sequences: {
    columns: readonly string[];
    dtype: 'int32';
    /** What the x columns index; null on a task whose tokens carry no features (repeated tokens). */
    x: string | null;
    tokens: string;
    /** The task in words, its kind and tokens per sequence (the row width is seq_len + 1). */
    task: string;
    kind: string;
    seq_len: number;
    /** Column indices: feature-table rows, context labels, token ids, the target; the scored position. */
    x_columns: number[];
    label_columns: number[];
    token_columns: number[];
    target_column: number;
    scored_position: number;
  };
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
  const fmt = sequenceFormat(cfg.task);
  const W = fmt.columns.length;
  const trainBatches = opts.trainBatches ?? 0;
  if (!Number.isInteger(trainBatches) || trainBatches < 0) throw new Error(`--train-batches must be a non-negative integer, got ${trainBatches}`);
  assertNewDir(out);
  // Everything that can fail on bad input happens before the first file is written.
  const features = opts.features ?? (await loadFeatures(cfg));
  const task = buildTask(cfg.task, features);
  // The paper's task gets its own sampler and eval sets here too (taskData), drawn exactly as before.
  const { train: dist, evalSets } = taskData(cfg.task, task, features, cfg.seeds.eval, cfg.schedule.evalSize);

  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(path.resolve(out))}.${process.pid}.export.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'eval'), { recursive: true });
  try {
    const { nClasses, nExemplars, dim } = features;
    writeFileAtomic(path.join(tmp, 'features.npy'), encodeNpy([nClasses, nExemplars, dim], features.data));
    const sets: DataExportManifest['eval_sets'] = [];
    for (const set of evalSets) {
      const file = `eval/${set.name}.npy`;
      writeFileAtomic(path.join(tmp, file), encodeNpy([set.batch.size, W], batchToRows(fmt, set.batch, set.distribution)));
      sets.push({ name: set.name, file, n: set.batch.size });
    }
    let train: DataExportManifest['train'] = null;
    if (trainBatches > 0) {
      const B = cfg.optim.batchSize;
      const rng = new Rng(cfg.seeds.train); // the same stream train() hands makeTrainStep
      const batch = fmt.paper ? allocBatch(B) : allocLayoutBatch(B, fmt.seqLen);
      const rows = new Int32Array(trainBatches * B * W);
      for (let s = 0; s < trainBatches; s++) {
        dist.sample(rng, batch);
        batchToRows(fmt, batch, dist, rows, s * B);
      }
      writeFileAtomic(path.join(tmp, 'train.npy'), encodeNpy([trainBatches, B, W], rows));
      train = { file: 'train.npy', shape: [trainBatches, B, W], first_step: 0, seed: cfg.seeds.train };
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
        columns: fmt.columns,
        dtype: 'int32',
        x: fmt.x,
        tokens: fmt.tokens,
        task: fmt.task,
        kind: fmt.kind,
        seq_len: fmt.seqLen,
        x_columns: columnsOf(fmt, 'x'),
        label_columns: columnsOf(fmt, 'label'),
        token_columns: columnsOf(fmt, 'token'),
        target_column: fmt.seqLen,
        scored_position: fmt.seqLen - 1,
      },
      eval_sets: sets,
      omitted_eval_sets: taskEvalSetOmissions(cfg.task, task),
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
