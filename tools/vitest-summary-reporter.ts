import { basename } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `<workspace>: N passed, N failed[, N skipped]`, that CI reads
 * to tell a run that tested something from one that ran no test. Every workspace's vitest config
 * lists it after the default reporter.
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
    const name = (process.env.npm_package_name ?? basename(process.cwd())).replace(/^@[^/]+\//, '');
    process.stdout.write(`\n${name}: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
  }
}
