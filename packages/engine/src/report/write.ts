/**
 * `opto report --runs <dir>`: gather the evidence, judge the checklist, render every figure to SVG and
 * write `<dir>/report/{report.json, report.md, figures/*.svg}`, each file atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderSvg } from '../figures/render.js';
import { withJsonChecksum } from '../store/jsonChecksum.js';
import { makeDirs, writeFileAtomic, writeJsonAtomic } from '../store/atomic.js';
import { judgeClaims, summarize } from './claims.js';
import { APPROX, NO_PLATEAU, PLATEAU_SLOPE } from './curves.js';
import { gatherEvidence, type Evidence, type GatherOptions } from './evidence.js';
import { reportFigures } from './figures.js';
import { reportFile } from './read.js';
import { dataFlags } from '../sweep/data.js';
import { REPORT_VERSION, type ClaimResult, type FigureEntry, type Report } from './types.js';
import { headLabel } from '../interventions/heads.js';

export interface WriteReportResult {
  report: Report;
  dir: string;
  markdown: string;
}

/**
 * Judge and write the report into `<runsDir>/report/`. `location` is what the user named the runs by (an
 * s3:// URL when `runsDir` is its local cache): the commands for missing runs and the report's runsDir say it.
 */
export async function writeReport(runsDir: string, opts: GatherOptions & { location?: string } = {}): Promise<WriteReportResult> {
  const evidence = await gatherEvidence(runsDir, opts);
  return writeReportFrom(evidence, runsDir, opts.location, opts.assign);
}

