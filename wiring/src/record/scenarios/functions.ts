/**
 * `fn:<name>`, for every function: its Lambda entry point on its sample
 * events (app/functions/<name>/events), with the environment its stack gives it
 * (infra/lib/kinds/function/function-stack.ts), against a real PostgreSQL (embedded, as the functions' own
 * tests run). The database login is the local server's (a password): an IAM token is signed
 * locally, not an AWS call, and the database check proves the deployed login instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFunctions, FUNCTIONS_DIR, REPO_ROOT } from '@ias/infra/config';
import { startLocalDatabase } from '@ias/local';
import { responder } from '../respond';
import type { Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/functions.ts';

/** The function's environment, as its stack sets it (the database host and port are the local server's). */
const FUNCTION_ENV = {
  EVENT_BUS_NAME: 'wiring-fixture-event-bus',
};

function event(fn: string, file: string): unknown {
  return JSON.parse(readFileSync(join(FUNCTIONS_DIR, fn, 'events', file), 'utf8'));
}

interface Handler {
  // The sample events are the handler's event type, read from JSON: checked by the handler itself.
  handler: (event: never, context: never) => Promise<unknown>;
}

function functionScenario(
  fn: string,
  events: readonly string[],
  load: () => Promise<Handler>,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    workload: `fn:${fn}`,
    id: `fn:${fn}`,
    source: SOURCE,
    env: FUNCTION_ENV,
    runtimeEnv: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_TRACE_ENABLED: 'false' },
    respond: responder({
      'EventBridge PutEvents': { FailedEntryCount: 0, Entries: [{ EventId: 'wiring' }] },
      'S3 GetObject': (input: { Bucket: string; Key: string }) => {
        const text = readFileSync(join(FUNCTIONS_DIR, fn, 'events', 's3', input.Bucket, input.Key), 'utf8');
        return { ContentLength: text.length, Body: { transformToString: () => Promise.resolve(text) } };
      },
    }),
    ...extra,
    async run() {
      // A pooled connection may outlive the pool's end by a moment: stopping the server then
      // terminates it (57P01), which is this run's own doing, not the function's failure.
      process.on('uncaughtException', (error: Error & { code?: string }) => {
        if (error.code === '57P01') return;
        process.stderr.write(`${error.stack ?? error.message}\n`);
        process.exit(1);
      });
      const db = await startLocalDatabase();
      try {
        process.env.DATABASE_URL = db.url;
        const { handler } = await load();
        const context = { functionName: fn, awsRequestId: 'wiring', getRemainingTimeInMillis: () => 60_000 };
        for (const file of events) {
          await handler(event(fn, file) as never, context as never);
        }
        const { closeSharedRepository } = await import('@ias/fn-common');
        await closeSharedRepository();
      } finally {
        await db.stop();
      }
    },
  };
}

/**
 * Every function under app/functions, each on every sample event of its `events/` folder: a function
 * added there is recorded without an edit here (`npm run record -w @ias/wiring`). Objects its S3
 * events name are read from `events/s3/<bucket>/<key>`, as `npm run invoke` reads them.
 */
export const functionScenarios: readonly Scenario[] = loadFunctions(FUNCTIONS_DIR, REPO_ROOT).map(
  (definition) => {
    const dir = join(REPO_ROOT, definition.folder);
    const events = readdirSync(join(dir, 'events'))
      .filter((f) => f.endsWith('.json'))
      .sort();
    const s3 = join(dir, 'events', 's3');
    const buckets = existsSync(s3) ? readdirSync(s3) : [];
    const keys = buckets.flatMap((bucket) => objectKeys(join(s3, bucket), ''));
    return functionScenario(
      definition.name,
      events,
      () => import(join(dir, 'src', 'index.ts')) as Promise<Handler>,
      buckets[0] ? { eventBucket: buckets[0], tokens: Object.fromEntries(keys.map((k) => [k, '*'])) } : {},
    );
  },
);

/** The object keys under a sample bucket folder. */
function objectKeys(dir: string, prefix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? objectKeys(join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}
