import { basename } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line per project, `<workspace>: N passed, N failed[, N skipped]`, that
 * tells a run that tested something from one that ran no test: one line when a workspace runs alone
 * (`npm test -w infra`), one per workspace when `npm test` runs them all as projects of one run. Every
 * workspace's vitest config and the root one list it after the default reporter.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const byProject = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const module of testModules) {
      const name = projectName(module.project.name);
      const counts = byProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      byProject.set(name, counts);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') {
          counts[state] += 1;
        }
      }
    }
    if (byProject.size === 0) {
      byProject.set(projectName(''), { passed: 0, failed: 0, skipped: 0 });
    }
    const lines = [...byProject].map(([name, counts]) => {
      const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
      return `${name}: ${counts.passed} passed, ${counts.failed} failed${skipped}`;
    });
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}

/** The project's name, else the workspace's package name, without its scope. */
function projectName(project: string): string {
  const name = project || process.env.npm_package_name || basename(process.cwd());
  return name.replace(/^@[^/]+\//, '');
}
