import { Signer } from '@aws-sdk/rds-signer';
import { Pool, type PoolConfig } from 'pg';
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
 * so a process running for weeks never holds an expired token or a rotated password.
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
  const user = options.user ?? settings.PGUSER;
  if (!host || !user) {
    throw new Error('no database configured: set DATABASE_URL, or PGHOST with PGUSER and PGDATABASE');
  }
  const base = {
    ...config,
    host,
    port,
    user,
    database: settings.PGDATABASE,
    ssl: sslFromMode(settings.PGSSLMODE),
  };
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
