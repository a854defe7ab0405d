#!/usr/bin/env node
/**
 * The CDK app, as the CDK CLI runs it (`cdk.json`: `npx tsx bin/infra.ts`): every environment's
 * infrastructure layer. `cdk synth`, `cdk diff` and `cdk deploy` go through here; `npm start` and
 * `npm run synth` build the same app in-process (scripts/).
 */
import { exitOnConfigError } from '../lib/config/exit';
import { loadProject } from '../lib/config/project';

const config = exitOnConfigError(() => loadProject());
// The app's modules (aws-cdk-lib) load once the configuration is known to be valid: a bad prefix or
// profile is reported in a fraction of a second, not after seconds of imports.
void import('../lib/app.js').then(({ buildApp }) =>
  exitOnConfigError(() => {
    buildApp(config).app.synth();
  }),
);
