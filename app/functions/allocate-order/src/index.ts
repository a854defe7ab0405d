/**
 * Lambda entry point of `allocate-order` (handler: `index.handler`). Powertools, the database
 * pool and the EventBridge client live at module scope and are reused across invocations; the
 * client is traced by X-Ray through Powertools' tracer.
 */
import { powertools, sharedRepository, tracedPublisher } from '@ias/fn-common';
import { createHandler } from './handler';

const tools = powertools('allocate-order');

export const handler = createHandler({
  tools,
  repository: () => sharedRepository(),
  publisher: tracedPublisher(tools),
});
