/**
 * The container's entry point: every setting parsed from the environment at once (the task
 * definition sets them; no secret among them: the database login is an IAM token signed per
 * connection), migrations, then the API until SIGTERM.
 */
import { createPool, parseSettings } from '@ias/core';
import { closeOnSignals, startServer } from './server';
import { inventoryApiSettings } from './settings';

async function main(): Promise<void> {
  const settings = parseSettings(inventoryApiSettings, process.env, 'inventory-api');
  const server = await startServer(createPool(settings), settings);
  closeOnSignals(server, settings.SHUTDOWN_TIMEOUT_MS);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'inventory-api failed to start', err: String((err as Error).message ?? err) })}\n`,
  );
  process.exit(1);
});
