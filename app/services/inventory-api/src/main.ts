/**
 * The container's entry point: every setting parsed from the environment at once (the task
 * definition sets them; no secret among them: the database login is an IAM token signed per
 * connection), tracing when an OTLP endpoint is set, migrations, then the API until SIGTERM.
 */
import { createPool, errorType, parseSettings } from '@ias/core';
import { closeOnSignals, startServer } from './server';
import { inventoryApiSettings, tracesUrl } from './settings';

async function main(): Promise<void> {
  const settings = parseSettings(inventoryApiSettings, process.env, 'inventory-api');
  // Loaded only when on (the OpenTelemetry SDK is not even evaluated otherwise), and started before
  // the first request and query: the patches apply to every server and client from then on.
  const tracing = tracesUrl(settings) ? (await import('./tracing.js')).startTracing(settings) : undefined;
  const server = await startServer(createPool(settings), settings, true, { tracing });
  closeOnSignals(
    {
      ...server,
      async close() {
        await server.close();
        // The spans of the last requests, exported before the process ends.
        await tracing?.shutdown();
      },
    },
    settings.SHUTDOWN_TIMEOUT_MS,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'inventory-api failed to start', errorType: errorType(err), err: String((err as Error).message ?? err) })}\n`,
  );
  process.exit(1);
});
