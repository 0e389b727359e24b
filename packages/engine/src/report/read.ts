/**
 * Reading `<runs>/report/report.json` (written by `opto report --runs <dir>`) for the dashboard's report
 * page: null when no report has been generated, an error naming the file and the field when it is not a
 * report of this version.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonErrorLine } from '../store/jsonFile.js';
import { verifyJsonChecksum } from '../store/jsonChecksum.js';
import { REPORT_VERSION, type Report } from './types.js';

/** Where `opto report --runs <runsDir>` writes its JSON. */
export function reportFile(runsDir: string): string {
  return path.join(runsDir, 'report', 'report.json');
}

const STATUSES = new Set(['pass', 'fail', 'missing']);

/** The report of `runsDir`, or null if `opto report` has not been run there. */
export function readReport(runsDir: string): Report | null {
  const file = reportFile(runsDir);
  if (!fs.existsSync(file)) return null;
  let r: Report;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${jsonErrorLine(e)})`);
  }
  r = verifyJsonChecksum(r, file);
  const bad = (field: string, want: string) => new Error(`${file}: ${field} ${want}; regenerate it with opto report --runs ${runsDir}`);
  if (!r || typeof r !== 'object') throw bad('the top level', 'is not an object');
  if (r.version !== REPORT_VERSION) throw bad('version', `is ${JSON.stringify(r.version)}, this build reads version ${REPORT_VERSION}`);
  if (typeof r.generatedAt !== 'string') throw bad('generatedAt', 'is not a string');
  if (!Array.isArray(r.claims)) throw bad('claims', 'is not an array');
  if (!Array.isArray(r.figures)) throw bad('figures', 'is not an array');
  r.claims.forEach((c, i) => {
    if (typeof c?.id !== 'number') throw bad(`claims[${i}].id`, 'is not a number');
    if (typeof c.title !== 'string') throw bad(`claims[${i}].title`, 'is not a string');
    if (!STATUSES.has(c.status)) throw bad(`claims[${i}].status`, `is ${JSON.stringify(c.status)}, expected pass, fail or missing`);
    if (typeof c.measured !== 'string') throw bad(`claims[${i}].measured`, 'is not a string');
    for (const k of ['runs', 'commands', 'figures'] as const) if (!Array.isArray(c[k])) throw bad(`claims[${i}].${k}`, 'is not an array');
  });
  if (r.roles !== undefined && (!r.roles || typeof r.roles !== 'object' || Object.values(r.roles).some((v) => typeof v !== 'string'))) throw bad('roles', 'is not an object of run directories by role');
  if (!r.summary || typeof r.summary.pass !== 'number' || typeof r.summary.fail !== 'number' || typeof r.summary.missing !== 'number')
    throw bad('summary', 'is not {pass, fail, missing} counts');
  return r;
}
