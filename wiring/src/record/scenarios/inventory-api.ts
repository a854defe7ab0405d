/**
 * `svc:inventory-api`: the container service's start path (migrations, listen) and its probes,
 * against a real PostgreSQL, with its settings parsed by its own schema as main.ts does. Its code
 * makes no AWS call (its IAM database tokens are signed locally), so the recording is empty, and
 * proved so by running it.
 */
import { createPool, parseSettings } from '@ias/core';
import { startServer } from '@ias/inventory-api';
import { inventoryApiSettings } from '@ias/inventory-api/settings';
import { startLocalDatabase } from '@ias/local';
import { responder } from '../respond';
import type { Scenario } from '../scenario';

/** The start path and the health and readiness probes. */
export const inventoryApiScenario: Scenario = {
  workload: 'svc:inventory-api',
  id: 'svc:inventory-api',
  source: 'wiring/src/record/scenarios/inventory-api.ts',
  mayMakeNoCalls: true,
  respond: responder({}),
  async run() {
    const db = await startLocalDatabase();
    try {
      const settings = parseSettings(
        inventoryApiSettings,
        { DATABASE_URL: db.url, HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '1000' },
        'inventory-api',
      );
      const pool = createPool(settings);
      // An idle connection may still be closing when the server stops: its termination (57P01)
      // is this run's own doing; any other pool error fails the run.
      const poolErrors: Error[] = [];
      pool.on('error', (error: Error & { code?: string }) => {
        if (error.code !== '57P01') poolErrors.push(error);
      });
      // Any free port (the schema, rightly, refuses 0 in a deployed setting).
      const server = await startServer(pool, { ...settings, PORT: 0 }, false);
      try {
        for (const path of ['/health', '/ready']) {
          const answer = await fetch(`${server.url}${path}`);
          if (!answer.ok) throw new Error(`GET ${path}: ${answer.status}`);
        }
      } finally {
        await server.close();
      }
      if (poolErrors[0]) throw poolErrors[0];
    } finally {
      await db.stop();
    }
  },
};
