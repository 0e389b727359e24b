/**
 * The run page's head curves and wiring between any two layers of a deeper model (`?layers=l:l2`, issue
 * 23): the numbers the server answers are those `opto analyze --what strength|wiring --layers l:l2` stores,
 * to the last bit (the real CLI, run as a user runs it, on the same run); bad layers answer 400 in one line.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIVE_DENSE_SIZE, parseRunConfig, train } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as headsRoute from '../app/api/runs/[id]/heads/route';
import * as wiringRoute from '../app/api/runs/[id]/wiring/route';
import { clearHeadCaches } from './heads';

const CLI = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-layers-'));
const runsDir = path.join(tmp, 'runs');
const dir = path.join(runsDir, 'deep');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type IdRoute = { GET: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response> };
async function get(route: IdRoute, q: string): Promise<{ status: number; body: Json }> {
  const r = await route.GET(new Request(`http://x/api/runs/deep${q}`), { params: Promise.resolve({ id: 'deep' }) });
  return { status: r.status, body: JSON.parse(await r.text()) };
}
/** Head curves once nothing is pending (the page polls the same way). */
async function settled(q: string): Promise<{ status: number; body: Json }> {
  for (;;) {
    const r = await get(headsRoute, q);
    if (r.status !== 200 || r.body.pending === 0) return r;
  }
}
function opto(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
}
const stored = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, 'analysis', `${name}.json`), 'utf8')) as { denseSet: string; result: Json };

beforeAll(async () => {
  fs.mkdirSync(runsDir, { recursive: true });
  await train(parseRunConfig({ preset: 'smoke', backend: 'wasm', model: { nLayers: 3 }, schedule: { seqs: 4000, evalEvery: 2000, ckptEvery: 2000, evalSize: 100 } }), { out: dir });
  process.env.OPTO_RUNS_DIR = runsDir;
  process.env.OPTO_DASHBOARD_CACHE = path.join(tmp, 'cache');
}, 180_000);
afterAll(async () => {
  await clearHeadCaches();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('head curves and wiring between any two layers', () => {
  it('?layers=1:2 serves exactly what opto analyze --what strength --layers 1:2 stores', async () => {
    const served = await settled('?layers=1:2');
    expect(served.status).toBe(200);
    expect(served.body.layers).toEqual({ prevToken: 1, induction: 2 });
    opto(['analyze', dir, '--what', 'strength', '--layers', '1:2', '--size', String(LIVE_DENSE_SIZE)]);
    const cli = stored('strength-L2-L3');
    expect(served.body.denseSet).toBe(cli.denseSet);
    expect(served.body.points).toHaveLength(3); // checkpoints 0, ~2000 and 4000
    expect(served.body.points).toEqual(cli.result);

    // The default pair scores layer 0's previous-token heads instead (the same induction layer 2), and
    // ?layers=0:2 (the first and the last, spelled out) is the default.
    const plain = await settled('');
    expect(plain.body.layers).toEqual({ prevToken: 0, induction: 2 });
    expect(plain.body.points.at(-1).strength).toEqual(served.body.points.at(-1).strength);
    expect(plain.body.points.at(-1).prevToken).not.toEqual(served.body.points.at(-1).prevToken);
    const mid = await settled('?layers=0:1');
    expect(mid.body.points.at(-1).strength).not.toEqual(plain.body.points.at(-1).strength);
    expect((await settled('?layers=0:2')).body.points).toEqual(plain.body.points);
  }, 300_000);

  it('the wiring of ?layers=0:1 is the stored wiring-L1-L2.json; before it exists, the command that computes it', async () => {
    const missing = await get(wiringRoute, '?layers=0:1');
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ available: false, layers: { prevToken: 0, induction: 1 } });
    expect(missing.body.command).toMatch(/^opto analyze .*deep --what wiring --layers 0:1$/);
    opto(['analyze', dir, '--what', 'wiring', '--layers', '0:1', '--size', '64']);
    const w = await get(wiringRoute, '?layers=0:1');
    expect(w.body.available).toBe(true);
    expect(w.body.matrices).toEqual(stored('wiring-L1-L2').result.matrices);
    // The default pair has no stored wiring: not the layered one.
    expect((await get(wiringRoute, '')).body.available).toBe(false);
  }, 300_000);

  it('bad layers: 400 with one line naming the field', async () => {
    for (const [q, msg] of [
      ['?layers=2:1', 'layers.induction: layer 1 must come after the previous-token layer 2'],
      ['?layers=0:3', 'layers.induction: layer 3 out of range (the model has layers 0..2)'],
      ['?layers=one:two', "layers must be prevTokenLayer:inductionLayer (0-indexed), e.g. 1:2, got 'one:two'"],
    ]) {
      for (const route of [headsRoute, wiringRoute]) {
        const r = await get(route, q);
        expect(r.status, q).toBe(400);
        expect(r.body.error).toBe(msg);
      }
    }
  });
});
