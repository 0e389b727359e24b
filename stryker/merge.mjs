// Merge Stryker incremental reports of per-file runs into one (stryker/incremental.json), and print the score
// per file and in total. A run over one file (`--mutate X --incrementalFile /tmp/x.json`, see README "Mutation
// score") keeps only that file's mutants in its report; merged, the next `npm run mutation` reuses them all.
// Test and mutant IDs are numbers local to each report, so they are renumbered here: a test by file and name.
//   node stryker/merge.mjs OUT.json IN1.json IN2.json ...   (a later input's file replaces an earlier one's)
import * as fs from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) {
  console.error('usage: node stryker/merge.mjs OUT.json IN1.json [IN2.json ...]');
  process.exit(2);
}

const testIds = new Map(); // `${file}\0${name}` -> new id
const testFiles = {};
const files = {};
let nextMutant = 0;
let base;

for (const input of inputs) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(input, 'utf8'));
  } catch (e) {
    console.error(`${input}: not a readable Stryker report (${e.message})`);
    process.exit(1);
  }
  base ??= report;
  const local = new Map(); // this report's test id -> new id
  for (const [file, tf] of Object.entries(report.testFiles ?? {})) {
    const tests = [];
    for (const t of tf.tests) {
      const key = `${file}\0${t.name}`;
      if (!testIds.has(key)) testIds.set(key, String(testIds.size));
      local.set(t.id, testIds.get(key));
      tests.push({ ...t, id: testIds.get(key) });
    }
    testFiles[file] = { ...tf, tests };
  }
  const remap = (ids) => ids?.map((id) => local.get(id)).filter((id) => id !== undefined);
  for (const [file, f] of Object.entries(report.files)) {
    files[file] = { ...f, mutants: f.mutants.map((m) => ({ ...m, id: String(nextMutant++), killedBy: remap(m.killedBy), coveredBy: remap(m.coveredBy) })) };
  }
}

fs.writeFileSync(out, JSON.stringify({ ...base, files, testFiles }));

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
