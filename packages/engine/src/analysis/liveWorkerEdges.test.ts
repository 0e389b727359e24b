/**
 * The live analysis worker (live.ts's LiveAnalysisWorker, running the built engine's liveWorker.js) on the
 * tiny run of liveEdges.test.ts: the same answers as in process, errors passed back, refusal once closed.
 * Not in Stryker's runs: its sandbox has no built engine for the worker to load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunDir } from '../store/runDir.js';
import { LiveAnalysis, LiveAnalysisWorker } from './live.js';
import { tinyRun } from './testing/tinyRun.js';

const SIZE = 48;
let tmp = '';
let dir = '';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-live-worker-'));
  dir = await tinyRun(path.join(tmp, 'run'), { interventions: { ablate: ['0:1'] } });
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('LiveAnalysisWorker', () => {
  it('answers as the service in process does; refuses once closed', async () => {
    const w = new LiveAnalysisWorker(SIZE);
    const live = new LiveAnalysis(SIZE);
    const run = RunDir.open(dir);
    const seqs = run.listCheckpoints().at(-1)!;
    expect(w.alive).toBe(true);
    expect(await w.info(dir)).toEqual(await live.info(dir));
    expect(await w.headScores(dir, seqs, run.checkpointFile(seqs), 'run')).toEqual(await live.headScores(dir, seqs, run.checkpointFile(seqs), 'run'));
    expect(await w.attention(dir, run.checkpointFile(seqs), 'none')).toEqual(await live.attention(dir, run.checkpointFile(seqs), 'none'));
    await expect(w.headScores(dir, seqs, run.checkpointFile(seqs), 'x' as never)).rejects.toThrow("clamp must be run or none, got 'x'");
    await expect(w.info(path.join(tmp, 'nothing'))).rejects.toThrow();
    await w.close();
    expect(w.alive).toBe(false);
    await expect(w.info(dir)).rejects.toThrow('the analysis worker was closed');
  }, 30_000);
});
