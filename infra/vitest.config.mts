import { defineConfig } from 'vitest/config';

// Synthesis is CPU-bound and a full app takes seconds: one generous limit, for the tests and for the
// hooks that synthesize, keeps slow CI machines green.
const SYNTHESIS_LIMIT_MS = 120_000;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizes the whole app once, with the policy gates, for the invariant and gate tests.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: SYNTHESIS_LIMIT_MS,
    hookTimeout: SYNTHESIS_LIMIT_MS,
    pool: 'forks',
    // Every core (vitest's default leaves one idle), and one module graph per worker: each file would
    // otherwise import aws-cdk-lib again (about 2 s apiece). No test file mocks modules, spies on
    // globals or changes the environment, so sharing a worker's modules changes no result.
    maxWorkers: '100%',
    isolate: false,
    reporters: ['default', '../tools/vitest-summary-reporter.ts'],
  },
});
