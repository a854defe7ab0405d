/**
 * Lambda entry point of `import-stock` (handler: `index.handler`), triggered by S3 ObjectCreated
 * events on the stock-import bucket. The AWS clients are traced by X-Ray through Powertools' tracer.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { powertools, sharedRepository, tracedPublisher } from '@ias/fn-common';
import { createHandler } from './handler';
import { objectSourceFromEnv } from './objects';

const tools = powertools('import-stock');

export const handler = createHandler({
  tools,
  repository: () => sharedRepository(),
  publisher: tracedPublisher(tools),
  objects: objectSourceFromEnv(process.env, tools.tracer.captureAWSv3Client(new S3Client({}))),
});
