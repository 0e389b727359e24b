/**
 * The report page's verdicts on a runs directory of a user's own small runs (issue 16: "the dashboard's
 * report page works on any runs directory"): /api/report judges whatever runs are there, and its claims
 * are exactly those `opto report` writes (the engine's writeReport, which the CLI calls) on the same
 * directory, with and without `--role` assignments. The runs are hand-made Fig. 5b runs of 2×10⁵ and 10⁵
 * sequences with the configs `opto train --preset fig5b-<c> --seqs <n> --eval-every 2000` writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PRESET_HEADS, FIG5B_CONDITIONS, mergeConfig, presetConfig, type PresetHeads } from '@optoscope/engine';
import { gatherEvidence, judgeClaims, writeReport, type ClaimResult } from '@optoscope/engine/report';
import { lossAt, writeCurveRun, type CurveShape } from '@optoscope/engine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as reportRoute from '../app/api/report/route';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dash-report-'));
const root = path.join(tmp, 'runs');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The config `opto train --preset fig5b-<c> --seqs <seqs> --eval-every 2000 --out runs/<name>` writes. */
const handMade = (condition: string, seqs: number, heads: PresetHeads = DEFAULT_PRESET_HEADS) =>
  mergeConfig(presetConfig(`fig5b-${condition}`, heads), { name: `mine-${condition}`, schedule: { seqs, evalEvery: 2000, ckptEvery: 10_000 } });

// Shaped like this data's runs: the unclamped one still on its plateau at 2×10⁵, the PT-clamped one
// dropping, the four fast conditions below 0.1 well within 10⁵.
const SHAPES: Record<(typeof FIG5B_CONDITIONS)[number], CurveShape> = {
  none: { start: 1.9, drop: 300_000 },
  pt: { start: 1.9, drop: 130_000 },
  layer1: { start: 1.65, drop: null, tau: 15_000 },
  match: { start: 0.8, drop: null, tau: 8_000 },
  copy: { start: 0.83, drop: null, tau: 12_000 },
  'layer1-copy': { start: 0.78, drop: null, tau: 9_000 },
};
const LENGTH: Record<string, number> = { none: 200_000, pt: 200_000 };

beforeAll(() => {
  for (const c of FIG5B_CONDITIONS) writeCurveRun(path.join(root, `mine-${c}`), handMade(c, LENGTH[c] ?? 100_000), SHAPES[c]);
  // An unclamped run on another induction head: no catalog role by its config, only by --role.
  writeCurveRun(path.join(root, 'other-ih-none'), handMade('none', 200_000, { ...DEFAULT_PRESET_HEADS, ih: '1:6' }), { start: 1.9, drop: 90_000 });
  process.env.OPTO_RUNS_DIR = root;
  delete process.env.OPTO_RUNS_LOCATION;
});

type Live = { claims: ClaimResult[]; summary: Record<string, number>; roles: Record<string, string>; rolesOutside: string[] };
async function live(): Promise<{ status: number; live: Live; available: boolean }> {
  const r = await reportRoute.GET();
  const body = await r.json();
  return { status: r.status, live: body.live, available: body.available };
}

/** A claim as the API serves it: the runs directory's absolute path shown as <runs>. */
const served = (c: ClaimResult) => JSON.parse(JSON.stringify(c).split(fs.realpathSync(root)).join('<runs>').split(root).join('<runs>'));

