import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunDir } from '@optoscope/engine';
import { listRuns } from '@optoscope/engine/query';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDashboardBench, processCpuMs, rowWithinBudget, sweepWithinBudget, writeDashboardFixture, type DashboardBenchResult, type SweepBenchResult } from './dashboardBench.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-bench-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('dashboard bench', () => {
  it('writes its fixture with the engine: a trained run with an eval and a checkpoint every step, its copy, varied run records', async () => {
    const { runId, checkpoints } = await writeDashboardFixture(tmp, { runs: 30, evalPoints: 10 });
    const runs = listRuns(tmp);
    expect(runs).toHaveLength(30);
    expect(runs.every((r) => r.record !== null)).toBe(true);
    expect(new Set(runs.map((r) => r.record!.status))).toEqual(new Set(['finished', 'running', 'failed', 'interrupted']));
    expect(new Set(runs.map((r) => r.record!.config.task.numLabels))).toEqual(new Set([5, 10, 15]));
    const run = RunDir.open(path.join(tmp, runId));
    expect(run.readMetrics().filter((r) => r.kind === 'eval' && r.set === 'fsl_train')).toHaveLength(11); // 0, 32, ..., 320
    expect(checkpoints).toBe(11);
    expect(RunDir.open(path.join(tmp, `${runId}-2`)).listCheckpoints()).toHaveLength(11);
  });

  it('prints a table that flags answers over budget, cold or warm, and says what the cold answers held', () => {
    const r: DashboardBenchResult = {
      runs: 1000,
      evalPoints: 200,
      checkpoints: 201,
      repeats: 3,
      rows: [
        { request: 'run list', path: '/api/runs', coldMs: 90, medianMs: 25, p95Ms: 40, bytes: 14_000, budgetMs: 300 },
        { request: 'run page', path: '/api/runs/x', coldMs: 900, medianMs: 320, p95Ms: 400, bytes: 0, budgetMs: 300 },
        { request: 'heads', path: '/api/runs/x/heads', coldMs: 450, medianMs: 20, p95Ms: 30, bytes: 0, budgetMs: 300 },
        { request: 'first view', path: '/api/runs/y', coldMs: 120, medianMs: Number.NaN, p95Ms: Number.NaN, bytes: 0, budgetMs: 300 },
      ],
      runPage: { coldMs: 900, medianMs: 320, p95Ms: 400 },
      scoredMs: 3000,
      attentionMs: 650,
      coldHeads: { points: 0, pending: 201 },
      coldAttentionPending: true,
      secondRun: { attentionMs: 180, scoredMs: 1900 },
      withinBudget: false,
    };
    const text = formatDashboardBench(r);
    expect(text).toMatch(/run list\s+90\.0\s+25\.0\s+40\.0\s+13\.7\s+< 300 ms ok/);
    expect(text).toMatch(/run page\s+900\.0\s+320\.0\s+400\.0\s+< 300 ms OVER/);
    expect(text).toMatch(/heads\s+450\.0\s+20\.0\s+30\.0\s+< 300 ms OVER/);
    expect(text).toMatch(/first view\s+120\.0\s+< 300 ms ok/);
    expect(text).toContain('head curves with 0 of 201 checkpoints (201 pending), attention pending');
    expect(text).toContain('attention 0.65 s, head scores of all 201 checkpoints 3.0 s');
    expect(text).toContain("another run's first view: 0.18 s and 1.9 s");
    expect(text).toContain('OVER BUDGET');
    expect(rowWithinBudget(r.rows[0]!)).toBe(true);
    expect(rowWithinBudget({ ...r.rows[2]!, coldMs: 299 })).toBe(true);
  });

  it('the sweep part of the fixture: conditions x seeds, each with the trained run\'s rows, losses spread per seed, finished with a columnar copy as the trainer leaves it (the baseline\'s runs without)', async () => {
    const dir = path.join(tmp, 'sweep');
    fs.mkdirSync(dir);
    const { runId, sweepIds, oldSweepIds } = await writeDashboardFixture(dir, { runs: 30, evalPoints: 5, sweep: { conditions: 4, seeds: 3, baseline: true } });
    expect(listRuns(dir)).toHaveLength(30);
    expect(sweepIds).toHaveLength(12);
    expect(oldSweepIds).toHaveLength(12);
    // The trained run got its copy from the trainer; the sweep's runs from the same call; the old ones none.
    expect(fs.existsSync(path.join(dir, runId, 'metrics.parquet'))).toBe(true);
    expect(sweepIds.every((id) => fs.existsSync(path.join(dir, id, 'metrics.parquet')))).toBe(true);
    expect(oldSweepIds.some((id) => fs.existsSync(path.join(dir, id, 'metrics.parquet')))).toBe(false);
    for (const id of [...sweepIds, ...oldSweepIds]) expect(RunDir.open(path.join(dir, id)).readRecord().status).toBe('finished');
    const real = RunDir.open(path.join(dir, runId)).readMetrics();
    const recs = sweepIds.map((id) => RunDir.open(path.join(dir, id)));
    expect(new Set(recs.map((r) => r.readRecord().config.preset))).toEqual(new Set(['fig5b-none', 'fig5b-pt', 'fig5b-layer1', 'fig5b-match']));
    for (const r of recs) expect(r.readMetrics()).toHaveLength(real.length);
    const lastLoss = (r: RunDir) => Number(r.readMetrics().filter((m) => m.set === 'fsl_train').at(-1)!.loss);
    expect(new Set(recs.map(lastLoss)).size).toBe(12);
  });

  it('flags the compare view and the concurrent run list against their budgets', () => {
    const s: SweepBenchResult = { runs: 128, conditions: 16, seeds: 8, evalPoints: 200, coldMs: 420, coldCpuMs: 180, warmMedianMs: 12, warmP95Ms: 20, regroupMs: 300, bytes: 90_000, groups: 16, listing: { concurrency: 20, requests: 200, p50Ms: 40, p99Ms: 310, cpuMsPerRequest: 4.25 }, load: { avg1: 17.4, cores: 2 } };
    expect(sweepWithinBudget(s)).toBe(false);
    expect(sweepWithinBudget({ ...s, listing: { ...s.listing, p99Ms: 250 } })).toBe(true);
    expect(sweepWithinBudget({ ...s, coldMs: 501, listing: { ...s.listing, p99Ms: 250 } })).toBe(false);
    const base = { runs: 1000, evalPoints: 200, checkpoints: 201, repeats: 3, rows: [], runPage: { coldMs: 1, medianMs: 1, p95Ms: 1 }, scoredMs: 1, attentionMs: 1, coldHeads: { points: 1, pending: 0 }, coldAttentionPending: false, secondRun: { attentionMs: 1, scoredMs: 1 }, withinBudget: false };
    const text = formatDashboardBench({ ...base, sweep: s });
    expect(text).toContain('128 runs (16 conditions x 8 seeds, 200 eval points each) -> 16 groups');
    expect(formatDashboardBench({ ...base, sweep: { ...s, coldJsonMs: 1260, coldJsonCpuMs: 610 } })).toContain("cold is read from the finished runs' metrics.parquet; the same sweep without them (runs of an older version, rows parsed from metrics.jsonl): cold 1260.0 ms (server CPU 610 ms), 3.0x the time");
    expect(text).toContain('cold 420.0 ms (< 500 ms ok) (server CPU 180 ms), warm median 12.0 ms (< 100 ms ok)');
    expect(text).toContain('p99 310.0 ms (< 300 ms OVER), server CPU 4.3 ms a request');
    expect(formatDashboardBench({ ...base, sweep: { ...s, coldCpuMs: null } })).toContain('cold 420.0 ms (< 500 ms ok), warm median');
    expect(text).toContain('measured at load average 17.4 on 2 cores');
  });

  it("reads a process's CPU time from /proc: the same as Node's own count for this process", () => {
    const u0 = process.cpuUsage();
    const p0 = processCpuMs(process.pid)!;
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const p1 = processCpuMs(process.pid)!;
    const u = process.cpuUsage(u0);
    expect(x).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks: within two ticks and a little of the process's own measure.
    expect(Math.abs(p1 - p0 - (u.user + u.system) / 1000)).toBeLessThan(25);
    expect(processCpuMs(undefined)).toBeNull();
    expect(processCpuMs(2 ** 22 + 12345)).toBeNull(); // no such process
  });
});
