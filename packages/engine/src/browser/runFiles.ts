/**
 * A run trained in a page as the files of a run directory (README "Run directory"): run.json, metrics.jsonl
 * and the final checkpoint in safetensors, so `opto` and the dashboard can open a downloaded run.
 */
import { checkpointMetadata, paramTensors } from '../store/paramIO.js';
import type { MetricRow, RunRecord, RunSummary, SetMetrics } from '../store/runDir.js';
import type { RUN_SCHEMA } from '../store/runDir.js';
import { encodeSafetensorsWeb } from '../store/safetensorsCodec.js';
import type { PageRun } from './trainInPage.js';

// The value lives in runDir.ts, which needs node:fs; the type ties this copy to it.
const SCHEMA: typeof RUN_SCHEMA = 'optoscope.run/1';

export interface PageRunInfo {
  /** Run id = directory name inside the zip. */
  id: string;
  createdAt: string;
  backend: { requested: string; used: string; reason: string };
  wallS: number;
  /** Engine version shown in run.json's `code` (the page has no git checkout). */
  version?: string;
}

export const checkpointName = (seqs: number): string => `checkpoints/seqs-${String(seqs).padStart(10, '0')}.safetensors`;

export function pageRunRecord(run: PageRun, info: PageRunInfo): RunRecord {
  const evals = run.rows.filter((r) => r.kind === 'eval');
  const xs = [...new Set(evals.map((r) => r.seqs))].sort((a, b) => a - b);
  const pick = (x: number): Record<string, SetMetrics> =>
    Object.fromEntries(evals.filter((r) => r.seqs === x).map((r) => [r.set!, { loss: Number(r.loss), acc: Number(r.acc) }]));
  const summary: RunSummary = {
    run_dir: info.id,
    seqs: run.seqs,
    steps: run.steps,
    ms_per_step: Number(run.msPerStep.toFixed(4)),
    wall_s: Number(info.wallS.toFixed(2)),
    backend: info.backend.used,
    initial: pick(xs[0]),
    final: pick(xs[xs.length - 1]),
    learning_time: run.learningTime,
    learned: run.learned,
  };
  return {
    schema: SCHEMA,
    id: info.id,
    // A run stopped early is "interrupted", as train() marks it; it cannot be resumed (no Adam state saved).
    status: run.stopped ? 'interrupted' : 'finished',
    created_at: info.createdAt,
    updated_at: new Date().toISOString(),
    config: run.config,
    seeds: run.config.seeds,
    backend: info.backend,
    code: { version: info.version ?? '0.1.0', git: null },
    data: { description: run.features.description },
    params: run.params.total,
    progress: { seqs: run.seqs, step: run.steps },
    summary,
  };
}

export const metricsJsonl = (rows: readonly MetricRow[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');

/** Relative path → bytes of the run directory's files. */
export async function pageRunFiles(run: PageRun, info: PageRunInfo): Promise<Record<string, Uint8Array>> {
  const enc = new TextEncoder();
  const ckpt = await encodeSafetensorsWeb(paramTensors(run.params), checkpointMetadata(run.params, { seqs: run.seqs, step: run.steps, run: info.id }));
  return {
    'run.json': enc.encode(JSON.stringify(pageRunRecord(run, info), null, 2) + '\n'),
    'metrics.jsonl': enc.encode(metricsJsonl(run.rows)),
    [checkpointName(run.seqs)]: ckpt,
  };
}
