/**
 * Next compiles the instrumentation hook and the route handlers into separate module graphs, so each has
 * its own copy of every server module. What the hook makes ready when the server starts (the run index with
 * its file watches, the compare view's DuckDB) must be what the routes read: one per process
 * (processWide.ts). Here a second copy of the modules (vi.resetModules, as Next's second graph) must find
 * the index entries and the aggregator the first copy made, not make its own, and see a change the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunConfig, RunDir, train } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-process-'));
const runsDir = path.join(tmp, 'runs');
beforeAll(async () => {
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', schedule: { seqs: 64, evalEvery: 32, ckptEvery: null, evalSize: 16 } }), { out: path.join(runsDir, 'a') });
  fs.cpSync(path.join(runsDir, 'a'), path.join(runsDir, 'b'), { recursive: true });
  process.env.OPTO_RUNS_DIR = runsDir;
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('server state is one per process, not one per module graph', () => {
  it('a second copy of the server modules reads the run index and the aggregator the first made', async () => {
    const first = { runs: await import('./runs'), sweep: await import('./sweep') };
    const indexed = await first.runs.allRuns();
    const aggregator = await first.sweep.sweepAggregatorReady();
    expect(indexed.map((c) => c.row.id)).toEqual(['a', 'b']);

    vi.resetModules();
    const second = { runs: await import('./runs'), sweep: await import('./sweep') };
    expect(second.runs).not.toBe(first.runs); // a copy of its own, as Next's other graph has
    const again = await second.runs.allRuns();
    // The same entries, not entries read again from the run.json files.
    expect(again).toHaveLength(2);
    again.forEach((c, i) => expect(c).toBe(indexed[i]));
    expect(await second.sweep.sweepAggregatorReady()).toBe(aggregator);

    // A change seen through one copy's watches is in the other's answer.
    const rd = RunDir.open(path.join(runsDir, 'b'));
    rd.writeRecord({ ...rd.readRecord(), status: 'failed', error: 'stopped by the test' });
    await new Promise((r) => setTimeout(r, 200));
    const page = await first.runs.queryRuns({ status: 'failed' });
    expect(page.rows.map((r) => r.id)).toEqual(['b']);
    expect((await second.runs.queryRuns({ status: 'failed' })).rows.map((r) => r.id)).toEqual(['b']);
    await aggregator.close();
  });
});
