/**
 * Issue 16 items 5 and 6: the report on a user's own runs (matched by config, judged where a claim's
 * window allows, or assigned with --role) and verdicts over init seeds ("k of n seeds pass"). Every
 * expected verdict is derived here from the curves the fixture writes, not read back from the code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../config.js';
import { LN2, LEARNED_LOSS } from '../metrics.js';
import { DEFAULT_PRESET_HEADS, presetConfig, type PresetHeads } from '../presets.js';
import { FIG5B_CONDITIONS, PAPER_SWEEPS } from '../sweep/paperRuns.js';
import { PAPER_SEEDS, paperSeedsMains, paperSeedsRest, seedRole, seedSet } from '../sweep/paperSeeds.js';
import { paperSweep } from '../sweep/presets.js';
import { expandSweep } from '../sweep/spec.js';
import { judgeClaims, numberName, seedsNeeded } from './claims.js';
import { runEvidence, type Evidence } from './evidence.js';
import { findPaperRuns } from './find.js';
import { lossAt, passingEvidence, syntheticRun, writeCurveRun, type CurveShape } from './testing.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-anyruns-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** What `opto train --preset fig5b-<c> --seqs <n> --eval-every 2000 --out <dir>` writes as its config. */
const handMade = (condition: string, seqs: number, heads: PresetHeads = DEFAULT_PRESET_HEADS) =>
  mergeConfig(presetConfig(`fig5b-${condition}`, heads), { name: `mine-${condition}`, schedule: { seqs, evalEvery: 2000, ckptEvery: 10_000 } });

/** The eval grid the fixture writes (every 2000 sequences up to `total`) and the loss on it. */
const grid = (total: number) => Array.from({ length: total / 2000 + 1 }, (_, i) => i * 2000);
/** First eval where the curve is below `level` (Infinity if never): straight from the shape, not the report's code. */
const firstBelow = (shape: CurveShape, total: number, level: number) => grid(total).find((x) => lossAt(x, shape) < level) ?? Infinity;

// Fig. 5b's six conditions as a user might train them for 2×10⁵ sequences (the catalog's are 6×10⁵).
const SHAPES: Record<(typeof FIG5B_CONDITIONS)[number], CurveShape> = {
  none: { start: 1.9, drop: 300_000 }, // still on its plateau at 2×10⁵
  pt: { start: 1.9, drop: 130_000 },
  layer1: { start: 1.65, drop: null, tau: 15_000 },
  match: { start: 0.8, drop: null, tau: 8_000 },
  copy: { start: 0.83, drop: null, tau: 12_000 },
  'layer1-copy': { start: 0.78, drop: null, tau: 9_000 },
};

function writeFig5b(dir: string, total: number, shapes = SHAPES): void {
  for (const c of FIG5B_CONDITIONS) writeCurveRun(path.join(dir, `mine-${c}`), handMade(c, total), shapes[c]);
}

const byId = (e: Evidence) => new Map(judgeClaims(e).map((c) => [c.id, c]));

/** Evidence from a runs directory without the model analyses (they need checkpoints). */
function evidenceOf(dir: string, assign?: Record<string, string>): Evidence {
  const found = findPaperRuns(dir, undefined, undefined, { assign });
  const runs = Object.fromEntries([...found.paper].map(([role, f]) => [role, runEvidence(f)]));
  return { runsDir: dir, heads: { paper: DEFAULT_PRESET_HEADS }, runs, dataRuns: {}, seeds: [], toy: passingEvidence().toy };
}

