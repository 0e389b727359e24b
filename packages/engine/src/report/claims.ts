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
import type { ClaimDef } from './claim.js';
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
    const complete = choices.filter((ch) => c.needs.every((n) => available(evidenceView(e, ch), n)));
    if (!complete.length) return { ...base, ...missingResult(c, evidenceView(e, choices[0]), runsDir, choices[0] === 'data') };
    const judged = complete.map((ch) => ({ ch, view: evidenceView(e, ch), v: c.judge(evidenceView(e, ch)) }));
    const [primary, other] = judged;
    const note = dependent ? ` [${describeHeads(e, primary.ch)}]` : '';
    const alt = other ? ` · with ${describeHeads(e, other.ch)}: ${other.v.ok ? 'pass' : 'fail'}, ${other.v.measured}` : '';
    return {
      ...base,
      runs: runsRead(c, primary.view),
      status: (primary.v.ok ? 'pass' : 'fail') as ClaimStatus,
      measured: primary.v.measured + note + alt,
      numbers: primary.v.numbers,
      commands: [],
    };
  });
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
  for (const need of c.needs.filter((n) => !available(e, n))) {
    const role = need === 'main-analyses' ? 'main' : need === 'fig10' ? 'fig5b:none' : need;
    const run = e.runs[role];
    if (run?.status === 'finished') {
      // The run is there; only its analyses are not (gathered with analyses off).
      reasons.push(`the analyses of ${run.id} were skipped (--no-analyses)`);
      commands.add(`opto report --runs ${runsDir}${dataFlags(e.data)}`);
      continue;
    }
    if (run) reasons.push(`unfinished: ${role} (${run.id}, ${k(run.seqs)} of ${k(run.totalSeqs)})`);
    else absent.push(role);
    // With the main run done, clamp runs should use its heads (pitfall 10).
    const headsFrom = headsFromMain && CLAMP_ROLE.test(role) && e.runs.main ? ` --heads-from ${path.join(runsDir, e.runs.main.id)}` : '';
    commands.add(`opto sweep ${presetForRole(role)} --runs ${runsDir} --resume${dataFlags(e.data)}${headsFrom}`);
  }
  if (absent.length) reasons.unshift(`no finished run for ${absent.join(', ')}`);
  return { status: 'missing' as ClaimStatus, runs: runsRead(c, e), measured: reasons.join('; '), numbers: {}, commands: [...commands] };
}

/** Is the evidence `need` present (a finished run, or the named analyses)? */
function available(e: Evidence, need: string): boolean {
  if (need === 'main-analyses') return e.main !== undefined;
  if (need === 'fig10') return e.fig10 !== undefined;
  const run = e.runs[need];
  return run !== undefined && run.status === 'finished';
}
