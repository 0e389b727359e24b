/**
 * The stale display through the dashboard's API: a run the engine trained, then left `running` with a
 * heartbeat from another host of a chosen age (what a machine killed mid-run leaves behind).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunConfig, RunDir, train } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as detailRoute from '../app/api/runs/[id]/route';
import runListRoute from '../pages/api/runs';
import { viaNodeServer } from '../testing/http';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-stale-'));
const runs = path.join(tmp, 'runs');
const beat = (ageS: number) =>
  fs.writeFileSync(path.join(runs, 'orphan', 'heartbeat.json'), JSON.stringify({ host: 'gpu-box-3', pid: 77, user: 'ana', at: new Date(Date.now() - ageS * 1000).toISOString(), seqs: 2000 }));

beforeAll(async () => {
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', schedule: { seqs: 4000, evalEvery: 2000, ckptEvery: 2000, evalSize: 50 } }), { out: path.join(runs, 'orphan') });
  const rd = RunDir.open(path.join(runs, 'orphan'));
  rd.writeRecord({ ...rd.readRecord(), status: 'running', summary: undefined, host: 'gpu-box-3' });
  fs.cpSync(path.join(runs, 'orphan'), path.join(runs, 'done'), { recursive: true });
  const done = RunDir.open(path.join(runs, 'done'));
  done.writeRecord({ ...done.readRecord(), status: 'finished' });
  process.env.OPTO_RUNS_DIR = runs;
  process.env.OPTO_RUNS_LOCATION = 's3://team/opto';
}, 120_000);
afterAll(() => {
  delete process.env.OPTO_RUNS_LOCATION;
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function list(query = '') {
  const r = await viaNodeServer(runListRoute, `/api/runs${query}`);
  return (await r.json()) as { rows: { id: string; status: string; stale: Record<string, unknown> | null }[]; statuses: string[] };
}

describe('stale runs in the dashboard API', () => {
  it('a running run is live until its heartbeat is 60 s old, then stale with last seen, host and resume command', async () => {
    beat(50);
    let page = await list();
    expect(page.rows.map((r) => [r.id, r.status, r.stale])).toEqual([
      ['done', 'finished', null],
      ['orphan', 'running', null],
    ]);
    expect(page.statuses).toEqual(['finished', 'running']);

    beat(61);
    page = await list();
    const orphan = page.rows.find((r) => r.id === 'orphan')!;
    expect(orphan.status).toBe('running');
    expect(orphan.stale).toMatchObject({ host: 'gpu-box-3', pid: 77, why: 'heartbeat too old', resume: 'opto train --runs s3://team/opto --resume orphan' });
    expect(Date.now() - Date.parse(String(orphan.stale!.lastSeen))).toBeGreaterThanOrEqual(61_000);
    expect(page.statuses).toEqual(['finished', 'running', 'stale']);
    expect((await list('?status=stale')).rows.map((r) => r.id)).toEqual(['orphan']);
    // The finished copy, with the same old heartbeat, is never stale.
    expect(page.rows.find((r) => r.id === 'done')!.stale).toBeNull();

    const detail = await (await detailRoute.GET(new Request('http://x/api/runs/orphan'), { params: Promise.resolve({ id: 'orphan' }) })).json();
    expect(detail.stale).toMatchObject({ host: 'gpu-box-3', resume: 'opto train --runs s3://team/opto --resume orphan' });
  });
});
