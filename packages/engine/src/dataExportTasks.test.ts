/**
 * `opto data export` → `opto eval --sequences` / `--record` on every task kind (issue 23): the paper's task,
 * k shots in a 3-layer model, bursty contexts in a model with MLP blocks, and repeated tokens with learned
 * positions. Each exported eval set, fed back, must give the losses and accuracies the run logged and its
 * own eval gives, and those of a direct computation written here: the float64 reference backend's forward
 * of the file's rows, turned into tokens by this test (the item table is the whole feature table, x columns
 * index it directly; label and token columns are label tokens), with the loss and accuracy computed from
 * its logits. The recorded site activations are compared with the same reference forward's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { parseRunConfig, type RunConfigInput } from './config.js';
import { exportRunData, type DataExportManifest } from './dataExport.js';
import { encodeNpy, parseNpyArray } from './data/npy.js';
import { syntheticFeatures } from './data/features.js';
import { allocLayoutBatch, labelToken } from './data/types.js';
import { evaluateRun } from './evaluate.js';
import { buildModel } from './model.js';
import { mlpHiddenOf, ParamStore, type ModelConfig } from './params.js';
import { allSites } from './sites.js';
import { loadParamTensors } from './store/paramIO.js';
import { RunDir, type MetricRow } from './store/runDir.js';
import { readSafetensors } from './store/safetensors.js';
import { train } from './train.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-export-tasks-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A small feature table in a file, so the runs' configs name it and every call loads the same data.
const FEATURES = syntheticFeatures({ seed: 0, nClasses: 20, dim: 16 });
const featureFile = path.join(dir, 'features.npy');
fs.writeFileSync(featureFile, encodeNpy([FEATURES.nClasses, FEATURES.nExemplars, FEATURES.dim], FEATURES.data));

const B = 16;
const base = (task: RunConfigInput['task'], model: RunConfigInput['model'] = {}): RunConfigInput => ({
  data: { source: featureFile },
  task,
  model: { dModel: 32, nHeads: 4, ...model },
  optim: { batchSize: B, lr: 1e-3 },
  // An eval every batch makes each logged train loss the loss of one batch (the train.npy check).
  schedule: { seqs: 4 * B, evalEvery: B, ckptEvery: 2 * B, evalSize: 40 },
  backend: 'wasm',
});

const TASKS: [name: string, cfg: RunConfigInput, repeat: boolean][] = [
  ["the paper's task", base({ numLabels: 5, classSplit: [8, 4, 8] }), false],
  ['fewShot with 3 shots, 3 layers', base({ numLabels: 8, classSplit: [8, 4, 8], kind: 'fewShot', shots: 3 }, { nLayers: 3 }), false],
  [
    'bursty (4 pairs), MLP blocks',
    base({ numLabels: 8, classSplit: [8, 4, 8], kind: 'bursty', bursty: { contextPairs: 4, burstiness: 2, trainClasses: 12, commonClasses: 2, holdoutClasses: 4, exemplars: 2 } }, { mlp: { ratio: 2 } }),
    false,
  ],
  ['repeatTokens (6 + 2), learned positions', base({ numLabels: 12, classSplit: [8, 4, 8], kind: 'repeatTokens', repeat: { prefixLength: 6, repeatLength: 2 } }, { positions: 'learned' }), true],
];

const readRows = (file: string) => {
  const a = parseNpyArray(file, fs.readFileSync(file), ['<i4']);
  return { shape: a.shape, rows: a.values as Int32Array };
};

/** The reference backend's forward of [n, T + 1] rows at checkpoint `ckpt`: every site, and the query's loss and accuracy. */
function referenceForward(ckpt: string, rows: Int32Array, n: number, T: number, repeat: boolean) {
  const { tensors, metadata } = readSafetensors(ckpt);
  const cfg = JSON.parse(metadata.model) as ModelConfig;
  const p = new ParamStore(createReferenceBackend(), cfg);
  loadParamTensors(p, tensors, ckpt);
  const batch = allocLayoutBatch(n, T);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < T; t++) {
      const v = rows[b * (T + 1) + t];
      batch.layout.tokens[b * T + t] = !repeat && t % 2 === 0 ? v : labelToken(v);
    }
    batch.target[b] = rows[b * (T + 1) + T];
  }
  const sites = allSites(cfg.nLayers, { mlp: mlpHiddenOf(cfg) > 0 });
  const m = buildModel(p, { batch: n, seqLen: T, nItems: FEATURES.nClasses * FEATURES.nExemplars, training: false, allPositions: true, keep: sites });
  m.setFeatures(FEATURES.data);
  m.setBatch(batch);
  m.program.forward();
  const L = cfg.numLabels;
  const z = new Float64Array(n * L);
  p.be.read(m.queryLogits.buf, z);
  let loss = 0;
  let acc = 0;
  for (let b = 0; b < n; b++) {
    let mx = -Infinity;
    let arg = 0;
    for (let l = 0; l < L; l++) if (z[b * L + l] > mx) [mx, arg] = [z[b * L + l], l];
    let s = 0;
    for (let l = 0; l < L; l++) s += Math.exp(z[b * L + l] - mx);
    loss += mx + Math.log(s) - z[b * L + batch.target[b]];
    acc += arg === batch.target[b] ? 1 : 0;
  }
  return { loss: loss / n, acc: acc / n, sites: Object.fromEntries(sites.map((s) => [s, Float64Array.from(m.program.read(s))])), cfg };
}

