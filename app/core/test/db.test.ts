import { createTestDatabase, DEPLOYED_DATABASE_ENV } from '@ias/local';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createPool,
  DatabaseLoginFileError,
  migrateDatabase,
  poolConfig,
  type AuthTokenTarget,
} from '../src/db';
import { MIGRATIONS } from '../src/migrations';
import {
  databaseSettings,
  databaseSettingsWithSecretFile,
  deployedRules,
  parseSettings,
  refineDatabaseSettings,
} from '../src/settings';

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

describe('mounted secret file authentication', () => {
  const SECRET_FILE_ENV = {
    PGHOST: 'ias-dev-db.cluster-abc.ap-northeast-1.rds.amazonaws.com',
    PGDATABASE: 'inventory',
    PGSSLMODE: 'verify-full',
    DB_AUTH: 'secret-file',
    DB_SECRET_FILE: '/mnt/secrets/db/login.json',
  };
  let url: URL;
  let dir: string;
  let file: string;
  const pools: Pool[] = [];
  // A login and the clone Secrets Manager's alternating-users rotation makes of it (a member of it).
  const LOGIN = 'core_secret_login';
  const CLONE = `${LOGIN}_clone`;

  const writeLogin = (login: Record<string, unknown> | string) =>
    writeFileSync(file, typeof login === 'string' ? login : JSON.stringify(login));
  const asAdmin = async (sql: string) => {
    const admin = new Client({ connectionString: url.href });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  const settingsFor = () => ({
    ...parseSettings(schema, { ...SECRET_FILE_ENV, DB_SECRET_FILE: file }, 'test'),
    PGHOST: url.hostname,
    PGPORT: Number(url.port),
    PGDATABASE: url.pathname.slice(1),
    PGSSLMODE: undefined, // the embedded server has no TLS; RDS has, and the schema insists on it
  });
  const newPool = () => {
    const pool = createPool(settingsFor(), { max: 3 });
    pools.push(pool);
    return pool;
  };
  const whoOnANewConnection = async (pool: Pool) => {
    const client = await pool.connect();
    try {
      return (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u;
    } finally {
      client.release(true); // closed, not kept: the next checkout opens a new connection
    }
  };

  beforeAll(async () => {
    url = new URL(await createTestDatabase(inject('postgresAdminUrl'), 'secretfile'));
    dir = mkdtempSync(join(tmpdir(), 'db-login-'));
    file = join(dir, 'login.json');
    await asAdmin(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${LOGIN}') THEN CREATE ROLE ${LOGIN} LOGIN; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${CLONE}') THEN CREATE ROLE ${CLONE} LOGIN; END IF;
      END $$;
      ALTER ROLE ${LOGIN} PASSWORD 'first-password';
      ALTER ROLE ${CLONE} PASSWORD NULL;
      GRANT ${LOGIN} TO ${CLONE};`);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses a deployed environment with the mounted login, and refuses what contradicts it', () => {
    const parsed = parseSettings(schema, SECRET_FILE_ENV, 'test');
    expect(parsed).toMatchObject({ DB_AUTH: 'secret-file', DB_SECRET_FILE: '/mnt/secrets/db/login.json' });
    expect(parsed.PGUSER).toBeUndefined();
    expect(() =>
      parseSettings(
        schema,
        {
          ...SECRET_FILE_ENV,
          DB_SECRET_FILE: '',
          PGUSER: 'inventory_app',
          PGPASSWORD: 'secret',
          DB_OWNER_USER: 'inventory_owner',
          PGSSLMODE: 'disable',
        },
        'k8s',
      ),
    ).toThrow(
      /DB_SECRET_FILE: required with DB_AUTH=secret-file.*; PGUSER: must not be set with DB_AUTH=secret-file.*; PGPASSWORD: must not be set.*; DB_OWNER_USER: must not be set.*; PGSSLMODE: must turn TLS on with DB_AUTH=secret-file/,
    );
    expect(() =>
      parseSettings(schema, { ...DEPLOYED, DB_SECRET_FILE: '/mnt/secrets/db/login.json' }, 'x'),
    ).toThrow('DB_SECRET_FILE: is read only with DB_AUTH=secret-file');
  });

  it('leaves PGUSER and DB_OWNER_USER out of the deployed rules of a workload that may use the file', () => {
    expect(deployedRules(databaseSettingsWithSecretFile)).toEqual({
      PGHOST: 'required',
      PGDATABASE: 'required',
      PGSSLMODE: 'required',
      DB_AUTH: 'required',
    });
    // The checks across settings still ask for PGUSER where the login is IAM's.
    const iamOrFile = databaseSettingsWithSecretFile.superRefine(refineDatabaseSettings);
    expect(() => parseSettings(iamOrFile, { ...DEPLOYED, PGUSER: '' }, 'x')).toThrow(
      'PGUSER: required with PGHOST',
    );
    expect(parseSettings(iamOrFile, SECRET_FILE_ENV, 'x').DB_AUTH).toBe('secret-file');
  });

  it('logs in as the user of the file, read on each new connection', async () => {
    writeLogin({ username: LOGIN, password: 'first-password', host: 'ignored', port: 5432 });
    const pool = newPool();
    expect(await whoOnANewConnection(pool)).toBe(LOGIN);
    // The password really is checked: a wrong one in the file fails the login.
    writeLogin({ username: LOGIN, password: 'not-the-password' });
    await expect(pool.query('SELECT 1')).rejects.toThrow(
      `password authentication failed for user "${LOGIN}"`,
    );
  });

  it('uses a rotated login (another user, another password) on the next new connection, without a new pool', async () => {
    writeLogin({ username: LOGIN, password: 'first-password' });
    const pool = newPool();
    const held = await pool.connect(); // a connection open before the rotation
    expect((await held.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(LOGIN);

    // What the alternating-users rotation does: the clone gets a new password, the secret (and so,
    // once the secrets provider syncs it, the file) names the clone.
    await asAdmin(`ALTER ROLE ${CLONE} PASSWORD 'second-password'`);
    writeLogin({ username: CLONE, password: 'second-password' });
    expect(await whoOnANewConnection(pool)).toBe(CLONE);
    // The open connection goes on as the old user, whose password stays valid until the next rotation.
    expect((await held.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(LOGIN);
    held.release();

    // The next rotation goes back to the first user, with a new password.
    await asAdmin(`ALTER ROLE ${LOGIN} PASSWORD 'third-password'`);
    writeLogin({ username: LOGIN, password: 'third-password' });
    expect(await whoOnANewConnection(pool)).toBe(LOGIN);
  });

  it('fails a connection on a missing, unreadable or malformed file, naming it and what is wrong, never the password', async () => {
    const pool = newPool();
    const failures: [string | Record<string, unknown> | undefined, string][] = [
      [undefined, 'does not exist (is the secret mounted?)'],
      ['password=hunter2-secret', 'is not JSON'],
      ['["hunter2-secret"]', 'is not a JSON object'],
      [{ username: LOGIN }, 'has no password (a non-empty string)'],
      [{ username: '', password: 'hunter2-secret' }, 'has no username (a non-empty string)'],
      [{ user: LOGIN, pass: 'hunter2-secret' }, 'has no username and password (a non-empty string)'],
    ];
    for (const [content, problem] of failures) {
      rmSync(file, { force: true });
      if (content !== undefined) writeLogin(content);
      const error = await pool.query('SELECT 1').then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(error).toBeInstanceOf(DatabaseLoginFileError);
      expect(error?.message).toBe(`the database login ${file} ${problem}`);
      expect(error?.message).not.toContain('hunter2');
    }
    // Unreadable: a directory where the file should be (a mode would not stop root, who runs CI here).
    rmSync(file, { force: true });
    mkdirSync(file);
    await expect(pool.query('SELECT 1')).rejects.toThrow(
      `the database login ${file} cannot be read (EISDIR)`,
    );
    rmSync(file, { recursive: true });
    // The failed connections leave nothing behind: once the file is right again, the pool serves.
    writeLogin({ username: LOGIN, password: 'third-password' });
    expect(await whoOnANewConnection(pool)).toBe(LOGIN);
    expect(pool.totalCount).toBe(0);
  });

  it('refuses to migrate with the mounted login, and to log in as anyone else', async () => {
    const settings = settingsFor();
    await expect(migrateDatabase(settings, newPool())).rejects.toThrow(
      'DB_AUTH=secret-file: the mounted login may only read and write rows, not migrate the schema',
    );
    expect(() => poolConfig(settings, { user: 'inventory_owner' })).toThrow(
      `DB_AUTH=secret-file logs in as the user of ${file}, not as inventory_owner`,
    );
  });
});
