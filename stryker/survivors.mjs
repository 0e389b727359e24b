// The surviving and uncovered mutants of a Stryker report, one line each with the source line they change:
//   node stryker/survivors.mjs stryker/incremental.json [part of a file name]
import * as fs from 'node:fs';
const [, , path, only] = process.argv;
const r = JSON.parse(fs.readFileSync(path, 'utf8'));
for (const [file, f] of Object.entries(r.files)) {
  if (only && !file.includes(only)) continue;
  const lines = f.source.split('\n');
  for (const m of f.mutants) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const l = m.location.start.line;
    console.log(`${file}:${l} ${m.status} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '').slice(0, 80)}  | ${lines[l - 1]?.trim().slice(0, 100)}`);
  }
}
