/**
 * Lambda entry point of `allocate-order` (handler: `index.handler`). Its settings are parsed once,
 * at load (a bad or missing one fails the init with the variable's name); Powertools, the database
 * pool and the EventBridge client live at module scope and are reused across invocations; the
 * client and every query are traced by X-Ray through Powertools' tracer, and slow queries are logged
 * (see `observedRepository`).
 */
import { parseSettings } from '@ias/core';
import { observedRepository, powertools, tracedPublisher, withSmokeProbe } from '@ias/fn-common';
import { createHandler } from './handler';
import { allocateOrderSettings } from './settings';

const settings = parseSettings(allocateOrderSettings, process.env, 'allocate-order');
const tools = powertools('allocate-order', settings.POWERTOOLS_METRICS_NAMESPACE);

const repository = observedRepository(tools, settings);

/** Answers the deployment hooks' smoke probe too (see `events/smoke.json`). */
export const handler = withSmokeProbe(
  'allocate-order',
  repository,
  createHandler({ tools, repository, publisher: tracedPublisher(tools, settings) }),
);