/** The first eval in a run's metrics file with fsl_train loss below `level`: read from the file, not through the engine. */
function firstBelowInFile(run: string, level: number): number | null {
  const rows = fs
    .readFileSync(path.join(root, run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'eval' && r.set === 'fsl_train')
    .sort((a, b) => a.seqs - b.seqs);
  return rows.find((r) => r.loss < level)?.seqs ?? null;
}

describe("the report page on a user's own runs", () => {
  it('judges claims 13-16 on them as opto report does, marked as shorter runs, and names the missing roles', async () => {
    // No opto report here yet: judged all the same (claim 18's analyses of the None run are not stored yet).
    const first = await live();
    expect(first.status).toBe(200);
    expect(first.available).toBe(false);
    for (const id of [13, 14, 15, 16]) expect(['pass', 'fail']).toContain(first.live.claims.find((c) => c.id === id)!.status);
    // Once opto report has run (and stored its analyses), the page's verdicts are its verdicts, claim by claim.
    const { report } = await writeReport(root);
    const a = await live();
    expect(a.available).toBe(true);
    expect(a.live.claims.map((c) => c.id)).toEqual(report.claims.map((c) => c.id));
    for (const [i, c] of a.live.claims.entries()) expect(c, `claim ${c.id}`).toEqual(served(report.claims[i]));
    expect(a.live.summary).toEqual(report.summary);
    const byId = new Map(a.live.claims.map((c) => [c.id, c]));
    for (const id of [13, 14, 15, 16]) {
      const c = byId.get(id)!;
      expect(['pass', 'fail'], `${id}: ${c.measured}`).toContain(c.status);
      expect(c.runs.every((r) => r.startsWith('mine-'))).toBe(true);
    }
    expect(byId.get(13)!.measured).toContain('fig5b:pt: judged on a shorter run (2e5 of 6e5 sequences), mine-pt');
    expect(byId.get(14)!.measured).toContain('fig5b:match: judged on a shorter run (1e5 of 6e5 sequences), mine-match');
    // Claim 14's "< 0.1 from" is the match run's first eval below 0.1 in its metrics file.
    const below = firstBelowInFile('mine-match', 0.1);
    expect(below).toBe(Array.from({ length: 51 }, (_, i) => i * 2000).find((x) => lossAt(x, SHAPES.match) < 0.1));
    expect(byId.get(14)!.numbers.below01).toBe(below);
    // Fig. 6's runs are not here: named, with the sweep that trains them, in <runs> terms.
    const c19 = byId.get(19)!;
    expect(c19.status).toBe('missing');
    expect(c19.measured).toMatch(/^no finished run for fig6:/);
    expect(c19.commands.every((x) => / --runs <runs> --resume$/.test(x))).toBe(true);
  }, 120_000);

  it("uses the last opto report's --role assignments, and judges without those that point outside the runs directory", async () => {
    const { report } = await writeReport(root, { assign: { 'fig5b:none': 'other-ih-none' } });
    expect(report.roles).toEqual({ 'fig5b:none': path.join(root, 'other-ih-none') });
    const b = await live();
    expect(b.available).toBe(true);
    expect(b.live.roles).toEqual({ 'fig5b:none': '<runs>/other-ih-none' });
    for (const [i, c] of b.live.claims.entries()) expect(c, `claim ${c.id}`).toEqual(served(report.claims[i]));
    const c13 = b.live.claims.find((c) => c.id === 13)!;
    // This None learns (at its first eval below 0.4·ln 2) before the PT-clamped run: 13 now fails.
    expect(c13.status).toBe('fail');
    expect(c13.measured).toContain('fig5b:none: assigned by --role, judged on a shorter run (2e5 of 6e5 sequences), other-ih-none');
    expect(c13.numbers.unclamped).toBe(firstBelowInFile('other-ih-none', 0.4 * Math.LN2));

    const outside = path.join(tmp, 'elsewhere-none');
    fs.cpSync(path.join(root, 'other-ih-none'), outside, { recursive: true });
    await writeReport(root, { assign: { 'fig5b:none': outside } });
    const c = await live();
    expect(c.live.rolesOutside).toEqual(['fig5b:none']);
    expect(c.live.roles).toEqual({});
    const without = judgeClaims(await gatherEvidence(root, { analyses: false }), root);
    expect(c.live.claims.find((x) => x.id === 13)).toEqual(served(without.find((x) => x.id === 13)!));
    expect(c.live.claims.find((x) => x.id === 13)!.status).toBe('pass');
  }, 120_000);

  it('judges again when a run changes', async () => {
    const before = (await live()).live.claims.find((c) => c.id === 15)!;
    expect(before.status).toBe('pass');
    // The Layer 1 + copy run replaced by one that starts at 1.6 (claim 15 asks ≈ 0.7-0.8).
    fs.rmSync(path.join(root, 'mine-layer1-copy'), { recursive: true });
    writeCurveRun(path.join(root, 'mine-layer1-copy'), handMade('layer1-copy', 100_000), { start: 1.6, drop: null, tau: 9_000 });
    await new Promise((r) => setTimeout(r, 5200)); // the page judges a changed directory at most every 5 s
    const after = (await live()).live.claims.find((c) => c.id === 15)!;
    expect(after.status).toBe('fail');
    expect(after.measured).toMatch(/^starts at 1\.600/);
  }, 120_000);
});