for (const [name, cfg, repeat] of TASKS) {
  describe(`${name}: export, then eval --sequences / --record`, () => {
    const run = path.join(dir, name.replace(/\W+/g, '-'));
    const out = `${run}-data`;
    let manifest: DataExportManifest;
    let logged: MetricRow[];
    beforeAll(async () => {
      await train(parseRunConfig(cfg), { out: run });
      manifest = await exportRunData(run, out, { trainBatches: 3 });
      logged = RunDir.open(run).readMetrics();
    }, 60_000);

    it('writes [n, T + 1] int32 rows whose columns the manifest names, one file per eval set of the run', () => {
      const T = manifest.sequences.seq_len;
      expect(manifest.sequences.columns).toHaveLength(T + 1);
      expect(manifest.sequences.columns.at(-1)).toBe('target');
      const finalSets = logged.filter((r) => r.kind === 'eval' && r.seqs === 4 * B).map((r) => r.set);
      expect(manifest.eval_sets.map((s) => s.name)).toEqual(finalSets);
      for (const s of manifest.eval_sets) expect(readRows(path.join(out, s.file)).shape).toEqual([40, T + 1]);
      expect(readRows(path.join(out, 'train.npy')).shape).toEqual([3, B, T + 1]);
    });

    it("each exported eval set gives the run's logged and own eval numbers, and the reference forward's", async () => {
      const T = manifest.sequences.seq_len;
      const own = (await evaluateRun(run)).metrics;
      const ckpt = RunDir.open(run).checkpointFile(4 * B);
      for (const s of manifest.eval_sets) {
        const file = path.join(out, s.file);
        const got = (await evaluateRun(run, { sequences: file })).metrics.sequences;
        const want = logged.find((r) => r.kind === 'eval' && r.seqs === 4 * B && r.set === s.name)!;
        expect(Math.abs(got.loss - Number(want.loss)), s.name).toBeLessThan(1e-6);
        expect(got.acc, s.name).toBe(Number(want.acc));
        for (const k of ['loss', 'acc', 'prob', 'in_context_acc', 'out_context_acc', 'use_context_prob'] as const) expect(Math.abs(got[k] - own[s.name][k]), `${s.name} ${k}`).toBeLessThan(1e-6);
        const { rows } = readRows(file);
        const ref = referenceForward(ckpt, rows, 40, T, repeat);
        expect(Math.abs(got.loss - ref.loss), s.name).toBeLessThan(1e-4);
        expect(got.acc, s.name).toBe(ref.acc);
      }
    });

    it("train.npy replays the run's batches: each one's loss before its step is the logged train loss", async () => {
      const T = manifest.sequences.seq_len;
      const { rows } = readRows(path.join(out, 'train.npy'));
      // Checkpoints at 0 and 2B sequences: before batches 0 and 2.
      for (const k of [0, 2]) {
        const file = path.join(dir, `${path.basename(run)}-batch${k}.npy`);
        fs.writeFileSync(file, encodeNpy([B, T + 1], rows.slice(k * B * (T + 1), (k + 1) * B * (T + 1))));
        const got = (await evaluateRun(run, { checkpoint: k * B, sequences: file })).metrics.sequences.loss;
        const row = logged.find((r) => r.kind === 'train' && r.seqs === (k + 1) * B)!;
        expect(row.steps).toBe(1);
        expect(Math.abs(got - Number(row.loss)), `batch ${k}`).toBeLessThan(1e-5);
      }
    });

    it("--record writes every site of every layer at every position, as the reference forward computes them", async () => {
      const T = manifest.sequences.seq_len;
      const s = manifest.eval_sets[0];
      const file = path.join(dir, `${path.basename(run)}-sites.safetensors`);
      const res = await evaluateRun(run, { sequences: path.join(out, s.file), record: file });
      expect(res.recorded).toBe(file);
      const { tensors, metadata } = readSafetensors(file);
      const ref = referenceForward(RunDir.open(run).checkpointFile(4 * B), readRows(path.join(out, s.file)).rows, 40, T, repeat);
      const H = ref.cfg.nHeads;
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(ref.sites).map((k) => `sequences/${k}`).sort());
      expect(JSON.parse(metadata.task)).toEqual(parseRunConfig(cfg).task);
      for (const [site, want] of Object.entries(ref.sites)) {
        const t = tensors[`sequences/${site}`];
        if (/attn\.(scores|pattern)$/.test(site)) expect(t.shape, site).toEqual([40, H, T, T]);
        else expect(t.shape.slice(0, 2), site).toEqual([40, T]);
        expect(t.data.length, site).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - want[i]) / (1 + Math.abs(want[i])));
        expect(worst, site).toBeLessThan(1e-4);
      }
    });
  });
}