describe("the report on a user's own runs", () => {
  it('judges claims 13-16 on hand-made Fig. 5b runs of 2×10⁵ sequences, marked as shorter runs, with verdicts the curves imply', () => {
    const dir = tmp();
    writeFig5b(dir, 200_000);
    const claims = byId(evidenceOf(dir));
    // The curves' own numbers, on the written eval grid.
    const below01 = (c: keyof typeof SHAPES) => firstBelow(SHAPES[c], 200_000, 0.1);
    const learned = (c: keyof typeof SHAPES) => firstBelow(SHAPES[c], 200_000, LEARNED_LOSS);
    expect(below01('match')).toBeLessThanOrEqual(75_000); // ≈ 5×10⁴ within a factor 1.5
    expect(below01('layer1-copy')).toBeLessThanOrEqual(75_000);
    expect(learned('pt')).toBeLessThan(200_000);
    expect(learned('none')).toBe(Infinity); // the unclamped run has not left its plateau: "no later" holds
    for (const id of [13, 14, 15, 16]) {
      const c = claims.get(id)!;
      expect(c.status, `${id}: ${c.measured}`).toBe('pass');
      expect(c.measured).toMatch(/judged on a shorter run \(2e5 of 6e5 sequences\)/);
      expect(c.runs.every((r) => r.startsWith('mine-'))).toBe(true);
    }
    expect(claims.get(14)!.numbers.below01).toBe(below01('match'));
    expect(claims.get(13)!.numbers.learningTime).toBe(learned('pt'));
    // Claim 18 needs the eval-time clamps on the None run's checkpoints, 19 the Fig. 6 runs: still missing.
    expect(claims.get(18)!.status).toBe('missing');
    expect(claims.get(19)!.status).toBe('missing');
  });

  it('fails them on hand-made runs whose curves break the claims, and says a run shorter than the window is too short', () => {
    const dir = tmp();
    // Match clamp slow (0.1 reached after 75k); copy clamp on a plateau until its drop at 1.9×10⁵, so not
    // below 0.1 by the end of the run, where the unclamped run is still on its plateau.
    const broken = { ...SHAPES, match: { start: 0.8, drop: null, tau: 40_000 }, copy: { start: 1.9, drop: 190_000 } };
    expect(firstBelow(broken.match, 200_000, 0.1)).toBeGreaterThan(75_000);
    expect(firstBelow(broken.copy, 200_000, 0.1)).toBe(Infinity);
    writeFig5b(dir, 200_000, broken);
    const claims = byId(evidenceOf(dir));
    expect(claims.get(14)!.status).toBe('fail');
    expect(claims.get(15)!.status).toBe('pass');
    // The unclamped run is still on its plateau at the end, so the copy clamp could still converge before
    // it leaves: open, missing rather than failed.
    expect(claims.get(16)!.status, claims.get(16)!.measured).toBe('missing');
    expect(claims.get(16)!.measured).toMatch(/^undecided on these runs, .*unclamped plateau .* \(still on it at 200k\); .*copy: shoulder .*, < 0\.1 from never/);
    // Where the unclamped run has left its plateau (drop at 1.5×10⁵) before the end, the copy clamp's
    // "< 0.1 before then" is decided: it failed.
    const left = tmp();
    const earlyNone: CurveShape = { start: 1.9, drop: 150_000 };
    expect(firstBelow(earlyNone, 200_000, LEARNED_LOSS)).toBeLessThan(200_000);
    writeFig5b(left, 200_000, { ...broken, none: earlyNone });
    const c16 = byId(evidenceOf(left)).get(16)!;
    expect(c16.status, c16.measured).toBe('fail');
    expect(c16.numbers.unclampedLeaves).toBeLessThan(150_000);
    expect(c16.numbers.copyConverged).toBeNull();
    // A PT-clamped run still on its plateau at 2×10⁵, like the unclamped one: neither has dropped, so
    // "no later" is open; missing, not pass or fail.
    const late = tmp();
    writeFig5b(late, 200_000, { ...SHAPES, pt: { start: 1.9, drop: 280_000 } });
    expect(firstBelow({ start: 1.9, drop: 280_000 }, 200_000, LEARNED_LOSS)).toBe(Infinity);
    const c13 = byId(evidenceOf(late)).get(13)!;
    expect(c13.status).toBe('missing');
    expect(c13.measured).toMatch(/^undecided on these runs, a longer run decides: PT clamp: plateau .*, still on it at 200k, not learned by 200k; unclamped: plateau .*, still on it at 200k, not learned by 200k/);
    expect(c13.commands).toEqual([`opto sweep fig5b --runs ${late} --resume`]);
    // 5×10⁴ sequences cannot show "< 0.1 within ≈ 5×10⁴" (window 10⁵): missing, and why.
    const short = tmp();
    writeCurveRun(path.join(short, 'mine-match'), handMade('match', 50_000), SHAPES.match);
    const c14 = byId(evidenceOf(short)).get(14)!;
    expect(c14.status).toBe('missing');
    expect(c14.measured).toMatch(/too short: fig5b:match \(mine-match, 50k of the 100k sequences claim 14 needs\)/);
    expect(c14.commands).toEqual([`opto sweep fig5b --runs ${short} --resume`]);
  });

  it('13 decides on runs that end before either learns, where one has entered its drop and the other is still on its plateau', () => {
    // Neither curve reaches 0.4·ln 2 by 2×10⁵ (the learning times cannot order them), but one is halfway
    // down its sigmoidal drop at the end (centred at 2×10⁵) while the other's drop is 10⁵ away.
    const dropping: CurveShape = { start: 1.9, drop: 200_000 };
    const waiting: CurveShape = { start: 1.9, drop: 300_000 };
    for (const s of [dropping, waiting]) expect(firstBelow(s, 200_000, LEARNED_LOSS)).toBe(Infinity);
    expect(lossAt(200_000, dropping)).toBeLessThan(lossAt(150_000, dropping) - 0.25); // falling fast at the end
    expect(lossAt(150_000, waiting) - lossAt(200_000, waiting)).toBeLessThan(0.05); // flat at the end
    const judged = (pt: CurveShape, none: CurveShape) => {
      const dir = tmp();
      writeFig5b(dir, 200_000, { ...SHAPES, pt, none });
      return byId(evidenceOf(dir)).get(13)!;
    };
    const first = judged(dropping, waiting);
    expect(first.status, first.measured).toBe('pass');
    expect(first.measured).toMatch(/^PT clamp: plateau .*, leaves it at \d+k, not learned by 200k; unclamped: plateau .*, still on it at 200k, not learned by 200k/);
    // It leaves the plateau where the drop begins: within the sigmoid's first ~4 widths (12k) before its centre.
    expect(first.numbers.ptDrop).toBeGreaterThan(140_000);
    expect(first.numbers.ptDrop).toBeLessThan(200_000);
    expect(first.numbers.unclampedDrop).toBeNull();
    // The other way round the PT-clamped run is still on its plateau after the unclamped one dropped.
    const second = judged(waiting, dropping);
    expect(second.status, second.measured).toBe('fail');
    expect(second.measured).toMatch(/PT clamp: plateau .*, still on it at 200k, .*; unclamped: plateau .*, leaves it at \d+k/);
  });

  it("prefers the catalog's exact run over a hand-made one of the same config, and ignores runs of another config", () => {
    const dir = tmp();
    const exact = expandSweep(paperSweep('fig5b', PAPER_SWEEPS.fig5b.select)).members.find((m) => m.config.preset === 'fig5b-match')!;
    writeCurveRun(path.join(dir, 'z-mine'), handMade('match', 200_000), SHAPES.match);
    writeCurveRun(path.join(dir, exact.id), exact.config, SHAPES.match, 5000);
    // Another learning rate, and another IH, are other runs: no role.
    writeCurveRun(path.join(dir, 'other-lr'), mergeConfig(handMade('pt', 200_000), { optim: { lr: 3e-4 } }), SHAPES.pt);
    writeCurveRun(path.join(dir, 'other-ih'), handMade('pt', 200_000, { ...DEFAULT_PRESET_HEADS, ih: '1:6' }), SHAPES.pt);
    const found = findPaperRuns(dir).paper;
    expect([found.get('fig5b:match')!.id, found.get('fig5b:match')!.match]).toEqual([exact.id, 'exact']);
    expect(found.has('fig5b:pt')).toBe(false);
    fs.rmSync(path.join(dir, exact.id), { recursive: true });
    expect([findPaperRuns(dir).paper.get('fig5b:match')!.id, findPaperRuns(dir).paper.get('fig5b:match')!.match]).toEqual(['z-mine', 'config']);
  });

  it('--role assigns a run to a role by hand (by path or by ID), and refuses unknown roles and non-runs in one line', () => {
    const dir = tmp();
    writeFig5b(dir, 200_000);
    // A None run on another IH is no catalog run; assigned, claims 13 and 16 read it.
    const elsewhere = path.join(tmp(), 'my-none');
    writeCurveRun(elsewhere, handMade('none', 200_000, { ...DEFAULT_PRESET_HEADS, ih: '1:6' }), { start: 1.9, drop: 90_000 });
    fs.rmSync(path.join(dir, 'mine-none'), { recursive: true });
    expect(byId(evidenceOf(dir)).get(13)!.status).toBe('missing');
    const claims = byId(evidenceOf(dir, { 'fig5b:none': elsewhere }));
    // This None learns at the first eval below 0.4·ln 2, before the PT-clamped run: claim 13 fails.
    const noneLearns = firstBelow({ start: 1.9, drop: 90_000 }, 200_000, LEARNED_LOSS);
    expect(noneLearns).toBeLessThan(firstBelow(SHAPES.pt, 200_000, LEARNED_LOSS));
    const c13 = claims.get(13)!;
    expect(c13.status).toBe('fail');
    expect(c13.numbers.unclamped).toBe(noneLearns);
    expect(c13.measured).toMatch(/fig5b:none: assigned by --role, judged on a shorter run \(2e5 of 6e5 sequences\), my-none/);
    expect(c13.runs).toContain('my-none');
    expect(findPaperRuns(dir, undefined, undefined, { assign: { 'fig5b:pt': 'mine-pt' } }).paper.get('fig5b:pt')!.match).toBe('assigned');
    expect(() => findPaperRuns(dir, undefined, undefined, { assign: { 'fig5b:nope': elsewhere } })).toThrow(/^--role fig5b:nope=.*: no such role/);
    expect(() => findPaperRuns(dir, undefined, undefined, { assign: { 'fig5b:none': path.join(dir, 'absent') } })).toThrow(/^--role fig5b:none=.*absent: not a readable run directory/);
  });
});

