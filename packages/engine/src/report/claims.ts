/**
 * The reproduction checklist (paper spec section 11) as checks on measured evidence. Each claim lives
 * with its figure (`paper/<figure>.ts`: the checklist's words quoted, and how they become numbers); the
 * curve statistics it uses (learning time, plateau, "slows down", ...) are defined once in `curves.ts`.
 * A claim names the catalog roles it reads; if one is absent or unfinished the claim is `missing` with
 * the command that trains it. Otherwise it is `pass` or `fail` with the numbers.
 */
import * as path from 'node:path';
import type { Evidence } from './evidence.js';
import { presetForRole } from './find.js';
import { dataFlags } from '../sweep/data.js';
import type { ClaimResult, ClaimStatus } from './types.js';
import type { ClaimDef, Verdict } from './claim.js';
import { DEFAULT_PRESET_HEADS } from '../presets.js';
import { mainSet } from '../sweep/paperRuns.js';
import { PAPER_SEEDS, seedRole } from '../sweep/paperSeeds.js';
import { k } from './format.js';
import { SETUP_CLAIMS } from './paper/setup.js';
import { HEADS_CLAIMS } from './paper/heads.js';
import { WIRING_CLAIMS } from './paper/wiring.js';
import { FIG5B_CLAIMS } from './paper/fig5b.js';
import { TOY_CLAIMS } from './paper/toy.js';
import { FIG6_CLAIMS } from './paper/fig6.js';
import { FIG8_CLAIMS } from './paper/fig8.js';
import { FIG7_CLAIMS } from './paper/fig7.js';
import { FIG15_CLAIMS } from './paper/fig15.js';

/** Every checklist claim, in checklist order. */
export const CLAIMS: ClaimDef[] = [...SETUP_CLAIMS, ...HEADS_CLAIMS, ...WIRING_CLAIMS, ...FIG5B_CLAIMS, ...TOY_CLAIMS, ...FIG6_CLAIMS, ...FIG8_CLAIMS, ...FIG7_CLAIMS, ...FIG15_CLAIMS].sort((a, b) => a.id - b.id);

/** Roles whose config depends on the clamped heads. */
export const CLAMP_ROLE = /^(fig5b|fig6|fig8|fig15):/;

export type HeadsChoice = 'paper' | 'data';

/**
 * The evidence as seen with one choice of clamped heads: head-independent runs, plus the clamp runs on
 * seed 5's heads ('paper') or on this data's ('data'). A claim never mixes the two.
 */
export function evidenceView(e: Evidence, choice: HeadsChoice): Evidence {
  if (choice === 'paper') return e;
  const shared = Object.fromEntries(Object.entries(e.runs).filter(([role]) => !CLAMP_ROLE.test(role)));
  return { ...e, runs: { ...shared, ...e.dataRuns }, fig10: e.fig10Data };
}

function describeHeads(e: Evidence, choice: HeadsChoice): string {
  const h = choice === 'data' ? e.heads.data! : e.heads.paper;
  return `${choice === 'data' ? "this data's heads, from its main run" : "seed 5's heads (the paper's)"}: IH ${h.ih}, PT ${h.pt}, group {${h.ptGroup.join(', ')}}`;
}

/**
 * Judge every claim on `e`; `runsDir` goes into the commands for missing runs. A claim that reads clamp
 * runs is judged on this data's heads when all its runs exist with them (pitfall 10), else on seed 5's;
 * when both sets are complete the other verdict is added to the measured text.
 */
