import { beforeEach } from 'vitest';
import { resetMocks } from './aws.js';

// Before each test of every file: the test files share one module graph per worker (vitest.config.mts),
// so the AWS stubs of test/aws.ts outlive a file, and a test starts with no answers and no calls.
beforeEach(() => {
  resetMocks();
});
