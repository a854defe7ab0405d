/**
 * Lambda entry point of `import-stock` (handler: `index.handler`), triggered by S3 ObjectCreated
 * events on the stock-import bucket. The AWS clients are traced by X-Ray through Powertools' tracer.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { powertools, sharedRepository, tracedPublisher, withSmokeProbe } from '@ias/fn-common';
import { createHandler } from './handler';
import { objectSourceFromEnv } from './objects';

const tools = powertools('import-stock');

const repository = () => sharedRepository();

/** Answers the deployment hooks' smoke probe too (see `events/smoke.json`). */
export const handler = withSmokeProbe(
  'import-stock',
  repository,
  createHandler({
    tools,
    repository,
    publisher: tracedPublisher(tools),
    objects: objectSourceFromEnv(process.env, tools.tracer.captureAWSv3Client(new S3Client({}))),
  }),
);
