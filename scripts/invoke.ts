/**
 * `npm run invoke -- <function> --event <file>`: runs a Lambda function's handler locally, once,
 * against the same PostgreSQL as `npm run dev`: DATABASE_URL when set, else the embedded one in
 * `.local/postgres` (used as it is when `npm run dev` is running, started for the call otherwise). Events that
 * would go to EventBridge are logged (EVENT_BUS_NAME unset); S3 objects are read from the folder
 * LOCAL_S3_DIR, by default `app/functions/<function>/events/s3` (`<bucket>/<key>` below it).
 * Prints the handler's result as JSON; exits 1 if the handler throws, 2 on bad arguments.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const FUNCTIONS_DIR = join(__dirname, '..', 'app', 'functions');
const USAGE = 'usage: npm run invoke -- <function> --event <file.json>';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((d) => existsSync(join(FUNCTIONS_DIR, d, 'src', 'handler.ts')));
}

async function main(): Promise<void> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ options: { event: { type: 'string', short: 'e' } }, allowPositionals: true });
    } catch (err) {
      return fail(`${(err as Error).message}\n${USAGE}`);
    }
  })();
  const [name] = positionals;
  const known = functionNames();
  if (!name || positionals.length > 1) fail(`${USAGE}\nfunctions: ${known.join(', ')}`);
  if (!known.includes(name)) fail(`unknown function "${name}": choose one of ${known.join(', ')}`);
  if (!values.event) fail(`missing --event <file.json>\n${USAGE}`);
  const eventPath = resolve(values.event);
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(eventPath, 'utf8'));
  } catch (err) {
    fail(`cannot read the event ${eventPath}: ${(err as Error).message}`);
  }

  const { startDevDatabase } = await import('@ias/local');
  const local = process.env.DATABASE_URL ? undefined : await startDevDatabase();
  process.env.DATABASE_URL ??= local?.url;
  process.env.LOCAL_S3_DIR ??= join(FUNCTIONS_DIR, name, 'events', 's3');
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';

  const { closeSharedRepository } = await import('@ias/fn-common');
  try {
    const mod = (await import(join(FUNCTIONS_DIR, name, 'src', 'index.ts'))) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };
    const context = {
      functionName: name,
      functionVersion: '$LATEST',
      awsRequestId: `local-${Date.now()}`,
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
      memoryLimitInMB: '512',
      getRemainingTimeInMillis: () => 30_000,
    };
    const result = await mod.handler(event, context);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`${name} failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await closeSharedRepository();
    await local?.stop();
  }
}

void main();