export function judgeClaims(e: Evidence, runsDir = e.runsDir): ClaimResult[] {
  return CLAIMS.map((c) => {
    const base = { id: c.id, title: c.title, group: c.group, figures: c.figures };
    const dependent = c.needs.some((n) => n === 'fig10' || CLAMP_ROLE.test(n));
    const choices: HeadsChoice[] = dependent && e.heads.data ? ['data', 'paper'] : ['paper'];
    const complete = choices.filter((ch) => c.needs.every((n) => available(evidenceView(e, ch), n, c)));
    if (!complete.length) return { ...base, ...missingResult(c, evidenceView(e, choices[0]), runsDir, choices[0] === 'data') };
    const judged = complete.map((ch) => ({ ch, view: evidenceView(e, ch), v: c.judge(evidenceView(e, ch)) }));
    const [primary, other] = judged;
    const note = dependent ? ` [${describeHeads(e, primary.ch)}]` : '';
    const alt = other ? ` · with ${describeHeads(e, other.ch)}: ${other.v.ok ? 'pass' : 'fail'}, ${other.v.measured}` : '';
    if (primary.v.undecided) return { ...base, ...undecidedResult(c, primary.view, runsDir, primary.v.measured + note + howMatched(c, primary.view)) };
    const single = { ok: primary.v.ok, measured: primary.v.measured + note + alt + howMatched(c, primary.view), numbers: primary.v.numbers };
    const fiveHeads = primary.ch === 'data' ? e.heads.data! : e.heads.paper;
    const fiveText = `seed 5 (${primary.ch === 'data' ? "this data's heads" : "the paper's heads"}, IH ${fiveHeads.ih}, PT ${fiveHeads.pt}): ${primary.v.ok ? 'pass' : 'fail'}, ${primary.v.measured}${alt}${howMatched(c, primary.view)}`;
    const v = overSeeds(c, e, primary.view, primary.v, fiveText) ?? single;
    return {
      ...base,
      runs: [...new Set([...runsRead(c, primary.view), ...seedViews(e).flatMap(({ view }) => (c.needs.every((n) => available(view, n, c)) ? runsRead(c, view) : []))])],
      status: (v.ok ? 'pass' : 'fail') as ClaimStatus,
      measured: v.measured,
      numbers: v.numbers,
      commands: [],
    };
  });
}

/** How many claims pass, fail and are missing (report.json's summary). */
export function summarize(claims: ClaimResult[]): { pass: number; fail: number; missing: number } {
  const count = (s: ClaimStatus) => claims.filter((c) => c.status === s).length;
  return { pass: count('pass'), fail: count('fail'), missing: count('missing') };
}

/** A claim its (shorter) runs cannot decide: missing, with the commands that train the catalog's full runs. */
function undecidedResult(c: ClaimDef, e: Evidence, runsDir: string, measured: string) {
  const short = c.needs.filter((n) => e.runs[n] && e.runs[n].seqs < (e.runs[n].catalogSeqs ?? e.runs[n].totalSeqs));
  const commands = [...new Set(short.map((role) => `opto sweep ${presetForRole(role)} --runs ${runsDir} --resume${dataFlags(e.data)}`))];
  return { status: 'missing' as ClaimStatus, runs: runsRead(c, e), measured: `undecided on these runs, a longer run decides: ${measured}`, numbers: {}, commands };
}

/** Run IDs a claim read in a view. */
function runsRead(c: ClaimDef, e: Evidence): string[] {
  const ids = c.needs.flatMap((n) => (n === 'main-analyses' ? (e.main ? [e.main.run] : []) : n === 'fig10' ? (e.fig10 ? [e.fig10.run] : []) : e.runs[n] ? [e.runs[n].id] : []));
  return [...new Set(ids)];
}

