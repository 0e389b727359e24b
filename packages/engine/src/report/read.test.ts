import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readReport, reportFile } from './read.js';
import { REPORT_VERSION, type Report } from './types.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-report-read-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const report: Report = {
  version: REPORT_VERSION,
  generatedAt: '2026-11-25T00:00:00.000Z',
  runsDir: root,
  claims: [{ id: 1, title: 'plateau at ln 2', group: 'Setup-level', status: 'pass', measured: 'loss 0.69', numbers: { loss: 0.69 }, runs: ['main'], commands: [], figures: ['fig3a'] }],
  figures: [{ id: 'fig3a', title: 'Loss', file: 'figures/fig3a.svg', runs: ['main'] }],
  summary: { pass: 1, fail: 0, missing: 0 },
};
function write(dir: string, body: string): string {
  fs.mkdirSync(path.join(dir, 'report'), { recursive: true });
  fs.writeFileSync(reportFile(dir), body);
  return dir;
}

describe('readReport', () => {
  it('is null when no report was generated', () => {
    expect(readReport(root)).toBeNull();
  });
  it('reads a valid report', () => {
    const dir = write(fs.mkdtempSync(path.join(root, 'ok-')), JSON.stringify(report));
    expect(readReport(dir)?.claims[0]?.title).toBe('plateau at ln 2');
  });
  it('names the file and the field at fault', () => {
    const dir = fs.mkdtempSync(path.join(root, 'bad-'));
    write(dir, '{"version": 1,');
    expect(() => readReport(dir)).toThrow(/report\.json: not valid JSON/);
    write(dir, JSON.stringify({ ...report, version: 99 }));
    expect(() => readReport(dir)).toThrow(/version is 99, this build reads version 1/);
    write(dir, JSON.stringify({ ...report, claims: [{ ...report.claims[0], status: 'ok' }] }));
    expect(() => readReport(dir)).toThrow(/claims\[0\]\.status is "ok"/);
    write(dir, JSON.stringify({ ...report, summary: undefined }));
    expect(() => readReport(dir)).toThrow(/summary is not/);
    // --role assignments (the dashboard judges with them): run directories by role.
    write(dir, JSON.stringify({ ...report, roles: { 'fig5b:none': 3 } }));
    expect(() => readReport(dir)).toThrow(/report\.json: roles is not an object of run directories by role/);
    write(dir, JSON.stringify({ ...report, roles: { 'fig5b:none': '/runs/my-none' } }));
    expect(readReport(dir)?.roles).toEqual({ 'fig5b:none': '/runs/my-none' });
  });
});
