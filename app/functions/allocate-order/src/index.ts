/**
 * Lambda entry point of `allocate-order` (handler: `index.handler`). Powertools, the database
 * pool and the EventBridge client live at module scope and are reused across invocations; the
 * client is traced by X-Ray through Powertools' tracer.
 */
import { powertools, sharedRepository, tracedPublisher, withSmokeProbe } from '@ias/fn-common';
import { createHandler } from './handler';

const tools = powertools('allocate-order');

const repository = () => sharedRepository();

/** Answers the deployment hooks' smoke probe too (see `events/smoke.json`). */
export const handler = withSmokeProbe(
  'allocate-order',
  repository,
  createHandler({ tools, repository, publisher: tracedPublisher(tools) }),
);
