// Prints one closing line for the whole `npm test` run ("tests: N passed,
// N failed, N skipped"), adding up the JSON reports of the unit/integration
// and end-to-end runs, so CI and people read one total.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../test-results/', import.meta.url));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const name of ['unit.json', 'e2e.json']) {
  const path = dir + name;
  if (!existsSync(path)) {
    console.error(`No test report at ${path}: did that run start?`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
