import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `infra: N passed, N failed[, N skipped]`, that CI reads to tell
 * a run that tested something from one that ran no test.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') {
          counts[state] += 1;
        }
      }
    }
    const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
    process.stdout.write(`\ninfra: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
  }
}
