/**
 * Lambda entry point of `allocate-order` (handler: `index.handler`). Its settings are parsed once,
 * at load (a bad or missing one fails the init with the variable's name); Powertools, the database
 * pool and the EventBridge client live at module scope and are reused across invocations; the
 * client is traced by X-Ray through Powertools' tracer.
 */
import { parseSettings } from '@ias/core';
import { powertools, sharedRepository, tracedPublisher, withSmokeProbe } from '@ias/fn-common';
import { createHandler } from './handler';
import { allocateOrderSettings } from './settings';

const settings = parseSettings(allocateOrderSettings, process.env, 'allocate-order');
const tools = powertools('allocate-order', settings.POWERTOOLS_METRICS_NAMESPACE);

const repository = () => sharedRepository(settings);

/** Answers the deployment hooks' smoke probe too (see `events/smoke.json`). */
export const handler = withSmokeProbe(
  'allocate-order',
  repository,
  createHandler({ tools, repository, publisher: tracedPublisher(tools, settings) }),
);