/** Where each `--role <role>=<run>` assignment points: a run ID under `runsDir`, else a path (as `findPaperRuns` reads it). */
export function resolvedRoles(runsDir: string, assign: Record<string, string> = {}): Record<string, string> | undefined {
  const entries = Object.entries(assign).map(([role, where]) => [role, fs.existsSync(path.join(runsDir, where, 'run.json')) ? path.resolve(runsDir, where) : path.resolve(where)]);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The report of already-gathered evidence (tests build evidence by hand). */
export async function writeReportFrom(evidence: Evidence, runsDir: string, location = path.resolve(runsDir), assign?: Record<string, string>): Promise<WriteReportResult> {
  const dir = path.dirname(reportFile(runsDir));
  makeDirs(path.join(dir, 'figures'), `report directory ${dir}`);
  const claims = judgeClaims(evidence, location === path.resolve(runsDir) ? runsDir : location);
  const figures: FigureEntry[] = [];
  for (const f of reportFigures(evidence)) {
    const file = `figures/${f.id}.svg`;
    writeFileAtomic(path.join(dir, file), await renderSvg(f.spec));
    figures.push({ id: f.id, title: f.title, file, runs: f.runs });
  }
  const report: Report = {
    version: REPORT_VERSION,
    generatedAt: new Date().toISOString(),
    runsDir: location,
    data: evidence.data,
    roles: resolvedRoles(runsDir, assign),
    claims,
    figures,
    summary: summarize(claims),
  };
  const markdown = reportMarkdown(report, evidence);
  writeJsonAtomic(reportFile(runsDir), withJsonChecksum(report));
  writeFileAtomic(path.join(dir, 'report.md'), markdown);
  return { report, dir, markdown };
}

const ICON: Record<ClaimResult['status'], string> = { pass: '✅ pass', fail: '❌ fail', missing: '⏳ missing' };
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(r: Report, e: Evidence): string {
  const lines: string[] = [
    '# Reproduction report: "What needs to go right for an induction head?"',
    '',
    `Data: ${r.data ? r.data.description : 'the built-in synthetic features'}${dataFlags(r.data) ? ` (\`${dataFlags(r.data).trim()}\`)` : ''}.`,
    '',
    `Runs: \`${r.runsDir}\` · generated ${r.generatedAt} · **${r.summary.pass} pass, ${r.summary.fail} fail, ${r.summary.missing} missing** of ${r.claims.length} checklist claims (paper spec section 11).`,
    '',
    e.main ? `Model analyses: final checkpoint (${e.main.checkpoint} sequences) of \`${e.main.run}\`, on the ${e.main.denseSet}; claims 3, 4 and 6 on the ${e.main.fullSet.denseSet}.` : 'Model analyses: not available (no finished main run, or --no-analyses).',
    '',
    `How the checklist's words become numbers: learning time is the first eval with fsl_train loss < 0.4·ln 2; "≈ x" allows a factor ${APPROX}; a plateau is the stretch between leaving the initial fast drop and entering the sigmoidal drop: the longest run of evals, after the first steep one and before the loss is learned, where the loss falls by at most ${PLATEAU_SLOPE} per e-fold of sequences (least-squares slope against ln(sequences) over one doubling); "no plateau" means under ${NO_PLATEAU / 1000}k sequences of it. Each claim's exact test, with the checklist's words, is in \`packages/engine/src/report/paper/\` (the statistics in \`report/curves.ts\`).`,
    '',
    '| # | group | claim | result | measured | runs |',
    '|---|---|---|---|---|---|',
    ...r.claims.map((c) => `| ${c.id} | ${cell(c.group)} | ${cell(c.title)} | ${ICON[c.status]} | ${cell(c.measured)} | ${c.runs.map((x) => `\`${x}\``).join(', ')} |`),
    '',
  ];
  const missing = r.claims.filter((c) => c.status === 'missing');
  if (missing.length) {
    lines.push('## What is missing, and the commands that produce it', '');
    const byCommand = new Map<string, number[]>();
    for (const c of missing) for (const cmd of c.commands) byCommand.set(cmd, [...(byCommand.get(cmd) ?? []), c.id]);
    for (const [cmd, ids] of byCommand) lines.push(`- claims ${ids.join(', ')}: \`${cmd}\``);
    lines.push('', 'Graft runs (`fig7-graft`) need their donors first: `paper-main` (seed 5) and `fig7` (seeds 6, 7). Then rerun `opto report`.', '');
  }
  if (e.main) lines.push(...tables(e));
  if (r.figures.length) {
    lines.push('## Figures', '');
    for (const f of r.figures) lines.push(`### ${f.title}`, '', `![${f.id}](${f.file})`, '', f.runs.length ? `Runs: ${f.runs.map((x) => `\`${x}\``).join(', ')}` : '', '');
  }
  return lines.join('\n');
}

/** App. Tables 1-3 of the final main model. */
function tables(e: Evidence): string[] {
  const m = e.main!;
  const heads = m.redundancy.rows.map((x) => `${headLabel(1, x.head)}`);
  const row = (label: string, xs: number[]) => `| ${label} | ${xs.map((x) => x.toFixed(3)).join(' | ')} |`;
  return [
    '## Tables (final main model)',
    '',
    `Table 1: accuracy with a group of Layer-1 heads ablated (all Layer-2 heads active; unablated ${m.ablation.full.acc.toFixed(4)}).`,
    '',
    '| Layer-1 heads ablated | pattern-preserving | value-preserving |',
    '|---|---|---|',
    ...m.table1.map((g) => `| ${g.heads.map((j) => `L1H${j}`).join(', ')} | ${g.patternPreserving.toFixed(4)} | ${g.valuePreserving.toFixed(4)} |`),
    '',
    `Table 2: fraction of the mistakes of ${headLabel(1, m.redundancy.reference)} alone (${m.redundancy.referenceMistakes}) that each head alone gets right; Table 3: the same with a perfected match (${headLabel(1, m.redundancyPerfect.reference)} misses ${m.redundancyPerfect.referenceMistakes}).`,
    '',
    `| | ${heads.join(' | ')} |`,
    `|---|${heads.map(() => '---|').join('')}`,
    row('induction strength', m.ablation.strength),
    row('accuracy, only this head', m.ablation.onlyOne.map((x) => x.acc)),
    row('Table 2: fraction fixed', m.redundancy.rows.map((x) => x.fixedFraction)),
    row('Table 3: accuracy, perfected match', m.redundancyPerfect.rows.map((x) => x.acc)),
    row('Table 3: fraction fixed', m.redundancyPerfect.rows.map((x) => x.fixedFraction)),
    '',
  ];
}
