/**
 * Lambda entry point of `import-stock` (handler: `index.handler`), triggered by S3 ObjectCreated
 * events on the stock-import bucket. Its settings are parsed once, at load (a bad or missing one
 * fails the init with the variable's name). The AWS clients and every query are traced by X-Ray
 * through Powertools' tracer, and slow queries are logged (see `observedRepository`).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { parseSettings } from '@ias/core';
import { observedRepository, powertools, tracedPublisher, withSmokeProbe } from '@ias/fn-common';
import { createHandler } from './handler';
import { objectSourceFor } from './objects';
import { importStockSettings } from './settings';

const settings = parseSettings(importStockSettings, process.env, 'import-stock');
const tools = powertools('import-stock', settings.POWERTOOLS_METRICS_NAMESPACE);

const repository = observedRepository(tools, settings);

/** Answers the deployment hooks' smoke probe too (see `events/smoke.json`). */
export const handler = withSmokeProbe(
  'import-stock',
  repository,
  createHandler({
    tools,
    repository,
    publisher: tracedPublisher(tools, settings),
    objects: objectSourceFor(settings, tools.tracer.captureAWSv3Client(new S3Client({}))),
  }),
);