/** A `missing` verdict: which runs are absent or unfinished in `e`, and the commands that train them. */
function missingResult(c: ClaimDef, e: Evidence, runsDir: string, headsFromMain: boolean) {
  const absent: string[] = [];
  const reasons: string[] = [];
  const commands = new Set<string>();
  for (const need of c.needs.filter((n) => !available(e, n, c))) {
    const role = need === 'main-analyses' ? 'main' : need === 'fig10' ? 'fig5b:none' : need;
    const run = e.runs[role];
    // With the main run done, clamp runs should use its heads (pitfall 10).
    const headsFrom = headsFromMain && CLAMP_ROLE.test(role) && e.runs.main ? ` --heads-from ${path.join(runsDir, e.runs.main.id)}` : '';
    if (run?.status === 'finished' && run.seqs < (run.catalogSeqs ?? run.totalSeqs)) {
      reasons.push(`too short: ${role} (${run.id}, ${k(run.seqs)} of the ${k(c.window?.[role] ?? run.catalogSeqs ?? run.totalSeqs)} sequences claim ${c.id} needs)`);
      commands.add(`opto sweep ${presetForRole(role)} --runs ${runsDir} --resume${dataFlags(e.data)}${headsFrom}`);
      continue;
    }
    if (run?.status === 'finished') {
      // The run is there; only its analyses are not (gathered with analyses off, or only the stored ones read).
      reasons.push(e.analyses === 'stored' ? `the analyses of ${run.id} are not stored yet (opto report computes and stores them)` : `the analyses of ${run.id} were skipped (--no-analyses)`);
      commands.add(`opto report --runs ${runsDir}${dataFlags(e.data)}`);
      continue;
    }
    if (run) reasons.push(`unfinished: ${role} (${run.id}, ${k(run.seqs)} of ${k(run.totalSeqs)})`);
    else absent.push(role);
    commands.add(`opto sweep ${presetForRole(role)} --runs ${runsDir} --resume${dataFlags(e.data)}${headsFrom}`);
  }
  if (absent.length) reasons.unshift(`no finished run for ${absent.join(', ')}`);
  return { status: 'missing' as ClaimStatus, runs: runsRead(c, e), measured: reasons.join('; '), numbers: {}, commands: [...commands] };
}

/**
 * Is the evidence `need` present for claim `c`: the named analyses, or a finished run that reaches the
 * claim's window for the role (the catalog run's length unless the claim names less).
 */
function available(e: Evidence, need: string, c?: ClaimDef): boolean {
  if (need === 'main-analyses') return e.main !== undefined;
  if (need === 'fig10') return e.fig10 !== undefined;
  const run = e.runs[need];
  if (run === undefined || run.status !== 'finished') return false;
  const full = run.catalogSeqs ?? run.totalSeqs;
  return run.seqs >= Math.min(c?.window?.[need] ?? full, full);
}

/** The report's words for runs that are not the catalog's exact ones: shorter or longer, or assigned with --role. */
function howMatched(c: ClaimDef, e: Evidence): string {
  const notes = c.needs.flatMap((n) => {
    const r = e.runs[n];
    if (!r || r.match === undefined || r.match === 'exact') return [];
    const length = r.catalogSeqs !== undefined && r.seqs !== r.catalogSeqs ? `judged on a ${r.seqs < r.catalogSeqs ? 'shorter' : 'longer'} run (${sci(r.seqs)} of ${sci(r.catalogSeqs)} sequences)` : '';
    const assigned = r.match === 'assigned' ? 'assigned by --role' : '';
    return length || assigned ? [`${n}: ${[assigned, length].filter(Boolean).join(', ')}, ${r.id}`] : [];
  });
  return notes.length ? ` · ${notes.join('; ')}` : '';
}

/** `2e5`, `3.5e5`: sequence counts in the report's notes on run lengths. */
function sci(x: number): string {
  const p = Math.floor(Math.log10(Math.max(x, 1)));
  const m = Number((x / 10 ** p).toPrecision(3));
  return `${m}e${p}`;
}

/** Roles of the main-paper set: the claims judged per init seed read only these runs. */
const MAIN_ROLES = new Set(mainSet(DEFAULT_PRESET_HEADS).map((r) => r.role));

