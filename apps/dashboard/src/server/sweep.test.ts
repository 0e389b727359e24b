/**
 * /api/sweep over a sweep the engine trained (4 Fig. 5b conditions x 3 seeds, and a failed fourth seed
 * with no metrics): the groups, their paper labels and "n of m seeds", and every aggregated point equal to
 * the mean and sample std computed here directly from the runs' metrics.jsonl files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESETS, RunDir } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import runListRoute from '../pages/api/runs';
import { viaNodeServer } from '../testing/http';
import * as sweepRoute from '../app/api/sweep/route';
import { preloadFinishedRuns } from './sweep';
import { makeSweepFixture, SWEEP_CONDITIONS } from '../testing/sweepFixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-sweep-'));
const runsDir = path.join(tmp, 'runs');
let ids: string[] = [];
beforeAll(async () => {
  ids = await makeSweepFixture(runsDir);
  process.env.OPTO_RUNS_DIR = runsDir;
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function get(q: string): Promise<{ status: number; body: Json }> {
  const r = await sweepRoute.GET(new Request(`http://x/api/sweep?${q}`));
  return { status: r.status, body: await r.json() };
}
const fileRows = (id: string): Json[] => {
  const f = path.join(runsDir, id, 'metrics.jsonl');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

describe('/api/sweep', () => {
  it('auto grouping: one group per condition named by the paper, the failed seed in the legend, points = mean and std from the files', async () => {
    const { status, body } = await get(`runs=${ids.join(',')}`);
    expect(status).toBe(200);
    expect(body.auto).toBe(true);
    expect(body.by).toEqual(['clamp', 'preset']);
    expect(body.labelledBy).toBe('paper');
    expect(body.groups).toHaveLength(4);
    const legendOf = (preset: string) => PRESETS[preset]!.legend!;
    expect(body.groups.map((g: Json) => g.label).sort()).toEqual(SWEEP_CONDITIONS.map(legendOf).sort());
    const match = body.groups.find((g: Json) => g.label === legendOf('fig5b-match'));
    expect(match.members).toEqual(['fig5b-match-s5', 'fig5b-match-s6', 'fig5b-match-s7', 'fig5b-match-s8']);
    expect(match.legend).toBe(`${legendOf('fig5b-match')} (3 of 4 seeds)`);
    expect(body.groups.filter((g: Json) => g.legend.includes('seeds)'))).toHaveLength(1);
    // One shared eval schedule: every eval is its own bucket, so each point is the plain mean over the seeds.
    expect(body.bucketWidth).toBe(320);
    for (const g of body.groups) {
      const perRun = g.members.map((id: string) => new Map(fileRows(id).filter((r) => r.kind === 'eval' && r.set === 'fsl_train').map((r) => [r.seqs, r.loss as number])));
      const xs = [...new Set(perRun.flatMap((m: Map<number, number>) => [...m.keys()]))].sort((a, b) => (a as number) - (b as number)) as number[];
      expect(g.points.map((p: Json) => p.x)).toEqual(xs);
      g.points.forEach((p: Json, i: number) => {
        const vs = perRun.filter((m: Map<number, number>) => m.has(xs[i]!)).map((m: Map<number, number>) => m.get(xs[i]!)!);
        const mean = vs.reduce((a: number, b: number) => a + b, 0) / vs.length;
        const std = Math.sqrt(vs.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / (vs.length - 1));
        expect(p.n).toBe(3); // the failed member has no rows and never counts
        expect(p.mean).toBeCloseTo(mean, 12);
        expect(p.std).toBeCloseTo(std, 12);
        expect([p.min, p.max]).toEqual([Math.min(...vs), Math.max(...vs)]);
      });
    }
    const failed = body.runs.find((r: Json) => r.id === 'fig5b-match-s8');
    expect([failed.status, failed.stats]).toEqual(['failed', null]);
    const s5 = body.runs.find((r: Json) => r.id === 'fig5b-none-s5');
    const last = fileRows('fig5b-none-s5').filter((r) => r.kind === 'eval' && r.set === 'fsl_train').at(-1)!;
    expect(s5.stats.finalLoss.fsl_train).toBe(last.loss);
  });

  it('any field groups (a config path); the train window by wall time; unknown runs reported, bad input one line', async () => {
    const one = await get(`runs=${ids.join(',')}&by=task.numLabels`);
    expect(one.body.groups.map((g: Json) => g.legend)).toEqual(['labels=5 (12 of 13 seeds)']);
    expect(one.body.fields).toEqual(expect.arrayContaining(['clamp', 'preset', 'task.numLabels', 'optim.lr', 'seeds.init']));
    const wall = await get(`runs=${ids.slice(0, 3).join(',')}&kind=train&metric=grad_norm&x=wall_s`);
    const walls = ids.slice(0, 3).flatMap((id) => fileRows(id).filter((r) => r.kind === 'train').map((r) => r.wall_s as number));
    expect(walls.length).toBeGreaterThan(0);
    for (const p of wall.body.groups[0].points) expect(p.x >= Math.min(...walls) && p.x <= Math.max(...walls)).toBe(true);
    const bad = await get(`runs=${ids[0]},nope-run`);
    expect(bad.body.errors).toEqual([{ id: 'nope-run', error: "no run 'nope-run' in the runs directory" }]);
    const m = await get(`runs=${ids[0]}&metric=secret`);
    expect(m.status).toBe(400);
    expect(m.body.error).toMatch(/^metric 'secret' is not one of loss, acc/);
    expect((await get('runs=')).status).toBe(400);
  });

  it('a run that is still writing: the listing and the aggregate follow its rows and its finish (served from the run index and resident rows, never stale)', async () => {
    const q = `runs=${ids.join(',')}`;
    const listed = async (id: string) => ((await (await viaNodeServer(runListRoute, `/api/runs?q=${id}`)).json()) as { rows: Json[] }).rows[0]!;
    const before = await get(q);
    const matchLegend = PRESETS['fig5b-match']!.legend!;
    const group = (b: Json) => b.groups.find((g: Json) => g.label === matchLegend);
    expect(group(before.body).points.every((p: Json) => p.n === 3)).toBe(true);
    // The failed seed comes back to life (resumed): running, its first rows written, then more, then finished.
    const id = 'fig5b-match-s8';
    const rd = RunDir.open(path.join(runsDir, id));
    const donor = fileRows('fig5b-match-s5');
    rd.writeRecord({ ...rd.readRecord(), status: 'running' });
    expect((await listed(id)).status).toBe('running');
    const half = donor.filter((r) => r.seqs <= 1600);
    rd.appendMetrics(half.map((r) => ({ ...r, loss: typeof r.loss === 'number' ? r.loss + 1 : r.loss })));
    const early = group((await get(q)).body);
    expect(early.points.filter((p: Json) => p.x <= 1600).every((p: Json) => p.n === 4)).toBe(true);
    expect(early.points.filter((p: Json) => p.x > 1600).every((p: Json) => p.n === 3)).toBe(true);
    rd.appendMetrics(donor.filter((r) => r.seqs > 1600).map((r) => ({ ...r, loss: typeof r.loss === 'number' ? r.loss + 1 : r.loss })));
    rd.writeRecord({ ...rd.readRecord(), status: 'finished', progress: { seqs: 3200, step: 100 } });
    const after = await get(q);
    expect(group(after.body).points.every((p: Json) => p.n === 4)).toBe(true);
    expect(group(after.body).legend).toBe(matchLegend);
    expect(await listed(id)).toMatchObject({ status: 'finished', progress: 3200 });
    // Every point again equals the mean over the four seeds' files.
    for (const p of group(after.body).points) {
      const vs = group(after.body).members.map((m: string) => fileRows(m).find((r) => r.kind === 'eval' && r.set === 'fsl_train' && r.seqs === p.x)!.loss as number);
      expect(p.mean).toBeCloseTo(vs.reduce((a: number, b: number) => a + b, 0) / vs.length, 12);
    }
    expect(after.body.runs.find((r: Json) => r.id === id).stats.lastSeqs).toBe(Math.max(...donor.filter((r) => r.kind === 'eval').map((r) => r.seqs)));
  });

  it('preloaded at start: finished runs with a copy, within the row budget, never a link out of the runs directory; answers still equal the files', async () => {
    // A finished run whose metrics file is a link to a file outside the runs directory (with a copy beside it).
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    const src = path.join(runsDir, 'fig5b-none-s5');
    for (const f of ['metrics.jsonl', 'metrics.parquet', 'metrics.parquet.json']) fs.copyFileSync(path.join(src, f), path.join(outside, f));
    const esc = RunDir.create(path.join(runsDir, 'escape-s1'));
    esc.writeRecord({ ...RunDir.open(src).readRecord(), id: 'escape-s1', status: 'finished' });
    fs.symlinkSync(path.join(outside, 'metrics.jsonl'), path.join(esc.dir, 'metrics.jsonl'));
    const finishedWithCopy = ids.filter((id) => fs.existsSync(path.join(runsDir, id, 'metrics.parquet.json')));
    expect(finishedWithCopy).toHaveLength(12); // the failed member has none
    const loaded = await preloadFinishedRuns();
    expect(loaded.map((f) => path.basename(path.dirname(f))).sort()).toEqual([...finishedWithCopy].sort());
    // A budget of 5 runs' rows: the 5 most recently updated.
    const rowsOf = (id: string) => JSON.parse(fs.readFileSync(path.join(runsDir, id, 'metrics.parquet.json'), 'utf8')).rows as number;
    expect(await preloadFinishedRuns(rowsOf(ids[0]!) * 5)).toHaveLength(5);
    const { body } = await get(`runs=${ids.join(',')}`);
    for (const g of body.groups)
      for (const p of g.points) {
        const vs = g.members.map((m: string) => fileRows(m).find((r) => r.kind === 'eval' && r.set === 'fsl_train' && r.seqs === p.x)).filter(Boolean).map((r: Json) => r.loss as number);
        expect(p.mean).toBeCloseTo(vs.reduce((a: number, b: number) => a + b, 0) / vs.length, 12);
      }
    for (const r of body.runs.filter((x: Json) => x.stats)) {
      const evals = fileRows(r.id).filter((x) => x.kind === 'eval' && x.set === 'fsl_train');
      expect(r.stats.finalLoss.fsl_train).toBe(evals.at(-1)!.loss);
    }
    // Asked for itself, the escaping run is refused (as before the preload).
    expect((await get('runs=escape-s1')).body.errors).toEqual([{ id: 'escape-s1', error: 'escape-s1/metrics.jsonl resolves outside the runs directory' }]);
  });
});
