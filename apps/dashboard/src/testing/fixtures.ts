/**
 * A runs directory for the dashboard's tests, made by the engine (nothing hand-typed in the run format):
 *
 *   smoke      a finished 20k-sequence run, 5 labels / 50 classes, checkpoints every 5k, with a wiring
 *              analysis stored the way `opto analyze --what wiring` stores it (small dense set)
 *   labels10   a finished 10k-sequence run with 10 labels / 100 classes (a second Fig. 6 point)
 *   clamped    a finished 10k-sequence run trained under CLAMPED_SPEC (a first- and a last-layer head
 *              ablated, a previous-token clamp), checkpoints every 5k
 *   live       a copy of smoke marked running, holding only its first `liveRows` metric rows (tests append
 *              the rest while a page is open)
 *   corrupt    run.json that is not JSON
 *   badrows    a run whose metrics.jsonl has a malformed row in the middle
 *   escape     a symlink to a run directory outside the runs directory
 *   leaky      a run whose metrics.jsonl is a symlink to a file outside the runs directory
 * and, outside the runs directory, `secret.txt` holding SECRET (it must never be served).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compositionScores, openAnalysisRun, parseRunConfig, RunDir, train, wiringMatrices, writeJsonAtomic, type MetricRow } from '@optoscope/engine';

export const SECRET = 'optoscope-secret-7f3a9c';
/** The clamp spec of `clamped`: L1H1 and L2H0 ablated, L1H2's pattern clamped to the previous token. */
export const CLAMPED_SPEC = { ablate: ['0:1', '1:0'], prevToken: { heads: ['0:2'], strength: 1 } };

export interface Fixture {
  root: string;
  runsDir: string;
  secretFile: string;
  /** Metric rows of `smoke`, all of them (live holds the first `liveRows`). */
  smokeRows: MetricRow[];
  liveRows: number;
}

export async function makeFixture(root: string): Promise<Fixture> {
  const runsDir = path.join(root, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  const smoke = path.join(runsDir, 'smoke');
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', schedule: { seqs: 20_000, evalEvery: 2000, ckptEvery: 5000, evalSize: 200 } }), { out: smoke });
  await train(
    parseRunConfig({ preset: 'smoke', backend: 'wasm', task: { numLabels: 10, classSplit: [100, 1423, 100] }, schedule: { seqs: 10_000, evalEvery: 2000, ckptEvery: 10_000, evalSize: 200 } }),
    { out: path.join(runsDir, 'labels10') },
  );
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', interventions: CLAMPED_SPEC, schedule: { seqs: 10_000, evalEvery: 2000, ckptEvery: 5000, evalSize: 200 } }), {
    out: path.join(runsDir, 'clamped'),
  });

  // The wiring analysis, computed by the engine on a small dense set and stored as `opto analyze` does.
  const a = await openAnalysisRun(smoke, { size: 100 });
  fs.mkdirSync(path.join(smoke, 'analysis'), { recursive: true });
  writeJsonAtomic(path.join(smoke, 'analysis', 'wiring.json'), {
    what: 'wiring',
    run: 'smoke',
    checkpoint: a.checkpoints[a.checkpoints.length - 1],
    denseSet: a.ev.set.description,
    result: { matrices: wiringMatrices(a.ev), composition: compositionScores(a.ev.params) },
  });

  // A live run: smoke's files, status running, the first rows only.
  const smokeRows = RunDir.open(smoke).readMetrics();
  const liveRows = 8;
  const live = path.join(runsDir, 'live');
  fs.cpSync(smoke, live, { recursive: true });
  fs.rmSync(path.join(live, 'analysis'), { recursive: true, force: true });
  const lr = RunDir.open(live);
  lr.writeRecord({ ...lr.readRecord(), id: 'live', status: 'running', summary: undefined });
  fs.writeFileSync(lr.metricsFile, '');
  lr.appendMetrics(smokeRows.slice(0, liveRows));

  const corrupt = path.join(runsDir, 'corrupt');
  fs.mkdirSync(corrupt);
  fs.writeFileSync(path.join(corrupt, 'run.json'), '{"schema": "optoscope.run/1", "status": ');

  const badrows = path.join(runsDir, 'badrows');
  fs.cpSync(path.join(runsDir, 'labels10'), badrows, { recursive: true });
  const br = RunDir.open(badrows);
  br.writeRecord({ ...br.readRecord(), id: 'badrows' });
  const lines = fs.readFileSync(br.metricsFile, 'utf8').split('\n');
  lines.splice(3, 0, '{"kind":"eval","seqs":'); // a torn row in the middle
  fs.writeFileSync(br.metricsFile, lines.join('\n'));

  // Outside the runs directory: a secret, a run directory, and links into both from inside.
  const secretFile = path.join(root, 'secret.txt');
  fs.writeFileSync(secretFile, SECRET + '\n');
  const outsideRun = path.join(root, 'outside-run');
  fs.cpSync(path.join(runsDir, 'labels10'), outsideRun, { recursive: true });
  fs.appendFileSync(path.join(outsideRun, 'metrics.jsonl'), JSON.stringify({ kind: 'eval', seqs: 1, step: 0, set: SECRET, loss: 1, acc: 0 }) + '\n');
  fs.symlinkSync(outsideRun, path.join(runsDir, 'escape'));
  const leaky = path.join(runsDir, 'leaky');
  fs.cpSync(path.join(runsDir, 'labels10'), leaky, { recursive: true });
  fs.rmSync(path.join(leaky, 'metrics.jsonl'));
  fs.symlinkSync(path.join(outsideRun, 'metrics.jsonl'), path.join(leaky, 'metrics.jsonl'));
  return { root, runsDir, secretFile, smokeRows, liveRows };
}
