#!/usr/bin/env node
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher, run by Node as is */
'use strict';
// ias-ops runs built: ops/dist/ias-ops.js, which the root `prepare` script builds on `npm ci`. A
// bundle older than any file it was built from (a profile, a command) is rebuilt first, so an edit
// never runs stale code; only then is esbuild loaded (see ops/scripts/bundle.cjs).
require('../scripts/bundle.cjs')
  .ensureBuilt()
  // eslint-disable-next-line security/detect-non-literal-require -- the bundle bundle.cjs built (ops/dist/ias-ops.js), not a path from input
  .then((bundle) => require(bundle).runCli())
  .catch((err) => {
    process.stderr.write(`ias-ops failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