/** Seeds 6 and 7 (`opto sweep paper-seeds`) as evidence in seed 5's role names, each on its own heads. */
function seedViews(e: Evidence): { seed: number; view: Evidence }[] {
  return PAPER_SEEDS.filter((s) => s !== 5 && e.runs[seedRole(s, 'main')]).map((seed) => {
    const runs = Object.fromEntries([...MAIN_ROLES].flatMap((r) => (e.runs[seedRole(seed, r)] ? [[r, e.runs[seedRole(seed, r)]]] : [])));
    const heads = e.seedHeads?.[seed] ?? e.heads.paper;
    return { seed, view: { ...e, heads: { paper: heads }, runs, dataRuns: {}, main: undefined, fig10: undefined, fig10Data: undefined } };
  });
}

/** A claim over seeds passes when a majority of the seeds judged pass: 2 of 3, 2 of 2. */
export const seedsNeeded = (n: number): number => Math.floor(n / 2) + 1;

/**
 * Claim `c` over init seeds 5, 6, 7 (each on its own heads), when it reads clamp runs, only main-set
 * runs (claims 13-16, 19, 20), and at least one other seed has them all: "k of n seeds pass" with the
 * per-seed numbers and their medians. Seed 5's verdict is the one just judged (`five`, on `fiveView`).
 */
function overSeeds(c: ClaimDef, e: Evidence, fiveView: Evidence, five: Verdict, fiveText: string): Verdict | undefined {
  // The Fig. 5b and Fig. 6 claims: those whose verdict hangs on a seed's choice of heads.
  if (!c.needs.some((n) => CLAMP_ROLE.test(n)) || !c.needs.every((n) => MAIN_ROLES.has(n))) return undefined;
  const others = seedViews(e)
    .filter(({ view }) => c.needs.every((n) => available(view, n, c)))
    .map(({ seed, view }) => ({ seed, v: c.judge(view), view }))
    .filter(({ v }) => !v.undecided); // a seed whose runs cannot decide the claim is not counted in n
  if (!others.length) return undefined;
  const all = [{ seed: 5, v: five, view: fiveView }, ...others];
  const passed = all.filter((x) => x.v.ok).length;
  const n = all.length;
  const need = seedsNeeded(n);
  const keys = [...new Set(all.flatMap((x) => Object.keys(x.v.numbers)))];
  const medians = Object.fromEntries(keys.map((key) => [key, median(all.map((x) => x.v.numbers[key]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x)))]));
  const shown = keys.filter((key) => medians[key] !== null).map((key) => `${numberName(key)} ${fmtMedian(medians[key]!)}`);
  // Each seed's own verdict and numbers, seed 5 first, each with the heads its clamps used.
  const each = [fiveText, ...others.map(({ seed, v, view }) => `seed ${seed} (its own heads, IH ${view.heads.paper.ih}, PT ${view.heads.paper.pt}): ${v.ok ? 'pass' : 'fail'}, ${v.measured}${howMatched(c, view)}`)];
  return {
    ok: passed >= need,
    measured: `${passed} of ${n} seeds pass (seeds ${all.map((x) => `${x.seed} ${x.v.ok ? 'pass' : 'fail'}`).join(', ')}; passing needs ${need} of ${n})${shown.length ? `; medians over the seeds: ${shown.join(', ')}` : ''} · ${each.join(' · ')}`,
    numbers: { ...Object.fromEntries(keys.map((key) => [`median:${key}`, medians[key]])), seedsPass: passed, seedsJudged: n },
  };
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A verdict's number key in words: `learningTime` → "learning time", `normal15over5` → "normal 15/5", `bMaxOverMin` → "b max/min". */
export function numberName(key: string): string {
  if (key === 'below01') return 'below 0.1 from';
  return key
    .replace(/(\d+)over(\d+)/g, ' $1/$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/ ?Over ?/g, '/')
    .toLowerCase()
    .trim();
}

const fmtMedian = (x: number): string => (Math.abs(x) >= 1000 ? k(x) : Number(x.toPrecision(3)).toString());
