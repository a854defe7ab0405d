// Runs the Control Tower guard rules (cdk-validator-cfnguard) over some templates and prints the
// plugin's report as JSON. Started by ParallelCfnGuardValidator, several at once, one per core.
// Plain CommonJS so that it starts in milliseconds, without a TypeScript loader.
const { readFileSync } = require('node:fs');
const { CfnGuardValidator } = require('@cdklabs/cdk-validator-cfnguard');

const { disabledRules, templatePaths } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = new CfnGuardValidator({ disabledRules }).validate({ templatePaths });
process.stdout.write(JSON.stringify(report));
