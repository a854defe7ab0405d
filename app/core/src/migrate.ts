import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { MIGRATIONS } from './migrations';

/** A versioned migration (see `src/migrations`). */
export interface Migration {
  /** Its version; applied in increasing order, once. */
  readonly version: number;
  /** A short name. */
  readonly name: string;
  /** The SQL. */
  readonly sql: string;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The application role: after the migrations, under the same lock, it is granted DML on every
   * table, sequence and function of the schema, now and (default privileges) in later migrations.
   * @default - no grants (local runs, where the pool's user owns everything)
   */
  readonly appRole?: string;
}

/** Arbitrary constant for the advisory lock that serializes concurrent migrators. */
const MIGRATION_LOCK = 7_263_001;

/**
 * Applies the migrations not applied yet, each in its own transaction, under an advisory lock so
 * that two processes starting together (two tasks, a task and a function) never race.
 *
 * @returns the versions applied by this call
 */
export async function migrate(
  pool: Pool,
  migrations: readonly Migration[] = MIGRATIONS,
  options: MigrateOptions = {},
): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations.filter((m) => !done.has(m.version))) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
        applied.push(m.version);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    if (options.appRole) {
      await grantApplicationRole(client, options.appRole);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/**
 * What the application role may do, given by the schema owner (the connected role): read and write
 * rows, use sequences, call the functions (`allocate_order`), and nothing else — no CREATE, ALTER
 * or DROP. Idempotent (GRANT of a privilege held is a no-op), so it runs after every migration
 * run; the default privileges cover what later migrations create.
 */
async function grantApplicationRole(client: PoolClient, appRole: string): Promise<void> {
  const app = escapeIdentifier(appRole);
  await client.query(`
    GRANT USAGE ON SCHEMA public TO ${app};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app};
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${app};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${app};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${app};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${app};`);
}

/** The highest migration version. */
export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** Whether the database has every migration applied (false when it has none at all). */
export async function isMigrated(
  pool: Pool,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    return (rows[0]?.version ?? 0) >= latestVersion(migrations);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      return false; // undefined_table: never migrated
    }
    throw err;
  }
}
