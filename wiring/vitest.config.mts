import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Until the check lands its first tests (issue 14, in progress).
    passWithNoTests: true,
    reporters: ['default', '../tools/vitest-summary-reporter.ts'],
    env: {
      AWS_REGION: 'ap-northeast-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
