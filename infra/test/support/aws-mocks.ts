import { beforeEach } from 'vitest';

/**
 * The aws-sdk-client-mock stubs a test file works with, each reset before every test so that no
 * test sees another's answers or calls.
 */
export function resetBeforeEach<Mocks extends readonly { reset(): unknown }[]>(...mocks: Mocks): Mocks {
  beforeEach(() => {
    for (const mock of mocks) {
      mock.reset();
    }
  });
  return mocks;
}
