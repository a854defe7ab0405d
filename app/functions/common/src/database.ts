import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createPool, InventoryRepository, migrate } from '@ias/core';
import type { Pool } from 'pg';

let shared: Promise<{ pool: Pool; repository: InventoryRepository }> | undefined;

/** The JSON of an RDS-generated credentials secret (only the fields used). */
interface DatabaseSecret {
  username?: string;
  password?: string;
}

/**
 * The connection environment: as given, plus `PGUSER` and `PGPASSWORD` from the Secrets Manager
 * secret `DB_SECRET_ARN` when the environment names one and carries no credentials itself (the
 * function configuration holds only the secret's ARN, never its value).
 */
export async function databaseEnv(
  env: NodeJS.ProcessEnv,
  client: SecretsManagerClient = new SecretsManagerClient({}),
): Promise<NodeJS.ProcessEnv> {
  if (!env.DB_SECRET_ARN || env.DATABASE_URL || env.PGPASSWORD) {
    return env;
  }
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: env.DB_SECRET_ARN }));
  let secret: DatabaseSecret;
  try {
    secret = JSON.parse(SecretString ?? '') as DatabaseSecret;
  } catch {
    throw new Error(`the secret ${env.DB_SECRET_ARN} is not JSON with username and password`);
  }
  if (!secret.username || !secret.password) {
    throw new Error(`the secret ${env.DB_SECRET_ARN} has no username or password`);
  }
  return { ...env, PGUSER: secret.username, PGPASSWORD: secret.password };
}

/**
 * The repository of this execution environment: one pool, created on first use from the
 * environment (`DATABASE_URL`, or `PG*` with the credentials from `DB_SECRET_ARN`), reused by
 * every invocation, with pending migrations applied once (they are idempotent and serialized by an
 * advisory lock, so a function deployed before the service still finds its tables).
 */
export function sharedRepository(env: NodeJS.ProcessEnv = process.env): Promise<InventoryRepository> {
  shared ??= (async () => {
    const pool = createPool({ DB_POOL_MAX: '2', ...(await databaseEnv(env)) });
    await migrate(pool);
    return { pool, repository: new InventoryRepository(pool) };
  })().catch((err: unknown) => {
    shared = undefined; // let the next invocation try again
    throw err;
  });
  return shared.then((s) => s.repository);
}

/** Closes the shared pool (local runs and tests). */
export async function closeSharedRepository(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) {
    await (await current).pool.end();
  }
}
