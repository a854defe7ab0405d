// One cold start, run by tools/bench-functions.ts in a fresh `node` process:
//   node cold-start-child.cjs <package dir> <handler, e.g. index.handler> <event file>
// Requires the handler's module from the unpacked deployment package, invokes it once with the event,
// and prints one line `@@cold-start {"ms":…,"loadMs":…,"outcome":"returned"|"threw","answer":…}` where
// the times are performance.now(), i.e. milliseconds since this process started (Node bootstrap and
// module loading included). Then exits at once: the database pool would keep the process alive.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');

const [packageDir, handlerSpec, eventFile] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const modulePath = join(packageDir, handlerSpec.slice(0, dot));
const exportName = handlerSpec.slice(dot + 1);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  awsRequestId: 'bench-cold-start',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:bench',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 30_000,
};

function report(line) {
  process.stdout.write(`\n@@cold-start ${JSON.stringify(line)}\n`, () => process.exit(0));
}

let loadMs;
async function main() {
  // eslint-disable-next-line security/detect-non-literal-require -- the handler of the package bench-functions.ts unpacked
  const handler = require(modulePath)[exportName];
  loadMs = performance.now();
  if (typeof handler !== 'function') {
    throw new Error(`${modulePath} exports no function ${exportName}`);
  }
  return handler(event, context);
}

main().then(
  (answer) => report({ ms: performance.now(), loadMs, outcome: 'returned', answer }),
  (err) => {
    const ms = performance.now();
    if (loadMs === undefined) {
      // The package itself is broken: not a measurement.
      process.stderr.write(`cannot load ${modulePath}: ${err && err.stack}\n`);
      process.exit(3);
    }
    report({ ms, loadMs, outcome: 'threw', answer: String((err && err.message) || err) });
  },
);
