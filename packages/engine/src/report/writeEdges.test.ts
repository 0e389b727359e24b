// report.md from a report built here by hand (report/write.ts `reportMarkdown`): the data and summary lines, a
// table cell that holds the table's own separator or a line break, the missing claims grouped by the command
// that produces them, App. Tables 1-3 from the main analyses with their decimals, the figures; and where each
// `--role` assignment resolves to.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPROX, NO_PLATEAU, PLATEAU_SLOPE } from './curves.js';
import { passingEvidence } from './testing.js';
import { readReport } from './read.js';
import { reportMarkdown, resolvedRoles, writeReportFrom } from './write.js';
import { REPORT_VERSION, type ClaimResult, type Report } from './types.js';

const claim = (id: number, status: ClaimResult['status'], over: Partial<ClaimResult> = {}): ClaimResult => ({
  id,
  title: `claim ${id}`,
  group: 'Setup-level',
  status,
  measured: `m${id}`,
  numbers: {},
  runs: [],
  commands: [],
  figures: [],
  ...over,
});

function report(claims: ClaimResult[], over: Partial<Report> = {}): Report {
  const count = (s: string) => claims.filter((c) => c.status === s).length;
  return { version: REPORT_VERSION, generatedAt: '2026-12-06T00:00:00.000Z', runsDir: '/runs', claims, figures: [], summary: { pass: count('pass'), fail: count('fail'), missing: count('missing') }, ...over };
}

const lines = (md: string) => md.split('\n');

describe('report.md', () => {
  it('says which data, the counts, and one table row per claim with its icon, escaping | and line breaks', () => {
    const e = passingEvidence();
    delete e.main;
    const r = report([claim(1, 'pass', { runs: ['a', 'b'], title: 'x | y', measured: 'two\nlines' }), claim(2, 'fail', { group: 'g|h' }), claim(3, 'missing')]);
    const md = reportMarkdown(r, e);
    const l = lines(md);
    expect(l[0]).toBe('# Reproduction report: "What needs to go right for an induction head?"');
    expect(l).toContain('Data: the built-in synthetic features.');
    expect(md).toContain('Runs: `/runs` · generated 2026-12-06T00:00:00.000Z · **1 pass, 1 fail, 1 missing** of 3 checklist claims (paper spec section 11).');
    expect(l).toContain('Model analyses: not available (no finished main run, or --no-analyses).');
    expect(l).toContain('| 1 | Setup-level | x \\| y | ✅ pass | two lines | `a`, `b` |');
    expect(l).toContain('| 2 | g\\|h | claim 2 | ❌ fail | m2 |  |');
    expect(l).toContain('| 3 | Setup-level | claim 3 | ⏳ missing | m3 |  |');
    expect(md).not.toContain('## Tables');
    expect(md).not.toContain('## Figures');
  });
  it('names a feature file with the flags that judge it again', () => {
    const e = passingEvidence();
    delete e.main;
    const md = reportMarkdown(report([], { data: { source: 'f.h5', datasetPath: 'a/b', description: 'feature file f.h5 (3 classes)' } }), e);
    expect(lines(md)).toContain('Data: feature file f.h5 (3 classes) (`--data f.h5 --dataset-path a/b`).');
    const synth = reportMarkdown(report([], { data: { description: 'the built-in synthetic features (seed 0)' } }), e);
    expect(lines(synth)).toContain('Data: the built-in synthetic features (seed 0).');
  });
  it('lists each command that produces missing evidence once, with the claims it serves, and only when something is missing', () => {
    const e = passingEvidence();
    delete e.main;
    const r = report([
      claim(2, 'missing', { commands: ['opto sweep fig3', 'opto sweep fig5b'] }),
      claim(5, 'pass', { commands: ['opto sweep fig4b'] }),
      claim(7, 'missing', { commands: ['opto sweep fig5b'] }),
    ]);
    const l = lines(reportMarkdown(r, e));
    const at = l.indexOf('## What is missing, and the commands that produce it');
    expect(at).toBeGreaterThan(0);
    expect(l.slice(at + 2, at + 4)).toEqual(['- claims 2: `opto sweep fig3`', '- claims 2, 7: `opto sweep fig5b`']);
    expect(l.join('\n')).not.toContain('fig4b');
    expect(l[at + 5]).toBe('Graft runs (`fig7-graft`) need their donors first: `paper-main` (seed 5) and `fig7` (seeds 6, 7). Then rerun `opto report`.');
    expect(reportMarkdown(report([claim(1, 'pass')]), e)).not.toContain('## What is missing');
  });
  it('writes App. Tables 1-3 from the main analyses, with their decimals', () => {
    const e = passingEvidence();
    const m = e.main!;
    const l = lines(reportMarkdown(report([]), e));
    expect(l).toContain(`Model analyses: final checkpoint (${m.checkpoint} sequences) of \`${m.run}\`, on the ${m.denseSet}; claims 3, 4 and 6 on the ${m.fullSet.denseSet}.`);
    expect(l).toContain('## Tables (final main model)');
    expect(l).toContain(`Table 1: accuracy with a group of Layer-1 heads ablated (all Layer-2 heads active; unablated ${m.ablation.full.acc.toFixed(4)}).`);
    for (const g of m.table1) expect(l).toContain(`| ${g.heads.map((j) => `L1H${j}`).join(', ')} | ${g.patternPreserving.toFixed(4)} | ${g.valuePreserving.toFixed(4)} |`);
    const headRow = `| | ${m.redundancy.rows.map((x) => `L2H${x.head}`).join(' | ')} |`;
    const at = l.indexOf(headRow);
    expect(at).toBeGreaterThan(0);
    expect(l[at + 1]).toBe(`|---|${m.redundancy.rows.map(() => '---|').join('')}`);
    expect(l[at + 2]).toBe(`| induction strength | ${m.ablation.strength.map((x) => x.toFixed(3)).join(' | ')} |`);
    expect(l[at + 3]).toBe(`| accuracy, only this head | ${m.ablation.onlyOne.map((x) => x.acc.toFixed(3)).join(' | ')} |`);
    expect(l[at + 4]).toBe(`| Table 2: fraction fixed | ${m.redundancy.rows.map((x) => x.fixedFraction.toFixed(3)).join(' | ')} |`);
    expect(l[at + 5]).toBe(`| Table 3: accuracy, perfected match | ${m.redundancyPerfect.rows.map((x) => x.acc.toFixed(3)).join(' | ')} |`);
    expect(l[at + 6]).toBe(`| Table 3: fraction fixed | ${m.redundancyPerfect.rows.map((x) => x.fixedFraction.toFixed(3)).join(' | ')} |`);
    expect(l).toContain(
      `Table 2: fraction of the mistakes of L2H${m.redundancy.reference} alone (${m.redundancy.referenceMistakes}) that each head alone gets right; Table 3: the same with a perfected match (L2H${m.redundancyPerfect.reference} misses ${m.redundancyPerfect.referenceMistakes}).`,
    );
  });
  it('shows each figure with its title, file and runs', () => {
    const e = passingEvidence();
    delete e.main;
    const md = reportMarkdown(report([], { figures: [{ id: 'fig3a', title: 'Loss', file: 'figures/fig3a.svg', runs: ['r1', 'r2'] }, { id: 'toy', title: 'Toy', file: 'figures/toy.svg', runs: [] }] }), e);
    const l = lines(md);
    const at = l.indexOf('## Figures');
    // a figure without runs has an empty line where the runs would be
    expect(l.slice(at)).toEqual(['## Figures', '', '### Loss', '', '![fig3a](figures/fig3a.svg)', '', 'Runs: `r1`, `r2`', '', '### Toy', '', '![toy](figures/toy.svg)', '', '', '']);
  });
});