describe('verdicts over init seeds (opto sweep paper-seeds)', () => {
  const otherHeads: Record<number, PresetHeads> = { 6: { ih: '1:5', pt: '0:3', ptGroup: ['0:3', '0:4'] }, 7: { ih: '1:7', pt: '0:1', ptGroup: ['0:1'] } };

  /** Seeds 6 and 7 as copies of seed 5's passing Fig. 5b runs, under their roles. */
  function withSeeds(e: Evidence, pt: Record<number, CurveShape> = {}): Evidence {
    e.seedHeads = otherHeads;
    for (const s of [6, 7]) {
      for (const role of ['main', ...FIG5B_CONDITIONS.map((c) => `fig5b:${c}`)]) e.runs[seedRole(s, role)] = { ...e.runs[role], id: `s${s}-${role}` };
      if (pt[s]) e.runs[seedRole(s, 'fig5b:pt')] = syntheticRun(`s${s}-pt`, 6e5, 1000, pt[s]);
    }
    return e;
  }
  const learnAt = (shape: CurveShape, total: number, every: number) =>
    Array.from({ length: total / every + 1 }, (_, i) => i * every).find((x) => lossAt(x, shape) < 0.4 * LN2) ?? total;

  it('a claim passes when 2 of 3 seeds pass and fails at 1 of 3, saying k and n with the median numbers', () => {
    const late: CurveShape = { start: 1.9, drop: 420_000 }; // PT-clamped run learns after the unclamped one (≈ 3×10⁵)
    const two = byId(withSeeds(passingEvidence(), { 7: late })).get(13)!;
    expect(two.status).toBe('pass');
    expect(two.measured).toMatch(/^2 of 3 seeds pass \(seeds 5 pass, 6 pass, 7 fail; passing needs 2 of 3\)/);
    expect(two.measured).toMatch(/seed 7 \(its own heads, IH 1:7, PT 0:1\): fail/);
    // Seed 5 first in the per-seed list, with its heads; the medians named in words.
    expect(two.measured).toMatch(/; medians over the seeds: plateau \d+k, .*learning time \d+k, unclamped \d+k · seed 5 \(the paper's heads, IH 1:3, PT 0:2\): pass, PT clamp: .* · seed 6 \(its own heads, IH 1:5, PT 0:3\): pass, .* · seed 7 /);
    expect([two.numbers.seedsPass, two.numbers.seedsJudged]).toEqual([2, 3]);
    // The median learning time of the three PT-clamped runs, from their curves.
    const pt5 = learnAt({ start: 1.9, drop: 190_000 }, 6e5, 1000);
    const times = [pt5, pt5, learnAt(late, 6e5, 1000)].sort((a, b) => a - b);
    expect(two.numbers['median:learningTime']).toBe(times[1]);
    expect(two.measured).toContain(`learning time ${Math.round(times[1] / 1000)}k`);
    expect(two.runs).toEqual(expect.arrayContaining(['s6-fig5b:pt', 's7-pt']));
    const one = byId(withSeeds(passingEvidence(), { 6: late, 7: late })).get(13)!;
    expect(one.status).toBe('fail');
    expect(one.measured).toMatch(/^1 of 3 seeds pass/);
    // Only the Fig. 5b and Fig. 6 claims go over seeds (the main run's claims do not, though seeds 6 and
    // 7 have main runs), and only where another seed has all their runs (19 needs Fig. 6's).
    const claims = byId(withSeeds(passingEvidence()));
    expect(claims.get(14)!.measured).toMatch(/^3 of 3 seeds pass/);
    for (const id of [1, 2, 3, 18, 19]) expect(claims.get(id)!.measured, `${id}`).not.toMatch(/seeds pass/);
    expect([seedsNeeded(2), seedsNeeded(3), seedsNeeded(4)]).toEqual([2, 2, 3]);
    expect(['learningTime', 'below01', 'normal15over5', 'bMaxOverMin', 'layer1Converged'].map(numberName)).toEqual(['learning time', 'below 0.1 from', 'normal 15/5', 'b max/min', 'layer1 converged']);
  });

  it("paper-seeds trains each seed's set on its own heads, reusing the IDs paper-main --heads-from, fig7 and fig18-seeds give", () => {
    const fiveHeads: PresetHeads = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    const mains = paperSeedsMains(DEFAULT_PRESET_HEADS);
    const id = (name: string, heads?: PresetHeads) => expandSweep(paperSweep(name, PAPER_SWEEPS[name].select, heads)).members.map((m) => m.id);
    expect(mains.map((m) => m.config.seeds.init)).toEqual(PAPER_SEEDS);
    expect(mains[0].id).toBe(id('fig3')[0]);
    expect(id('fig7')).toEqual(mains.slice(1).map((m) => m.id));
    const rest = paperSeedsRest({ 5: fiveHeads, ...otherHeads });
    const ids = new Set(rest.map((m) => m.id));
    // Seed 5: exactly paper-main on its own heads, less the main run.
    for (const x of id('paper-main', fiveHeads).slice(1)) expect(ids.has(x), x).toBe(true);
    // Seeds 6, 7: their single-head runs are App. Fig. 18's.
    const fig18 = expandSweep(paperSweep('fig18-seeds', PAPER_SWEEPS['fig18-seeds'].select)).members.filter((m) => [6, 7].includes(m.config.seeds.init) && m.config.preset!.startsWith('only-'));
    expect(fig18).toHaveLength(16);
    for (const m of fig18) expect(ids.has(m.id), m.id).toBe(true);
    const seed6 = rest.filter((m) => m.config.seeds.init === 6 && m.id.startsWith('paper-seeds-'));
    expect(seed6.length).toBe(seedSet(6, otherHeads[6]).filter((r) => r.set === 'paper-seeds').length);
    const pt = seed6.find((m) => m.config.preset === 'fig5b-pt')!;
    expect(JSON.stringify(pt.config.interventions)).toContain('"0:3"');
    expect(pt.config.interventions?.ablate).not.toContain('1:5'); // IH 1:5 is the one head kept active
    expect(rest.length + mains.length).toBe(3 * id('paper-main').length);
  });

  it("finds seeds 6 and 7's clamp runs once their heads are known", () => {
    const dir = tmp();
    const run = seedSet(6, otherHeads[6]).find((r) => r.role === seedRole(6, 'fig5b:pt'))!;
    writeCurveRun(path.join(dir, 'seed6-pt'), mergeConfig(run.config, { name: 'x', schedule: { evalEvery: 5000 } }), SHAPES.pt, 5000);
    expect(findPaperRuns(dir).paper.size).toBe(0);
    const found = findPaperRuns(dir, undefined, undefined, { seedHeads: otherHeads }).paper;
    expect([...found.keys()]).toEqual(['seed:6:fig5b:pt']);
  });
});

describe('claim 23', () => {
  it('a failure from a negative strength that generalises points to the experiment that explains it; a pass does not', () => {
    const e = passingEvidence();
    expect(byId(e).get(23)!.measured).not.toMatch(/negative copy/);
    // s = 0 (the last strength) fits and generalises: held-out loss well under ln 2.
    e.runs['fig15:15'] = syntheticRun('s0', 6e5, 5000, { start: 1.2, drop: 50_000 });
    const c = byId(e).get(23)!;
    expect(c.status).toBe('fail');
    expect(c.measured).toMatch(/^why negative strengths can generalise .*negative copy.*tools\/experiments\/claim23-negative-copy\.sh/);
  });
});
