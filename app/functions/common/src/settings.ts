import { databaseSettings, optionalText, wholeNumber } from '@ias/core';
import { z } from 'zod';

/**
 * The settings every function reads besides the database's: where business events go, and the
 * metrics namespace. (Powertools reads its other `POWERTOOLS_*` variables itself.)
 */
export const eventSettings = z.object({
  EVENT_BUS_NAME: optionalText().meta({
    deployed: 'required',
    description: 'EventBridge bus for business events; unset: events are only logged (local runs)',
  }),
  EVENT_SOURCE: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('inventory'))
    .meta({ description: 'Source of the business events' }),
  POWERTOOLS_METRICS_NAMESPACE: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('Inventory'))
    .meta({ description: 'CloudWatch namespace of the metrics (the infrastructure sets <prefix>-<env>)' }),
});

/**
 * The database settings and {@link eventSettings} of a function, before the checks across the
 * database settings (each function refines its own composed schema). A function holds at most two
 * connections by default: one invocation at a time per execution environment.
 */
export const functionSettingsShape = {
  ...databaseSettings.shape,
  ...eventSettings.shape,
  DB_POOL_MAX: wholeNumber(1, 1000, 2).meta({ description: 'Connections per execution environment' }),
};

/** The parsed settings every function has. */
export type FunctionSettings = z.output<z.ZodObject<typeof functionSettingsShape>>;
