// Turn vitest's JSON report into the plain closing line CI reads: "N passed, N failed".
import * as fs from 'node:fs';

const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`summary: no test report at ${file} (the test run did not finish)`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
if (r.numTotalTests === 0) {
  console.log('0 passed, 1 failed');
  console.error('summary: no tests ran');
  process.exit(1);
}
console.log(`${r.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 || !r.success ? 1 : 0);
