/**
 * Lambda entry point of `import-stock` (handler: `index.handler`), triggered by S3 ObjectCreated
 * events on the stock-import bucket. The AWS clients are traced by X-Ray through Powertools' tracer.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { powertools, publisherFromEnv, sharedRepository } from '@ias/fn-common';
import { createHandler } from './handler';
import { objectSourceFromEnv } from './objects';

const tools = powertools('import-stock');

export const handler = createHandler({
  tools,
  repository: () => sharedRepository(),
  publisher: publisherFromEnv(
    tools.logger,
    process.env,
    tools.tracer.captureAWSv3Client(new EventBridgeClient({})),
  ),
  objects: objectSourceFromEnv(process.env, tools.tracer.captureAWSv3Client(new S3Client({}))),
});
