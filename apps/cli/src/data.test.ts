/**
 * `opto data export` and `opto eval --sequences / --record`, driven through the built CLI. Checks go against
 * what the run itself logged (its metrics.jsonl) and against the task's split rules, never against the
 * exporter's own output read back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, evalMetrics, parseNpyArray, readSafetensors, syntheticFeatures, type MetricRow } from '@optoscope/engine';
import { optoSync, removeTemps, tmp } from './testing/procs.js';

afterAll(removeTemps);

const npy = (file: string) => parseNpyArray(file, fs.readFileSync(file), ['<i4', '<f4']);
const metricRows = (run: string): MetricRow[] =>
  fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricRow);

describe('opto data export (no run): the eval sets follow the task splits (spec 1.6)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
    const r = optoSync(['data', 'export', '--out', 'd', '--classes', '60', '--eval-size', '300', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
  });

  it('writes the feature table of the data it names, float32 [classes, exemplars, dim]', () => {
    const f = npy(path.join(dir, 'd', 'features.npy'));
    const ref = syntheticFeatures({ seed: 0 });
    expect(f.shape).toEqual([ref.nClasses, ref.nExemplars, ref.dim]);
    expect(f.dtype).toBe('<f4');
    expect(Array.from(f.values.slice(0, 2000) as Float32Array)).toEqual(Array.from(ref.data.subarray(0, 2000)));
  });

  it('four [n, 6] sets whose classes, exemplars and labels obey their split', () => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'd', 'manifest.json'), 'utf8'));
    expect(m.format).toBe('optoscope-data/1');
    expect(m.sequences.columns).toEqual(['x1', 'l1', 'x2', 'l2', 'xq', 'target']);
    expect(m.eval_sets.map((s: { name: string }) => s.name)).toEqual(['fsl_train', 'fsl_val_rl', 'fsl_train_valex', 'fsl_test_class']);
    const nEx = m.features.shape[1];
    for (const s of m.eval_sets as { name: string; file: string }[]) {
      const a = npy(path.join(dir, 'd', s.file));
      expect(a.shape).toEqual([300, 6]);
      const v = a.values as Int32Array;
      for (let i = 0; i < 300; i++) {
        const [x1, l1, x2, l2, xq, t] = v.subarray(6 * i, 6 * i + 6);
        const cls = [x1, x2, xq].map((x) => Math.floor(x / nEx));
        const ex = [x1, x2, xq].map((x) => x % nEx);
        expect(l1).not.toBe(l2);
        expect([l1, l2]).toContain(t);
        expect(cls[0]).not.toBe(cls[1]);
        // the query's class sits in the slot that carries the target label
        expect(cls[2]).toBe(t === l1 ? cls[0] : cls[1]);
        if (s.name === 'fsl_test_class') expect(cls.every((c) => c >= 1523)).toBe(true);
        else expect(cls.every((c) => c < 60)).toBe(true);
        if (s.name === 'fsl_train_valex') expect(ex.every((e) => e >= 1)).toBe(true);
        else expect(ex.every((e) => e === 0)).toBe(true);
      }
    }
  });
});

describe('opto data export --run and opto eval --sequences / --record on a trained run', () => {
  let dir: string;
  let run: string;
  beforeAll(() => {
    dir = tmp();
    run = path.join(dir, 'r');
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ schedule: { seqs: 256, evalEvery: 32, ckptEvery: 128, evalSize: 100 } }));
    const t = optoSync(['train', 'c.json', '--out', 'r', '--json', '--no-progress'], dir);
    expect(t.code, t.stderr).toBe(0);
    const e = optoSync(['data', 'export', '--run', 'r', '--out', 'd', '--train-batches', '8'], dir);
    expect(e.code, e.stderr).toBe(0);
  });

  it("checkpoints carry the model config, so a loader needs nothing else", () => {
    const { metadata } = readSafetensors(path.join(run, 'checkpoints', 'seqs-0000000256.safetensors'));
    expect(JSON.parse(metadata.model)).toEqual({ dModel: 64, nHeads: 8, nLayers: 2, featureDim: 512, numLabels: 5, ropeBase: 10000, lnEps: 1e-5 });
  });

  it("the exported eval sets are the run's: evaluating them reproduces its logged final losses", () => {
    const final = metricRows(run).filter((r) => r.kind === 'eval' && r.seqs === 256);
    expect(final).toHaveLength(4);
    for (const row of final) {
      const r = optoSync(['eval', 'r', '--sequences', path.join('d', 'eval', `${row.set}.npy`), '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
      // Same parameters, same sequences; only the item table's row order differs (float32 matmul tiling).
      expect(Math.abs(got.metrics.sequences.loss - Number(row.loss)), row.set).toBeLessThan(1e-6);
    }
  });

  it("the replayed training batches are the run's: each batch's loss at the step's parameters is the logged train loss", () => {
    const train = npy(path.join(dir, 'd', 'train.npy'));
    expect(train.shape).toEqual([8, 32, 6]);
    // With an eval every 32 sequences, the train row at seqs 32(k+1) is the loss of batch k alone, before
    // step k's update; checkpoints exist at 0 and 128, i.e. before batches 0 and 4.
    const rows = metricRows(run).filter((r) => r.kind === 'train');
    for (const k of [0, 4]) {
      const file = path.join(dir, `batch${k}.npy`);
      fs.writeFileSync(file, encodeNpy([32, 6], (train.values as Int32Array).slice(k * 192, (k + 1) * 192)));
      const r = optoSync(['eval', 'r', '--checkpoint', String(32 * k), '--sequences', file, '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').pop()!).metrics.sequences.loss;
      const logged = rows.find((x) => x.seqs === 32 * (k + 1))!;
      expect(logged.steps).toBe(1);
      expect(Math.abs(got - Number(logged.loss))).toBeLessThan(1e-6);
    }
  });

  it('--record writes every site at every position; its query logits give the logged losses', () => {
    const r = optoSync(['eval', 'r', '--record', 'sites.safetensors', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const { tensors, metadata } = readSafetensors(path.join(dir, 'sites.safetensors'));
    expect(metadata.checkpoint).toBe('256');
    expect(Object.keys(tensors)).toHaveLength(4 * 25);
    expect(tensors['fsl_train/blocks.1.attn.pattern'].shape).toEqual([100, 8, 5, 5]);
    expect(tensors['fsl_train/embed'].shape).toEqual([100, 5, 64]);
    const seqs = npy(path.join(dir, 'd', 'eval', 'fsl_train.npy')).values as Int32Array;
    const logits = tensors['fsl_train/logits'];
    expect(logits.shape).toEqual([100, 5, 5]);
    const query = new Float64Array(100 * 5);
    for (let b = 0; b < 100; b++) for (let l = 0; l < 5; l++) query[b * 5 + l] = logits.data[(b * 5 + 4) * 5 + l];
    const batch = {
      size: 100,
      contextLabel: Int32Array.from({ length: 200 }, (_, i) => seqs[6 * (i >> 1) + (i & 1 ? 3 : 1)]),
      target: Int32Array.from({ length: 100 }, (_, b) => seqs[6 * b + 5]),
    };
    const logged = metricRows(run).find((x) => x.kind === 'eval' && x.seqs === 256 && x.set === 'fsl_train')!;
    expect(Math.abs(evalMetrics(query, batch as never, 5).loss - Number(logged.loss))).toBeLessThan(1e-5);
  });
});

describe('bad input: one line naming the culprit, a non-zero exit, nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ schedule: { seqs: 64, evalEvery: 64, evalSize: 20 } }));
    expect(optoSync(['train', 'c.json', '--out', 'r', '--json', '--no-progress'], dir).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'wide.npy'), encodeNpy([2, 5], new Int32Array(10)));
    fs.writeFileSync(path.join(dir, 'float.npy'), encodeNpy([2, 6], new Float32Array(12)));
    fs.writeFileSync(path.join(dir, 'range.npy'), encodeNpy([2, 6], Int32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 99999999, 0, 0, 1])));
    fs.writeFileSync(path.join(dir, 'label.npy'), encodeNpy([1, 6], Int32Array.from([0, 7, 1, 1, 0, 0])));
    fs.mkdirSync(path.join(dir, 'full'));
    fs.writeFileSync(path.join(dir, 'full', 'keep.txt'), 'x');
  });
  const cases: [string, string[], RegExp][] = [
    ['sequences of the wrong width', ['eval', 'r', '--sequences', 'wide.npy'], /--sequences wide\.npy: shape \(2, 5\), expected \(n, 6\)/],
    ['float sequences', ['eval', 'r', '--sequences', 'float.npy'], /--sequences float\.npy: dtype '<f4' is not an integer type/],
    ['a feature row out of range', ['eval', 'r', '--sequences', 'range.npy'], /row 1, column x2: 99999999 is outside the feature table's 8115 rows/],
    ['a label out of range', ['eval', 'r', '--sequences', 'label.npy'], /row 0, column l1: 7 is outside the 5 labels/],
    ['a missing sequences file', ['eval', 'r', '--sequences', 'nope.npy'], /--sequences nope\.npy: file not found/],
    ['--record into a missing directory', ['eval', 'r', '--record', 'no/such/dir/s.safetensors'], /--record no\/such\/dir\/s\.safetensors: directory .* does not exist/],
    ['export into a non-empty directory', ['data', 'export', '--out', 'full'], /--out full exists and is not empty/],
    ['export --run with a data flag', ['data', 'export', '--run', 'r', '--out', 'e', '--classes', '60'], /--run r exports the run's own data; drop --classes/],
    ['export --run of a non-run', ['data', 'export', '--run', 'full', '--out', 'e'], /full is not a run directory/],
  ];
  const snapshot = () => fs.readdirSync(dir, { recursive: true }).map(String).sort();
  for (const [name, args, pattern] of cases)
    it(name, () => {
      const before = snapshot();
      const r = optoSync(args, dir);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(snapshot()).toEqual(before);
    });
});
