import { deployedRules, type DatabaseSettings } from '@ias/core';
import {
  canaryGateEnvironmentSchema,
  dbRolesEnvironmentSchema,
  greenCheckEnvironmentSchema,
  hookEnvironmentSchema,
} from '@ias/delivery';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ProjectConfig, REPO_ROOT } from '@ias/infra/config';
import { z, type ZodType } from 'zod';
import type { DatabaseClient } from './database';
import type { Workload } from './workloads';

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
  /**
   * The database client the parsed settings describe, if the workload uses the database: with what
   * its surroundings give it (variables injected from secrets, secrets mounted as files).
   */
  readonly database?: (
    settings: unknown,
    given: Pick<Workload, 'injected' | 'mounted'>,
  ) => DatabaseClient | undefined;
}

/**
 * Variables the Lambda runtime, Amazon ECS, CodeBuild, EKS Pod Identity and an EC2 instance's unit set
 * themselves (values stand in).
 */
export const RUNTIME_VARIABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  function: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in', AWS_LAMBDA_FUNCTION_NAME: 'stand-in' },
  task: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in' },
  build: { AWS_REGION: 'stand-in', AWS_DEFAULT_REGION: 'stand-in', CODEBUILD_BUILD_ARN: 'stand-in' },
  // Pod Identity's credentials endpoint; no region (the application's settings must give one if it needs it).
  pods: {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'stand-in',
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: 'stand-in',
  },
  // None the settings schemas read: the unit (the revision's systemd/<name>.service) adds what the image
  // sets, NODE_ENV and NODE_EXTRA_CA_CERTS, to the settings file's values; the SDK finds the instance
  // role's credentials through the instance metadata service.
  instances: {},
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
  given: Pick<Workload, 'injected' | 'mounted'>,
): DatabaseClient | undefined {
  const settings = parsed as DatabaseSettings;
  if (settings.DATABASE_URL || !settings.PGHOST) {
    return undefined;
  }
  const file = settings.DB_AUTH === 'secret-file' ? (settings.DB_SECRET_FILE ?? '') : undefined;
  const mounted = file === undefined ? undefined : given.mounted?.[file];
  return {
    host: settings.PGHOST,
    port: settings.PGPORT,
    users: [settings.PGUSER, settings.DB_OWNER_USER].filter((u): u is string => !!u),
    auth: settings.DB_AUTH,
    tls: settings.PGSSLMODE !== undefined && settings.PGSSLMODE !== 'disable',
    passwordSecret:
      settings.DB_AUTH === 'password'
        ? given.injected.PGPASSWORD
        : settings.DB_AUTH === 'secret-file'
          ? mounted?.secret
          : undefined,
    ...(file === undefined ? {} : { secretFile: { path: file, refreshed: mounted?.refreshed ?? false } }),
  };
}

/** The delivery machinery's contracts: each handler's own settings schema. */
const DELIVERY_CONTRACTS: Readonly<Record<string, WorkloadContract>> = {
  'delivery:traffic-hook': { settings: hookEnvironmentSchema },
  'platform:db-roles': { settings: dbRolesEnvironmentSchema },
  'delivery:green-check:codedeploy': { settings: greenCheckEnvironmentSchema },
  'delivery:green-check:ecs': { settings: greenCheckEnvironmentSchema },
  'delivery:canary-gate:codedeploy': { settings: canaryGateEnvironmentSchema },
  'delivery:canary-gate:ecs': { settings: canaryGateEnvironmentSchema },
};

/**
 * The settings schema a function's or service's folder exports from `src/settings.ts`: its one
 * zod object export named `…Settings` (`allocateOrderSettings`, `inventoryApiSettings`), the schema
 * its entry point parses at start.
 */
async function folderSettings(folder: string): Promise<z.ZodObject> {
  const file = join(REPO_ROOT, folder, 'src', 'settings.ts');
  if (!existsSync(file)) {
    throw new Error(
      `${folder}: no src/settings.ts: export the schema its code parses its environment with (see the README, "Adding a function")`,
    );
  }
  const module = (await import(file)) as Record<string, unknown>;
  const schemas = Object.entries(module).filter(
    ([name, value]) => name.endsWith('Settings') && value instanceof z.ZodObject,
  );
  const [only, ...others] = schemas;
  if (!only || others.length > 0) {
    throw new Error(
      `${folder}/src/settings.ts: export exactly one zod object named …Settings (found ${schemas.length})`,
    );
  }
  return only[1] as z.ZodObject;
}

/**
 * Every recording's contract: the delivery machinery's, and for each function and service of the
 * project, the schema its folder exports (a new one needs no entry here).
 */
export async function loadContracts(project: ProjectConfig): Promise<Record<string, WorkloadContract>> {
  const contracts: Record<string, WorkloadContract> = { ...DELIVERY_CONTRACTS };
  const folders = [
    ...project.functions.map((f) => [`fn:${f.name}`, f.folder] as const),
    ...(project.services ?? []).map((s) => [`svc:${s.name}`, s.folder] as const),
  ];
  for (const [id, folder] of folders) {
    const settings = await folderSettings(folder);
    contracts[id] = { settings, deployed: deployed(settings), database: databaseClient };
  }
  return contracts;
}
