/**
 * Adds one plain closing line, "N passed, N failed, N skipped", after
 * vitest's own summary, so CI can read the outcome of the run from its last line;
 * before it, why each test that skipped itself with a note did not run.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const notes: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed += 1;
        else if (result.state === 'failed') failed += 1;
        else skipped += 1;
        // A test that skips itself for want of something (the browser test without Chromium) says why, so no skip passes unseen.
        if (result.state === 'skipped' && result.note) notes.push(`skipped: ${test.fullName}: ${result.note}\n`);
      }
    }
    process.stdout.write(`\n${notes.join('')}${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