/** Markdown that renders as intended: blank lines around paragraphs, headings and tables; each table a header row, its separator and rows of as many cells. */
function checkStructure(md: string): void {
  const l = md.split('\n');
  const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length - 2;
  for (let i = 0; i < l.length; i++) {
    if (l[i].startsWith('#')) expect(l[i + 1], `after ${l[i]}`).toBe('');
    if (l[i].startsWith('|') && !l[i - 1].startsWith('|')) {
      expect(l[i - 1], `before table ${l[i]}`).toBe('');
      expect(l[i + 1], `separator of ${l[i]}`).toMatch(/^\|(-+\|)+$/);
      let j = i;
      while (l[j]?.startsWith('|')) expect(cells(l[j]), l[j]).toBe(cells(l[i])), j++;
      expect(l[j], `after table ${l[i]}`).toBe('');
    }
    // a paragraph is one line between blank ones
    if (/^[A-Z]/.test(l[i])) {
      expect(l[i - 1], `before ${l[i].slice(0, 40)}`).toBe('');
      expect(l[i + 1], `after ${l[i].slice(0, 40)}`).toBe('');
    }
  }
}

describe('report.md as Markdown', () => {
  it('keeps paragraphs, headings and tables apart, every table whole, in every section', () => {
    const e = passingEvidence();
    const r = report([claim(1, 'pass'), claim(2, 'missing', { commands: ['opto sweep fig3'] })], { figures: [{ id: 'fig3a', title: 'Loss', file: 'figures/fig3a.svg', runs: ['r1'] }] });
    const md = reportMarkdown(r, e);
    for (const h of ['## What is missing, and the commands that produce it', '## Tables (final main model)', '## Figures']) expect(md.split('\n')).toContain(h);
    expect(md.split('\n')).toContain('| # | group | claim | result | measured | runs |');
    expect(md.split('\n')).toContain('| Layer-1 heads ablated | pattern-preserving | value-preserving |');
    checkStructure(md);
    checkStructure(reportMarkdown(report([claim(1, 'fail')]), { ...e, main: undefined }));
  });
  it('states the plateau rule with its numbers', () => {
    const e = passingEvidence();
    delete e.main;
    const md = reportMarkdown(report([]), e);
    expect(NO_PLATEAU % 1000).toBe(0);
    expect(md).toContain(`"no plateau" means under ${NO_PLATEAU / 1000}k sequences of it.`);
    expect(md).toContain(`"≈ x" allows a factor ${APPROX};`);
    expect(md).toContain(`falls by at most ${PLATEAU_SLOPE} per e-fold of sequences`);
  });
});

