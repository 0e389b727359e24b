/**
 * A page's run as run-directory files (browser/runFiles.ts), on a hand-made run: run.json's summary taken
 * from the first and last eval points, the status of a stopped run, metrics.jsonl line by line, and the
 * checkpoint read back by the Node store's own reader (RunDir, decodeSafetensors).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { parseRunConfig } from '../config.js';
import { runModelConfig } from '../modelConfig.js';
import { ParamStore } from '../params.js';
import { RUN_SCHEMA, RunDir, type MetricRow } from '../store/runDir.js';
import { decodeSafetensors } from '../store/safetensors.js';
import { checkpointName, metricsJsonl, pageRunFiles, pageRunRecord, type PageRunInfo } from './runFiles.js';
import type { PageRun } from './trainInPage.js';

const rows: MetricRow[] = [
  // a train-window row at the last eval point, as train() writes one: not an eval set of the summary
  { kind: 'train', seqs: 640, step: 10, loss: 2.5, acc: 0.5 },
  // eval rows out of order on purpose: the summary must take the smallest and largest seqs
  { kind: 'eval', seqs: 640, step: 10, set: 'fsl_train', loss: 0.25, acc: 0.875 },
  { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2.75, acc: 0.125 },
  { kind: 'eval', seqs: 0, step: 0, set: 'iwl', loss: '2.5' as unknown as number, acc: 0.25 },
  { kind: 'eval', seqs: 320, step: 5, set: 'fsl_train', loss: 1, acc: 0.5 },
  { kind: 'eval', seqs: 640, step: 10, set: 'iwl', loss: 1.5, acc: 0.375 },
];

function makeRun(stopped: boolean): PageRun {
  const config = parseRunConfig({ name: 'page', model: { dModel: 16, nHeads: 2 }, task: { numLabels: 4 }, schedule: { seqs: 640, evalEvery: 320, ckptEvery: null, evalSize: 8 } });
  const be = createReferenceBackend();
  const params = new ParamStore(be, runModelConfig(config, 6));
  be.write(params.values, Float32Array.from({ length: params.total }, (_, i) => Math.fround(Math.sin(i) / 3)));
  return {
    config,
    features: { nClasses: 3, nExemplars: 2, dim: 6, data: new Float32Array(36), description: 'hand-made(6)' },
    params,
    rows,
    heads: [],
    seqs: 640,
    steps: 10,
    stopped,
    msPerStep: 1.234567,
    learningTime: 512,
    learned: true,
  };
}
const info: PageRunInfo = { id: 'page-run-1', createdAt: '2026-01-02T03:04:05.000Z', backend: { requested: 'auto', used: 'wasm', reason: 'r' }, wallS: 12.3456 };

describe('pageRunRecord', () => {
  it('a finished run: the summary from the first and last eval points, rounded times, the run’s counts', () => {
    const run = makeRun(false);
    const t0 = Date.now();
    const r = pageRunRecord(run, info);
    expect(r.schema).toBe(RUN_SCHEMA);
    expect(r.status).toBe('finished');
    expect(r.id).toBe('page-run-1');
    expect(r.created_at).toBe('2026-01-02T03:04:05.000Z');
    expect(Date.parse(r.updated_at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(r.config).toBe(run.config);
    expect(r.seeds).toEqual(run.config.seeds);
    expect(r.backend).toEqual(info.backend);
    expect(r.code).toEqual({ version: '0.1.0', git: null });
    expect(r.data).toEqual({ description: 'hand-made(6)' });
    expect(r.params).toBe(run.params.total);
    expect(r.progress).toEqual({ seqs: 640, step: 10 });
    expect(r.summary).toEqual({
      run_dir: 'page-run-1',
      seqs: 640,
      steps: 10,
      ms_per_step: 1.2346,
      wall_s: 12.35,
      backend: 'wasm',
      initial: { fsl_train: { loss: 2.75, acc: 0.125 }, iwl: { loss: 2.5, acc: 0.25 } },
      final: { fsl_train: { loss: 0.25, acc: 0.875 }, iwl: { loss: 1.5, acc: 0.375 } },
      learning_time: 512,
      learned: true,
    });
  });

  it('a stopped run is interrupted; a version given is recorded', () => {
    const r = pageRunRecord(makeRun(true), { ...info, version: '9.9.9' });
    expect(r.status).toBe('interrupted');
    expect(r.code).toEqual({ version: '9.9.9', git: null });
  });
});

describe('metricsJsonl and checkpointName', () => {
  it('one JSON object per line, each line ended', () => {
    expect(metricsJsonl([])).toBe('');
    const text = metricsJsonl(rows);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').slice(0, -1).map((l) => JSON.parse(l))).toEqual(rows);
  });

  it('checkpoints/seqs-<ten digits>.safetensors, as train() names them', () => {
    expect(checkpointName(640)).toBe('checkpoints/seqs-0000000640.safetensors');
    expect(checkpointName(1_000_000)).toBe('checkpoints/seqs-0001000000.safetensors');
  });
});

describe('pageRunFiles', () => {
  it('written out, the files open as a run directory, and the checkpoint holds the parameters', async () => {
    const run = makeRun(false);
    const files = await pageRunFiles(run, info);
    expect(Object.keys(files).sort()).toEqual(['checkpoints/seqs-0000000640.safetensors', 'metrics.jsonl', 'run.json']);
    const runJson = new TextDecoder().decode(files['run.json']);
    expect(runJson.endsWith('}\n')).toBe(true);
    expect(runJson).toContain('\n  "schema": "optoscope.run/1"');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-pagerun-'));
    try {
      const root = path.join(dir, info.id);
      for (const [rel, bytes] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), bytes);
      }
      const rd = RunDir.open(root);
      const rec = rd.readRecord();
      expect(rec.summary!.final).toEqual({ fsl_train: { loss: 0.25, acc: 0.875 }, iwl: { loss: 1.5, acc: 0.375 } });
      expect(rd.readMetrics()).toEqual(rows);
      const st = decodeSafetensors(files['checkpoints/seqs-0000000640.safetensors']);
      expect(st.metadata).toMatchObject({ seqs: '640', step: '10', run: 'page-run-1', format: 'optoscope-params/1' });
      expect(JSON.parse(st.metadata.model)).toEqual(run.params.config);
      const all = Float32Array.from({ length: run.params.total }, (_, i) => Math.fround(Math.sin(i) / 3));
      let off = 0;
      for (const spec of run.params.specs) {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        const t = st.tensors[spec.name];
        expect(t.shape, spec.name).toEqual(spec.shape);
        expect(Array.from(t.data)).toEqual(Array.from(all.subarray(off, off + size)));
        off += size;
      }
      expect(Object.keys(st.tensors)).toHaveLength(run.params.specs.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
