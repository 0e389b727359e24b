// Which of the engine's mutants no Stryker run has measured yet: counts every source file's mutants with
// Stryker's own instrumenter (no tests run) and compares with a report (default stryker/incremental.json).
// Test helpers (testing/, */testing.ts, analysis/testing/) do not count: they are test code.
//   node stryker/unmeasured.mjs [report.json]
import * as fs from 'node:fs';
import { execSync } from 'node:child_process';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const report = JSON.parse(fs.readFileSync(process.argv[2] ?? 'stryker/incremental.json', 'utf8')).files;
const quiet = () => false;
const log = { debug() {}, info() {}, warn() {}, error() {}, trace() {}, isDebugEnabled: quiet, isTraceEnabled: quiet, isInfoEnabled: quiet, isWarnEnabled: quiet };
const instrumenter = new Instrumenter(log);
const isHelper = (f) => /\/(testing\/|testing\.ts$)/.test(f);
const sources = execSync("git ls-files 'packages/engine/src/**.ts'")
  .toString()
  .trim()
  .split('\n')
  .filter((f) => !/\.(test|d)\.ts$/.test(f) && !isHelper(f));
let all = 0;
let measured = 0;
let files = 0;
let measuredFiles = 0;
const missing = [];
for (const name of sources) {
  const { mutants } = await instrumenter.instrument([{ name, mutate: true, content: fs.readFileSync(name, 'utf8') }], {
    plugins: null,
    excludedMutations: [],
    ignorers: [],
    noHeader: false,
  });
  all += mutants.length;
  if (mutants.length > 0) files++;
  if (report[name]) (measured += mutants.length), measuredFiles++;
  else if (mutants.length > 0) missing.push([name.replace('packages/engine/src/', ''), mutants.length]);
}
console.log(`${measured} of ${all} mutants (${((100 * measured) / all).toFixed(1)}%) in ${measuredFiles} measured files of ${files}; not measured:`);
for (const [f, n] of missing.sort((a, b) => b[1] - a[1])) console.log(`  ${f} (${n})`);
