/**
 * Lambda entry point of `import-stock` (handler: `index.handler`), triggered by S3 ObjectCreated
 * events on the stock-import bucket.
 */
import { powertools, publisherFromEnv, sharedRepository } from '@ias/fn-common';
import { createHandler } from './handler';
import { objectSourceFromEnv } from './objects';

const tools = powertools('import-stock');

export const handler = createHandler({
  tools,
  repository: () => sharedRepository(),
  publisher: publisherFromEnv(tools.logger),
  objects: objectSourceFromEnv(),
});
