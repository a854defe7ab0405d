import { Signer } from '@aws-sdk/rds-signer';
import { readFileSync } from 'node:fs';
import { Client, Pool, type PoolConfig } from 'pg';
import { migrate, type Migration } from './migrate';
import { MIGRATIONS } from './migrations';
import { observeQueries, slowQueries, type QueryObserver, type SlowQuery } from './query-observers';
import type { DatabaseSettings } from './settings';

/** What signs IAM authentication tokens (`@aws-sdk/rds-signer`'s `Signer`, or a test's fake). */
export interface AuthTokenSigner {
  getAuthToken(): Promise<string>;
}

/** Where a token is valid: the endpoint the client connects to, and the database user. */
export interface AuthTokenTarget {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
}

/** Makes the signer for one endpoint and user. */
export type SignerFactory = (target: AuthTokenTarget) => AuthTokenSigner;

/** The AWS SDK's signer, with the default credentials chain (the function's or task's role). */
export const rdsSigner: SignerFactory = (target) => new Signer(target);

/** Options of {@link poolConfig} and {@link createPool}. */
export interface PoolOptions {
  /** Log in as this role instead of `PGUSER` (the migrations' owner role). @default - PGUSER */
  readonly user?: string;
  /** Connections in the pool. @default - DB_POOL_MAX */
  readonly max?: number;
  /** Signs the IAM tokens with DB_AUTH=iam. @default - {@link rdsSigner} */
  readonly signer?: SignerFactory;
  /**
   * Told of every query slower than `SLOW_QUERY_MS` (the workload logs it, see
   * `slowQueryLogFields`). @default - slow queries are not reported
   */
  readonly onSlowQuery?: (query: SlowQuery) => void;
  /** More observers of every query (a tracer's, for one). @default - none */
  readonly observers?: readonly QueryObserver[];
}

/**
 * The `pg` pool settings for {@link DatabaseSettings}: `DATABASE_URL` when set, else the `PG*`
 * settings. With `DB_AUTH=iam` the password is a function, which `pg` calls for every new
 * connection: each connection gets a freshly signed token (valid 15 minutes, needed only to log in),
 * so a process running for weeks never holds an expired token or a rotated password. With
 * `DB_AUTH=secret-file` every new connection reads its user and password from `DB_SECRET_FILE`
 * (see {@link secretFileClient}).
 *
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.Connecting.html
 */
export function poolConfig(settings: DatabaseSettings, options: PoolOptions = {}): PoolConfig {
  const config: PoolConfig = {
    max: options.max ?? settings.DB_POOL_MAX,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  };
  if (settings.DATABASE_URL) {
    return { ...config, connectionString: settings.DATABASE_URL };
  }
  const { PGHOST: host, PGPORT: port } = settings;
  const connection = {
    ...config,
    host,
    port,
    database: settings.PGDATABASE,
    ssl: sslFromMode(settings.PGSSLMODE),
  };
  if (settings.DB_AUTH === 'secret-file') {
    if (!host || !settings.DB_SECRET_FILE) {
      throw new Error(
        'DB_AUTH=secret-file needs PGHOST and DB_SECRET_FILE: the endpoint and the mounted login',
      );
    }
    if (options.user) {
      throw new Error(
        `DB_AUTH=secret-file logs in as the user of ${settings.DB_SECRET_FILE}, not as ${options.user}`,
      );
    }
    return { ...connection, Client: secretFileClient(settings.DB_SECRET_FILE) };
  }
  const user = options.user ?? settings.PGUSER;
  if (!host || !user) {
    throw new Error('no database configured: set DATABASE_URL, or PGHOST with PGUSER and PGDATABASE');
  }
  const base = { ...connection, user };
  if (settings.DB_AUTH === 'password') {
    return { ...base, password: settings.PGPASSWORD };
  }
  if (!settings.AWS_REGION) {
    throw new Error('DB_AUTH=iam needs AWS_REGION: the region IAM tokens are signed for');
  }
  const signer = (options.signer ?? rdsSigner)({
    hostname: host,
    port,
    username: user,
    region: settings.AWS_REGION,
  });
  return { ...base, password: () => signer.getAuthToken() };
}

/** The login a mounted database secret holds (Secrets Manager's JSON for a database user). */
export interface DatabaseLogin {
  readonly username: string;
  readonly password: string;
}

/** A mounted login that cannot be used: names the file and what is wrong, never its content. */
export class DatabaseLoginFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`the database login ${file} ${problem}`, options);
    this.name = 'DatabaseLoginFileError';
  }
}

/**
 * Reads the login of a mounted database secret: JSON with a non-empty `username` and `password`
 * (other fields, such as `host` or `masterarn`, are ignored). Throws {@link DatabaseLoginFileError}
 * when the file is missing, unreadable, not JSON or lacks either field; the message never quotes
 * the file's content (a JSON parser's message would).
 */
