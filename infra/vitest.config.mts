import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizes the whole app once, with the policy gates, for the invariant and gate tests.
    globalSetup: ['test/support/global-setup.ts'],
    // Synthesis is CPU-bound and a full app takes seconds; generous limits keep slow CI machines green.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', '../tools/vitest-summary-reporter.ts'],
  },
});
