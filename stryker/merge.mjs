// Merge Stryker incremental reports of per-file runs into one (stryker/incremental.json), and print the score
// per file and in total. A run over one file (`--mutate X --incrementalFile /tmp/x.json`, see README "Mutation
// score") also carries the other files of the report it started from, less the results of tests it did not run;
// so take only the files it mutated from it:
//   node stryker/merge.mjs OUT.json BASE.json RUN1.json=FILE,FILE RUN2.json=FILE ...
// A later input's file replaces an earlier one's, and a test file's tests come from the last input holding it.
// Test and mutant IDs are numbers local to each report, so they are renumbered here (a test by file and name).
import * as fs from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) {
  console.error('usage: node stryker/merge.mjs OUT.json BASE.json [RUN.json[=FILE,FILE] ...]');
  process.exit(2);
}

const reports = inputs.map((arg) => {
  const [input, only] = arg.split('=');
  try {
    return { report: JSON.parse(fs.readFileSync(input, 'utf8')), keep: only ? new Set(only.split(',')) : null };
  } catch (e) {
    console.error(`${input}: not a readable Stryker report (${e.message})`);
    process.exit(1);
  }
});

// Test files: the last input's version of each.
const testFiles = {};
for (const { report } of reports) for (const [file, tf] of Object.entries(report.testFiles ?? {})) testFiles[file] = tf;
const testIds = new Map(); // `${file}\0${name}` -> new id
for (const [file, tf] of Object.entries(testFiles)) {
  testFiles[file] = { ...tf, tests: tf.tests.map((t) => (testIds.set(`${file}\0${t.name}`, String(testIds.size)), { ...t, id: testIds.get(`${file}\0${t.name}`) })) };
}

const files = {};
let nextMutant = 0;
for (const { report, keep } of reports) {
  const local = new Map(); // this report's test id -> new id (tests that are still in the merged list)
  for (const [file, tf] of Object.entries(report.testFiles ?? {}))
    for (const t of tf.tests) if (testIds.has(`${file}\0${t.name}`)) local.set(t.id, testIds.get(`${file}\0${t.name}`));
  const remap = (ids) => ids?.map((id) => local.get(id)).filter((id) => id !== undefined);
  for (const [file, f] of Object.entries(report.files)) {
    if (keep && !keep.has(file)) continue;
    files[file] = { ...f, mutants: f.mutants.map((m) => ({ ...m, id: String(nextMutant++), killedBy: remap(m.killedBy), coveredBy: remap(m.coveredBy) })) };
  }
}

fs.writeFileSync(out, JSON.stringify({ ...reports[0].report, files, testFiles }));

const rows = [];
const total = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
for (const [file, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
  const n = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
  for (const m of f.mutants) {
    const key = { Killed: 'killed', Timeout: 'timeout', Survived: 'survived', NoCoverage: 'noCoverage' }[m.status];
    if (!key) continue; // compile and runtime errors, ignored: not part of the score
    n.mutants++;
    n[key]++;
  }
  for (const k of Object.keys(total)) total[k] += n[k];
  rows.push([file, n]);
}
const score = (n) => (n.mutants ? ((100 * (n.killed + n.timeout)) / n.mutants).toFixed(1) + '%' : '-');
console.log('| file | mutants | killed (+ timeout) | survived | no coverage | score |\n| --- | --- | --- | --- | --- | --- |');
for (const [file, n] of [...rows, ['total', total]])
  console.log(`| ${file.replace('packages/engine/src/', '')} | ${n.mutants} | ${n.killed}${n.timeout ? ` + ${n.timeout}` : ''} | ${n.survived} | ${n.noCoverage} | ${score(n)} |`);

// The same by directory (README shows this one; the per-file table above goes to stryker/score-by-file.md).
const dirs = new Map();
for (const [file, n] of rows) {
  const rel = file.replace('packages/engine/src/', '');
  const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '(top level)';
  const d = dirs.get(dir) ?? { files: 0, mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
  d.files++;
  for (const k of Object.keys(total)) d[k] += n[k];
  dirs.set(dir, d);
}
console.log('\n| directory | files | mutants | killed (+ timeout) | survived | no coverage | score |\n| --- | --- | --- | --- | --- | --- | --- |');
for (const [dir, n] of [...[...dirs].sort(([a], [b]) => a.localeCompare(b)), ['total', { ...total, files: rows.length }]])
  console.log(`| ${dir} | ${n.files} | ${n.mutants} | ${n.killed}${n.timeout ? ` + ${n.timeout}` : ''} | ${n.survived} | ${n.noCoverage} | ${score(n)} |`);
