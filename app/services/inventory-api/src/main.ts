/**
 * The container's entry point: settings and database from the environment (the task definition
 * injects them from Secrets Manager and SSM), migrations, then the API until SIGTERM.
 */
import { createPool } from '@ias/core';
import { closeOnSignals, settingsFromEnv, startServer } from './server';

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const server = await startServer(createPool(), settings);
  closeOnSignals(server, settings.shutdownTimeoutMs);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'inventory-api failed to start', err: String((err as Error).message ?? err) })}\n`,
  );
  process.exit(1);
});
