import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/index.js';
import { train } from '../train.js';
import { findRun, listRuns, queryRuns } from './query.js';
import { RunDir } from './runDir.js';

const features = syntheticFeatures({ seed: 0 });
const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-query-'));
const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-query-empty-'));
afterAll(() => [runsDir, empty].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const cfg = (labels: number, init: number) =>
  parseRunConfig({ name: 'q', backend: 'wasm', task: { numLabels: labels }, seeds: { init }, schedule: { seqs: 960, evalEvery: 320, ckptEvery: 480, evalSize: 50 } });

beforeAll(async () => {
  for (const [id, labels, init] of [['a', 5, 5], ['b', 5, 6], ['c', 10, 5]] as const) await train(cfg(labels, init), { out: path.join(runsDir, id), features });
  // A run killed mid-append: its metrics end in a partial line, which readers ignore.
  await train(cfg(15, 5), { out: path.join(runsDir, 'd'), features });
  fs.appendFileSync(path.join(runsDir, 'd', 'metrics.jsonl'), '{"kind":"eval","seqs":99');
  fs.mkdirSync(path.join(runsDir, 'not-a-run'));
});

describe('run store', () => {
  it('lists the run directories (those with a run.json) in ID order', () => {
    expect(listRuns(runsDir).map((r) => [r.id, r.record?.status])).toEqual([
      ['a', 'finished'],
      ['b', 'finished'],
      ['c', 'finished'],
      ['d', 'finished'],
    ]);
    expect(findRun(runsDir, 'c').dir).toBe(path.join(runsDir, 'c'));
    expect(() => findRun(runsDir, 'zz')).toThrow(/no run 'zz'/);
  });

  it('runs: one row per run with the config fields as columns; the learning time per number of labels', async () => {
    const r = await queryRuns(runsDir, 'select labels, count(*) as n, avg(learning_time) as lt from runs group by labels order by labels');
    expect(r.columns).toEqual(['labels', 'n', 'lt']);
    const expected = [5, 10, 15].map((L) => {
      const recs = listRuns(runsDir).filter((x) => x.record!.config.task.numLabels === L);
      return [L, recs.length, recs.reduce((s, x) => s + x.record!.summary!.learning_time, 0) / recs.length];
    });
    expect(r.rows).toEqual(expected);
    const one = await queryRuns(runsDir, "select run_id, status, sweep, classes, seqs, seed_init, cast(config->>'$.optim.lr' as double) as lr from runs where run_id = 'b'");
    expect(one.rows).toEqual([['b', 'finished', 'q', 50, 960, 6, 1e-5]]);
  });

  it('metrics: every complete row of every run, with the run ID; a trailing partial line is ignored', async () => {
    const r = await queryRuns(runsDir, 'select run_id, count(*) from metrics group by run_id order by run_id');
    expect(r.rows).toEqual(['a', 'b', 'c', 'd'].map((id) => [id, RunDir.open(path.join(runsDir, id)).readMetrics().length]));
    const rows = RunDir.open(path.join(runsDir, 'c')).readMetrics().filter((m) => m.kind === 'eval' && m.set === 'fsl_train');
    const q = await queryRuns(runsDir, "select seqs, loss, use_context_prob from metrics where run_id = 'c' and kind = 'eval' and set = 'fsl_train' order by seqs");
    expect(q.rows).toEqual(rows.map((m) => [m.seqs, m.loss, m.use_context_prob]));
    const train = await queryRuns(runsDir, "select seqs, grad_norm, steps from metrics where run_id = 'a' and kind = 'train' order by seqs limit 1");
    expect(train.rows[0][2]).toBe(10);
  });

  it('checkpoints: one row per saved checkpoint', async () => {
    const r = await queryRuns(runsDir, "select seqs from checkpoints where run_id = 'a' order by seqs");
    expect(r.rows.map((x) => x[0])).toEqual(RunDir.open(path.join(runsDir, 'a')).listCheckpoints());
  });

  it('an empty runs directory gives empty views; bad SQL one line', async () => {
    for (const v of ['runs', 'metrics', 'checkpoints']) expect((await queryRuns(empty, `select * from ${v}`)).rows).toEqual([]);
    await expect(queryRuns(runsDir, 'select nope from runs')).rejects.toThrow(/^query failed: .*nope/);
    expect(() => listRuns(path.join(empty, 'missing'))).toThrow(/does not exist/);
  });
});