export function readDatabaseLogin(file: string): DatabaseLogin {
  let text: string;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the path is the operator's setting
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatabaseLoginFileError(
      file,
      code === 'ENOENT' ? 'does not exist (is the secret mounted?)' : `cannot be read (${code ?? 'error'})`,
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DatabaseLoginFileError(file, 'is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DatabaseLoginFileError(file, 'is not a JSON object');
  }
  const fields = parsed as Record<string, unknown>;
  const { username, password } = fields;
  const missing = ['username', 'password'].filter((k) => typeof fields[k] !== 'string' || fields[k] === '');
  if (typeof username !== 'string' || typeof password !== 'string' || missing.length > 0) {
    throw new DatabaseLoginFileError(file, `has no ${missing.join(' and ')} (a non-empty string)`);
  }
  return { username, password };
}

/** What of `pg`'s Client the login is written into (its connection parameters are untyped). */
interface ClientLogin {
  user?: string;
  password?: string | null;
  connectionParameters: { user?: string; password?: string | null };
}

/**
 * A `pg` Client class (the pool's `Client` option: one instance per new connection) that logs in
 * with the login of `file`, read when it connects. The secrets provider rewrites the file when the
 * secret rotates, and Secrets Manager's alternating-users rotation changes the user as well as the
 * password: reading both per connection means new connections use the new login with no restart,
 * while open ones keep the old (still valid until the next rotation). A file that cannot be used
 * fails that connection with a {@link DatabaseLoginFileError}.
 *
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html
 */
export function secretFileClient(file: string): typeof Client {
  return class SecretFileClient extends Client {
    override connect(): Promise<Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<Client> | void {
      let login: DatabaseLogin;
      try {
        login = readDatabaseLogin(file);
      } catch (err) {
        if (callback) {
          process.nextTick(() => callback(err as Error));
          return;
        }
        return Promise.reject(err as Error);
      }
      // The startup message takes the user from the connection parameters, authentication the
      // password from the client: both are set before connecting.
      const self = this as unknown as ClientLogin;
      self.user = self.connectionParameters.user = login.username;
      self.password = self.connectionParameters.password = login.password;
      return callback ? super.connect(callback) : super.connect();
    }
  };
}

/**
 * libpq's PGSSLMODE as a `pg` ssl setting. Every mode that turns TLS on verifies the server's
 * certificate and host name (Node's default), against Node's trust store plus NODE_EXTRA_CA_CERTS:
 * the RDS Proxy presents an Amazon-issued certificate Node trusts; the cluster presents one from
 * the RDS authorities, which the functions find in the Lambda runtime's bundle and the service in
 * its image (see its Dockerfile).
 */
function sslFromMode(mode: DatabaseSettings['PGSSLMODE']): PoolConfig['ssl'] {
  switch (mode) {
    case undefined:
    case 'disable':
      return undefined;
    case 'no-verify':
      return { rejectUnauthorized: false };
    default:
      return true;
  }
}

/**
 * A connection pool for {@link DatabaseSettings} (see {@link poolConfig}), its queries observed as
 * the options say (see {@link observeQueries}).
 */
export function createPool(settings: DatabaseSettings, options: PoolOptions = {}): Pool {
  const pool = new Pool(poolConfig(settings, options));
  const observers = [...(options.observers ?? [])];
  if (options.onSlowQuery) observers.unshift(slowQueries(settings.SLOW_QUERY_MS, options.onSlowQuery));
  observeQueries(pool, ...observers);
  return pool;
}

/**
 * Applies pending migrations the way the settings say. With `DB_OWNER_USER` (deployed), on one
 * short-lived connection as the schema owner, then granting the application role (`PGUSER`) its
 * DML privileges; the serving pool never holds DDL rights. Without (local runs: the embedded
 * server's superuser in `DATABASE_URL`), on `pool` itself, with no grants.
 *
 * @returns the versions applied by this call
 */
export async function migrateDatabase(
  settings: DatabaseSettings,
  pool: Pool,
  options: { readonly signer?: SignerFactory; readonly migrations?: readonly Migration[] } = {},
): Promise<number[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  if (settings.DB_AUTH === 'secret-file' && !settings.DATABASE_URL) {
    throw new Error(
      'DB_AUTH=secret-file: the mounted login may only read and write rows, not migrate the schema; turn the migrations off here (the owner applies them where it logs in with IAM)',
    );
  }
  if (!settings.DB_OWNER_USER || settings.DATABASE_URL) {
    return migrate(pool, migrations);
  }
  const owner = createPool(settings, { user: settings.DB_OWNER_USER, max: 1, signer: options.signer });
  try {
    return await migrate(owner, migrations, { appRole: settings.PGUSER });
  } finally {
    await owner.end();
  }
}
