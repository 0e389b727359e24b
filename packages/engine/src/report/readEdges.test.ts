// Every check readReport makes on report.json, each with its whole line: the file, the field, what is wrong,
// and the command that regenerates it (report/read.ts). The report is built here by hand.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withJsonChecksum } from '../store/jsonChecksum.js';
import { readReport, reportFile } from './read.js';
import { REPORT_VERSION } from './types.js';

function report(): Record<string, unknown> {
  return {
    version: REPORT_VERSION,
    generatedAt: '2026-11-25T00:00:00.000Z',
    runsDir: '/runs',
    claims: [
      { id: 1, title: 'plateau', group: 'Setup-level', status: 'pass', measured: 'loss 0.69', numbers: {}, runs: ['main'], commands: [], figures: [] },
      { id: 2, title: 'drop', group: 'Setup-level', status: 'missing', measured: '', numbers: {}, runs: [], commands: ['opto sweep fig3'], figures: [] },
    ],
    figures: [],
    summary: { pass: 1, fail: 0, missing: 1 },
  };
}

/** A runs directory whose report.json holds `doc` (an object, or raw text). */
function runsWith(doc: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-read-edges-'));
  fs.mkdirSync(path.join(dir, 'report'));
  fs.writeFileSync(reportFile(dir), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return dir;
}

const problem = (doc: unknown): string => {
  const dir = runsWith(doc);
  try {
    readReport(dir);
  } catch (e) {
    return (e as Error).message.replace(reportFile(dir), 'FILE').replace(dir, 'RUNS');
  }
  return '';
};

describe('readReport, field by field', () => {
  it('lives at <runs>/report/report.json', () => {
    expect(reportFile('/x/runs')).toBe('/x/runs/report/report.json');
  });
  it('reads a report with its checksum, and one written without', () => {
    const withSum = runsWith(withJsonChecksum(report()));
    expect(readReport(withSum)).toEqual(report());
    expect(readReport(runsWith(report()))).toEqual(report());
    const edited = withJsonChecksum(report()) as Record<string, unknown>;
    edited.generatedAt = '2027-01-01T00:00:00.000Z';
    expect(problem(edited)).toBe('FILE: checksum mismatch (corrupt, or edited by hand)');
  });
  it('names the top level, version, generatedAt, claims, figures and summary', () => {
    const hint = '; regenerate it with opto report --runs RUNS';
    expect(problem('{"version": 1,')).toMatch(/^FILE: not valid JSON \(.+\)$/);
    expect(problem('null')).toBe(`FILE: the top level is not an object${hint}`);
    expect(problem('5')).toBe(`FILE: the top level is not an object${hint}`);
    expect(problem({ ...report(), version: 99 })).toBe(`FILE: version is 99, this build reads version ${REPORT_VERSION}${hint}`);
    expect(problem({ ...report(), version: undefined })).toBe(`FILE: version is undefined, this build reads version ${REPORT_VERSION}${hint}`);
    expect(problem({ ...report(), generatedAt: 5 })).toBe(`FILE: generatedAt is not a string${hint}`);
    expect(problem({ ...report(), claims: {} })).toBe(`FILE: claims is not an array${hint}`);
    expect(problem({ ...report(), figures: 'x' })).toBe(`FILE: figures is not an array${hint}`);
    expect(problem({ ...report(), summary: undefined })).toBe(`FILE: summary is not {pass, fail, missing} counts${hint}`);
    for (const k of ['pass', 'fail', 'missing']) expect(problem({ ...report(), summary: { pass: 1, fail: 0, missing: 1, [k]: '1' } }), k).toBe(`FILE: summary is not {pass, fail, missing} counts${hint}`);
  });
  it('names the claim and its field, by index', () => {
    const hint = '; regenerate it with opto report --runs RUNS';
    const claim = (over: Record<string, unknown>) => {
      const r = report();
      (r.claims as Record<string, unknown>[])[1] = { ...(r.claims as Record<string, unknown>[])[1], ...over };
      return problem(r);
    };
    expect(claim({ id: '2' })).toBe(`FILE: claims[1].id is not a number${hint}`);
    expect(problem({ ...report(), claims: [null] })).toBe(`FILE: claims[0].id is not a number${hint}`);
    expect(claim({ title: null })).toBe(`FILE: claims[1].title is not a string${hint}`);
    expect(claim({ status: 'ok' })).toBe(`FILE: claims[1].status is "ok", expected pass, fail or missing${hint}`);
    for (const status of ['pass', 'fail', 'missing']) expect(claim({ status })).toBe('');
    expect(claim({ measured: 3 })).toBe(`FILE: claims[1].measured is not a string${hint}`);
    for (const k of ['runs', 'commands', 'figures']) expect(claim({ [k]: 'x' })).toBe(`FILE: claims[1].${k} is not an array${hint}`);
  });
  it('takes roles as run directories by role, or none', () => {
    const hint = '; regenerate it with opto report --runs RUNS';
    expect(problem({ ...report(), roles: { main: '/r/m', 'fig5b:pt': '/r/p' } })).toBe('');
    expect(problem({ ...report(), roles: {} })).toBe('');
    for (const roles of [null, 'x', { main: '/r/m', pt: 3 }]) expect(problem({ ...report(), roles }), JSON.stringify(roles)).toBe(`FILE: roles is not an object of run directories by role${hint}`);
  });
});
