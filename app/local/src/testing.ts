import { randomBytes } from 'node:crypto';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { type LocalDatabase, startLocalDatabase } from './database';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the embedded server's `postgres` database, for creating a database per test file. */
    postgresAdminUrl: string;
  }
}

/** The server every project of one vitest run shares, and how many projects still use it. */
interface SharedServer {
  readonly started: Promise<LocalDatabase>;
  users: number;
}
const SHARED = Symbol.for('@ias/local:test-server');
const registry = globalThis as { [SHARED]?: SharedServer | undefined };

/**
 * A vitest global setup that starts one embedded PostgreSQL for the whole run; test files create
 * their own databases on it with {@link createTestDatabase}. The projects of one run (`npm test`
 * runs every workspace in one) share the server: the first starts it, the last to finish stops it.
 */
export async function startTestServer(project: TestProject): Promise<() => Promise<void>> {
  const shared = registry[SHARED] ?? { started: startLocalDatabase(), users: 0 };
  registry[SHARED] = shared;
  shared.users += 1;
  const db = await shared.started;
  project.provide('postgresAdminUrl', db.adminUrl);
  return async () => {
    shared.users -= 1;
    if (shared.users === 0) {
      registry[SHARED] = undefined;
      await db.stop();
    }
  };
}

/** Creates an empty database with a unique name on the server at `adminUrl`; returns its URL. */
export async function createTestDatabase(adminUrl: string, prefix = 'test'): Promise<string> {
  const { Client } = await import('pg');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/**
 * The database settings a deployed workload's environment holds, for tests of the settings schemas:
 * IAM login through the proxy as the application role, migrations as the owner, verified TLS.
 */
export const DEPLOYED_DATABASE_ENV: Readonly<Record<string, string>> = {
  PGHOST: 'ias-prod-db-proxy.proxy-abc.ap-northeast-1.rds.amazonaws.com',
  PGPORT: '5432',
  PGDATABASE: 'inventory',
  PGUSER: 'inventory_app',
  DB_OWNER_USER: 'inventory_owner',
  DB_AUTH: 'iam',
  PGSSLMODE: 'verify-full',
  AWS_REGION: 'ap-northeast-1',
};