describe('resolvedRoles', () => {
  it('resolves a run ID under the runs directory, else a path; none given is none', () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-roles-'));
    fs.mkdirSync(path.join(runs, 'mine'));
    fs.writeFileSync(path.join(runs, 'mine', 'run.json'), '{}');
    fs.mkdirSync(path.join(runs, 'norecord'));
    expect(resolvedRoles(runs)).toBeUndefined();
    expect(resolvedRoles(runs, {})).toBeUndefined();
    expect(resolvedRoles(runs, { main: 'mine', 'fig5b:pt': 'norecord', 'fig5b:none': '/abs/x' })).toEqual({
      main: path.join(runs, 'mine'),
      'fig5b:pt': path.resolve('norecord'),
      'fig5b:none': '/abs/x',
    });
  });
});

describe('writeReportFrom', () => {
  it('writes report.json (read back by readReport), report.md and the figures directory, naming the runs as the user did', async () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-write-'));
    fs.mkdirSync(path.join(runs, 'mine'));
    fs.writeFileSync(path.join(runs, 'mine', 'run.json'), '{}');
    const evidence = { runsDir: runs, heads: { paper: { ih: '1:3', pt: '0:2', ptGroup: ['0:2'] } }, runs: {}, dataRuns: {}, seeds: [], toy: [] };
    const before = Date.now();
    const out = await writeReportFrom(evidence, runs, 's3://bucket/runs', { main: 'mine' });
    expect(out.dir).toBe(path.join(runs, 'report'));
    const back = readReport(runs)!;
    expect(back).toEqual(out.report);
    expect(back.runsDir).toBe('s3://bucket/runs');
    expect(back.roles).toEqual({ main: path.join(runs, 'mine') });
    expect(Date.parse(back.generatedAt)).toBeGreaterThanOrEqual(before);
    expect(back.summary.pass + back.summary.fail + back.summary.missing).toBe(back.claims.length);
    expect(back.claims.some((c) => c.commands.some((cmd) => cmd.includes('s3://bucket/runs')))).toBe(true);
    expect(fs.readFileSync(path.join(runs, 'report', 'report.md'), 'utf8')).toBe(out.markdown);
    expect(fs.statSync(path.join(runs, 'report', 'figures')).isDirectory()).toBe(true);
    for (const f of back.figures) expect(fs.readFileSync(path.join(runs, 'report', f.file), 'utf8')).toMatch(/^<svg/);
    // without a location the runs directory is named as given, in the commands too
    const rel = path.relative(process.cwd(), runs);
    const plain = await writeReportFrom(evidence, rel);
    expect(plain.report.runsDir).toBe(path.resolve(runs));
    expect(plain.report.roles).toBeUndefined();
    const cmds = plain.report.claims.flatMap((c) => c.commands);
    expect(cmds.some((cmd) => cmd.includes(`--runs ${rel}`))).toBe(true);
    expect(cmds.some((cmd) => cmd.includes(`--runs ${path.resolve(runs)}`))).toBe(false);
  });
  it("draws each figure whose runs exist into figures/, and names a report directory it cannot make", async () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-write-fig-'));
    const full = passingEvidence();
    const evidence = { ...full, runsDir: runs, main: undefined, fig10: undefined, seeds: [], toy: [], runs: { main: full.runs.main }, dataRuns: {} };
    const out = await writeReportFrom(evidence, runs);
    // the main run alone: Fig. 3a, and the comparisons it is the only present run of
    const ids = ['fig3a', 'fig4b', 'fig7', 'fig17'];
    expect(out.report.figures.map((f) => [f.id, f.file, f.runs])).toEqual(ids.map((id) => [id, `figures/${id}.svg`, [full.runs.main.id]]));
    expect(out.report.figures[0].title).toBe('Fig. 3a: loss of the main run (50 classes, 5 labels)');
    expect(fs.readdirSync(path.join(runs, 'report', 'figures')).sort()).toEqual(ids.map((id) => `${id}.svg`).sort());
    expect(fs.readFileSync(path.join(runs, 'report', 'figures', 'fig3a.svg'), 'utf8')).toMatch(/^<svg[\s\S]*Fig\. 3a/);
    expect(out.markdown).toContain('![fig3a](figures/fig3a.svg)');
    fs.writeFileSync(path.join(runs, 'blocked'), '');
    await expect(writeReportFrom(evidence, path.join(runs, 'blocked'))).rejects.toThrow(`report directory ${runs}/blocked/report: ${runs}/blocked is not a directory (ENOTDIR)`);
  });
});
