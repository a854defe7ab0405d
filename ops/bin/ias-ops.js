#!/usr/bin/env node
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher, run by Node as is */
'use strict';
// ias-ops runs from its TypeScript source, compiled on load by tsx (a root devDependency): a fresh
// clone needs `npm ci` only, no build step. tsx's require() hook loads the CLI; its import() hook
// serves the one on-demand import (the plan's synth). The hook's ESM entry is used because its
// CommonJS build of `tsx/esm/api` fails to register in tsx 4.23.
require('tsx/cjs/api').register();
import('tsx/esm/api')
  .then(({ register }) => {
    register();
    require('../src/main.ts').runCli();
  })
  .catch((err) => {
    process.stderr.write(`ias-ops failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
