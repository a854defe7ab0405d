import { createTestDatabase, DEPLOYED_DATABASE_ENV } from '@ias/local';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, migrateDatabase, poolConfig, type AuthTokenTarget } from '../src/db';
import { MIGRATIONS } from '../src/migrations';
import { databaseSettings, deployedRules, parseSettings, refineDatabaseSettings } from '../src/settings';

const schema = databaseSettings.superRefine(refineDatabaseSettings);
const DEPLOYED = DEPLOYED_DATABASE_ENV;

/** A fake signer: counts the tokens it signs and for whom; the token is the role's local password. */
function fakeSigner(password: string) {
  const calls: AuthTokenTarget[] = [];
  return {
    calls,
    factory: (target: AuthTokenTarget) => ({
      getAuthToken: async () => {
        calls.push(target);
        return password;
      },
    }),
  };
}

describe('database settings', () => {
  it('parse a deployed environment with IAM authentication, defaults filled in', () => {
    expect(parseSettings(schema, DEPLOYED, 'test')).toMatchObject({
      PGPORT: 5432,
      DB_AUTH: 'iam',
      DB_POOL_MAX: 10,
      PGUSER: 'inventory_app',
    });
    expect(parseSettings(schema, { DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }, 'test').DB_AUTH).toBe(
      'password',
    );
  });

  it('fail with one message naming every bad variable', () => {
    expect(() =>
      parseSettings(schema, { ...DEPLOYED, PGPORT: 'x', DB_POOL_MAX: '0' }, 'allocate-order'),
    ).toThrow(
      'allocate-order: bad settings in the environment: PGPORT: must be a whole number from 1 to 65535 (got "x"); DB_POOL_MAX: must be a whole number from 1 to 1000 (got "0")',
    );
    // The checks across settings, once each setting parses on its own.
    expect(() => parseSettings(schema, { ...DEPLOYED, AWS_REGION: '', PGSSLMODE: 'disable' }, 'x')).toThrow(
      /AWS_REGION: required with DB_AUTH=iam.*; PGSSLMODE: must turn TLS on with DB_AUTH=iam/,
    );
    expect(() => parseSettings(schema, {}, 'x')).toThrow('PGHOST: no database configured: set DATABASE_URL');
    expect(() => parseSettings(schema, { ...DEPLOYED, PGPASSWORD: 'secret' }, 'x')).toThrow(
      'PGPASSWORD: must not be set with DB_AUTH=iam',
    );
    expect(() => parseSettings(schema, { ...DEPLOYED, PGSSLMODE: 'always' }, 'x')).toThrow(
      /PGSSLMODE: .*"always"/,
    );
  });

  it('mark the settings a deployed workload must have', () => {
    expect(deployedRules(databaseSettings)).toEqual({
      PGHOST: 'required',
      PGDATABASE: 'required',
      PGUSER: 'required',
      PGSSLMODE: 'required',
      DB_AUTH: 'required',
      DB_OWNER_USER: 'required',
    });
  });

  it('turn verified TLS on for every mode but disable and no-verify', () => {
    const settings = parseSettings(schema, DEPLOYED, 'test');
    expect(poolConfig(settings).ssl).toBe(true);
    expect(poolConfig({ ...settings, PGSSLMODE: 'no-verify' }).ssl).toEqual({ rejectUnauthorized: false });
  });
});

describe('IAM authentication', () => {
  let url: URL;
  beforeAll(async () => {
    url = new URL(await createTestDatabase(inject('postgresAdminUrl'), 'iam'));
    // Stand-ins for the IAM-only roles: locally they log in with the fake token as password.
    const admin = new Client({ connectionString: url.href });
    await admin.connect();
    await admin.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'core_owner') THEN CREATE ROLE core_owner LOGIN PASSWORD 'owner-token'; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'core_app') THEN CREATE ROLE core_app LOGIN PASSWORD 'app-token'; END IF;
      END $$;
      ALTER DATABASE ${url.pathname.slice(1)} OWNER TO core_owner;`);
    await admin.end();
  });
  const settingsFor = () => ({
    ...parseSettings(schema, { ...DEPLOYED, PGUSER: 'core_app', DB_OWNER_USER: 'core_owner' }, 'test'),
    PGHOST: url.hostname,
    PGPORT: Number(url.port),
    PGDATABASE: url.pathname.slice(1),
    PGSSLMODE: undefined, // the embedded server has no TLS; RDS has, and the schema insists on it
  });
  const pools: { end(): Promise<void> }[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.end())));

  it('signs a fresh token for every new connection, for the endpoint, port, user and region', async () => {
    const signer = fakeSigner('app-token');
    const settings = settingsFor();
    const pool = createPool(settings, { signer: signer.factory, max: 2 });
    pools.push(pool);
    const [a, b] = await Promise.all([pool.connect(), pool.connect()]);
    expect((await a.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe('core_app');
    a.release();
    b.release();
    expect(signer.calls).toHaveLength(2);
    expect(signer.calls[0]).toEqual({
      hostname: url.hostname,
      port: Number(url.port),
      username: 'core_app',
      region: 'ap-northeast-1',
    });
    // A reused connection needs no token; a new one (after an idle close, a failover) gets its own.
    await pool.query('SELECT 1');
    expect(signer.calls).toHaveLength(2);
  });

  it('migrates as the owner on a connection of its own, then grants the application role', async () => {
    const signer = fakeSigner('owner-token');
    const appSigner = fakeSigner('app-token');
    const settings = settingsFor();
    const pool = createPool(settings, { signer: appSigner.factory });
    pools.push(pool);
    expect(await migrateDatabase(settings, pool, { signer: signer.factory })).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    expect(signer.calls.map((c) => c.username)).toEqual(['core_owner']);
    expect(appSigner.calls).toEqual([]);
    const { rows } = await pool.query<{ owner: string }>(
      `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'stock'`,
    );
    expect(rows[0]?.owner).toBe('core_owner');
    await pool.query(`INSERT INTO stock (sku, warehouse, on_hand) VALUES ('S', 'W', 1)`);
    await expect(pool.query('DROP TABLE stock')).rejects.toThrow(/must be owner/);
  });

  it('fails to sign without a region rather than sending an unsigned login', () => {
    expect(() => poolConfig({ ...settingsFor(), AWS_REGION: undefined })).toThrow(
      'DB_AUTH=iam needs AWS_REGION',
    );
  });
});
