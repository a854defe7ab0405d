import { defineConfig } from 'vitest/config';

// Every AWS call is stubbed at the SDK client with aws-sdk-client-mock; the CLI tests spawn the real binary
// with no credentials at all.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file's recorded calls, held against the operator policy once its tests have run.
    setupFiles: ['test/support/operator-policy.ts'],
    // One module graph per worker: the setup's policy simulator and the SDK load once, not once per file
    // (no test mocks modules or changes globals).
    isolate: false,
    reporters: ['default', '../tools/vitest-summary-reporter.ts'],
    env: {
      // The SDK warns on every client load that Node 20 loses support in 2027; it is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
