// A vitest reporter that ends the run with one plain line, "N passed, N failed, N skipped", for CI logs.
import type { Reporter, TestModule } from 'vitest/node';

/** Counts every test's final state and prints the plain closing line. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else {
          skipped += 1;
          skippedNames.push(`${module.moduleId.replace(/^.*\/test\//, 'test/')}: ${test.name}`);
        }
      }
    }
    // Skipped suites are named, so a run without a server never reads like a run that passed its tests.
    for (const name of skippedNames) process.stdout.write(`\nSKIPPED ${name}`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
