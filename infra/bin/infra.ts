#!/usr/bin/env node
/**
 * The CDK app, as the CDK CLI runs it (`cdk.json`: `npx tsx bin/infra.ts`): every environment's
 * infrastructure layer. `cdk synth`, `cdk diff` and `cdk deploy` go through here; `npm start` and
 * `npm run synth` build the same app in-process (scripts/).
 */
import { buildApp } from '../lib/app';
import { exitOnConfigError } from '../lib/config/exit';
import { loadProject } from '../lib/config/project';

exitOnConfigError(() => {
  const { app } = buildApp(loadProject());
  app.synth();
});
