/**
 * `svc:inventory-api`: the container service's start path (migrations, listen) and its probes,
 * against a real PostgreSQL. Its code makes no AWS call: the database credentials reach it as
 * environment variables that Amazon ECS reads from the secret (the execution role's call, not the
 * service's), so the recording is empty, and proved so by running it.
 */
import { createPool } from '@ias/core';
import { startServer } from '@ias/inventory-api/src/server';
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
      const server = await startServer(
        createPool({ DATABASE_URL: db.url }),
        { port: 0, host: '127.0.0.1', migrateOnStart: true, shutdownTimeoutMs: 1_000 },
        false,
      );
      try {
        for (const path of ['/health', '/ready']) {
          const answer = await fetch(`${server.url}${path}`);
          if (!answer.ok) throw new Error(`GET ${path}: ${answer.status}`);
        }
      } finally {
        await server.close();
      }
    } finally {
      await db.stop();
    }
  },
};
