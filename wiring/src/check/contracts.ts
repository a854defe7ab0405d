import { deployedRules, type DatabaseSettings } from '@ias/core';
import { greenCheckEnvironmentSchema } from '@ias/delivery/src/ecs/green-check';
import { dbRolesEnvironmentSchema } from '@ias/delivery/src/db-roles';
import { hookEnvironmentSchema } from '@ias/delivery/src/traffic-hook';
import { allocateOrderSettings } from '@ias/fn-allocate-order/src/settings';
import { importStockSettings } from '@ias/fn-import-stock/src/settings';
import { inventoryApiSettings } from '@ias/inventory-api/src/settings';
import type { z, ZodType } from 'zod';
import type { DatabaseClient } from './database';

/**
 * What a workload's code expects of its surroundings, read from the code itself: the schema it
 * parses its environment with at start, and the database client those settings make.
 */
export interface WorkloadContract {
  /** The schema the code parses its environment with at start (the same object, imported). */
  readonly settings?: ZodType;
  /**
   * Settings a deployed workload must have, or must not have: marked on the schema's fields
   * (`.meta({ deployed })`), with what goes wrong otherwise.
   */
  readonly deployed?: Readonly<
    Record<string, { readonly rule: 'required' | 'forbidden'; readonly why: string }>
  >;
  /** The database client the parsed settings describe, if the workload uses the database. */
  readonly database?: (
    settings: unknown,
    injected: Readonly<Record<string, string>>,
  ) => DatabaseClient | undefined;
}

/** Variables the Lambda runtime, Amazon ECS and CodeBuild set themselves (values stand in). */
export const RUNTIME_VARIABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  function: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in', AWS_LAMBDA_FUNCTION_NAME: 'stand-in' },
  task: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in' },
  build: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in', CODEBUILD_BUILD_ARN: 'stand-in' },
};

/** The deployed rules of a settings schema, with each field's own description as the why. */
function deployed(schema: z.ZodObject) {
  return Object.fromEntries(
    Object.entries(deployedRules(schema)).map(([name, rule]) => {
      const meta = (schema.shape[name] as ZodType).meta() as { description?: string } | undefined;
      return [name, { rule, why: meta?.description ?? name }];
    }),
  );
}

/** The client a workload's parsed database settings make. */
function databaseClient(
  parsed: unknown,
  injected: Readonly<Record<string, string>>,
): DatabaseClient | undefined {
  const settings = parsed as DatabaseSettings;
  if (settings.DATABASE_URL || !settings.PGHOST) {
    return undefined;
  }
  return {
    host: settings.PGHOST,
    port: settings.PGPORT,
    users: [settings.PGUSER, settings.DB_OWNER_USER].filter((u): u is string => !!u),
    auth: settings.DB_AUTH,
    tls: settings.PGSSLMODE !== undefined && settings.PGSSLMODE !== 'disable',
    passwordSecret: settings.DB_AUTH === 'password' ? injected.PGPASSWORD : undefined,
  };
}

/** Each recording's contract. A workload without one is checked for permissions and network only. */
export const CONTRACTS: Readonly<Record<string, WorkloadContract>> = {
  'fn:allocate-order': {
    settings: allocateOrderSettings,
    deployed: deployed(allocateOrderSettings),
    database: databaseClient,
  },
  'fn:import-stock': {
    settings: importStockSettings,
    deployed: deployed(importStockSettings),
    database: databaseClient,
  },
  'svc:inventory-api': {
    settings: inventoryApiSettings,
    deployed: deployed(inventoryApiSettings),
    database: databaseClient,
  },
  'delivery:traffic-hook': { settings: hookEnvironmentSchema },
  'platform:db-roles': { settings: dbRolesEnvironmentSchema },
  'delivery:green-check:codedeploy': { settings: greenCheckEnvironmentSchema },
  'delivery:green-check:ecs': { settings: greenCheckEnvironmentSchema },
};
