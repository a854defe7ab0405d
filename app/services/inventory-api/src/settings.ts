/**
 * The settings of `inventory-api`, from its environment: one schema, parsed once at start (see
 * `main.ts`), and importable on its own (nothing starts) by checkers of the deployed wiring. Fields
 * marked `.meta({ deployed: 'required' })` quietly switch a capability off when a deployed task
 * lacks them (see `deployedRules` in @ias/core).
 */
import { databaseSettings, flag, refineDatabaseSettings, wholeNumber } from '@ias/core';
import { z } from 'zod';

/** Every setting `inventory-api` reads: the database's and the server's. */
export const inventoryApiSettings = z
  .object({
    ...databaseSettings.shape,
    PORT: wholeNumber(1, 65_535, 3000).meta({ description: 'Port the API listens on' }),
    HOST: z
      .preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0'))
      .meta({ description: 'Interface the API listens on (all of them, as a container needs)' }),
    MIGRATE_ON_START: flag(true).meta({ description: 'Apply pending migrations before serving' }),
    SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 3_600_000, 25_000).meta({
      description: 'How long in-flight requests may take after SIGTERM',
    }),
    LOG_LEVEL: z
      .preprocess(
        (v) => (v === '' ? undefined : v),
        z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      )
      .meta({ description: 'Log level of the request log' }),
  })
  .superRefine(refineDatabaseSettings);

/** The parsed {@link inventoryApiSettings}. */
export type InventoryApiSettings = z.output<typeof inventoryApiSettings>;
