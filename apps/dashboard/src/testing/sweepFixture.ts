/**
 * A small sweep for the compare view's tests, trained by the engine: the four Fig. 5b clamp conditions
 * (None, "1", "1, 2", "1, 2, 3qk, 4") x seeds 5, 6, 7, 3,200 sequences each, eval every 320, plus a fourth
 * seed of the match condition that failed before its first eval (run.json says failed, no metrics.jsonl),
 * so that group has a missing member. Ids: `<preset>-s<seed>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, presetConfig, RunDir, train } from '@optoscope/engine';

export const SWEEP_CONDITIONS = ['fig5b-none', 'fig5b-pt', 'fig5b-layer1', 'fig5b-match'] as const;
export const SWEEP_SEEDS = [5, 6, 7] as const;

export async function makeSweepFixture(runsDir: string): Promise<string[]> {
  fs.mkdirSync(runsDir, { recursive: true });
  const ids: string[] = [];
  for (const preset of SWEEP_CONDITIONS)
    for (const seed of SWEEP_SEEDS) {
      const id = `${preset}-s${seed}`;
      const input = presetConfig(preset);
      await train(parseRunConfig({ ...input, name: 'fig5b-small', backend: 'wasm', seeds: { init: seed, train: 0, eval: 1 }, schedule: { seqs: 3200, evalEvery: 320, ckptEvery: null, evalSize: 100 } }), { out: path.join(runsDir, id) });
      ids.push(id);
    }
  // The failed member: the record of a sibling, another seed, status failed, nothing measured.
  const failed = 'fig5b-match-s8';
  const src = RunDir.open(path.join(runsDir, 'fig5b-match-s7'));
  const rec = src.readRecord();
  const dir = RunDir.create(path.join(runsDir, failed));
  dir.writeRecord({ ...rec, id: failed, status: 'failed', error: 'killed before its first eval', summary: undefined, progress: { seqs: 0, step: 0 }, seeds: { ...rec.seeds, init: 8 }, config: { ...rec.config, seeds: { ...rec.config.seeds, init: 8 } } });
  ids.push(failed);
  return ids;
}
