// Runs jobs of the Control Tower guard rules (cdk-validator-cfnguard), each some rule files over
// some templates, and prints the plugin's reports as JSON. Started by ParallelCfnGuardValidator,
// one per core, all reading the same job list, most costly first: a worker takes the next job no
// other has claimed (the claim is a directory, made atomically), so a job that takes longer than
// estimated only delays its own worker. Plain CommonJS so that it starts in milliseconds, without
// a TypeScript loader; runGuardJobs in parallel-guard.ts does the same in-process.
const { mkdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { CfnGuardValidator } = require('@cdklabs/cdk-validator-cfnguard');

const [input, claims] = process.argv.slice(2);
const { disabledRules, jobs } = JSON.parse(readFileSync(input, 'utf8'));
const reports = [];
jobs.forEach(({ rules, templatePaths }, job) => {
  try {
    mkdirSync(join(claims, String(job)));
  } catch (error) {
    if (error.code === 'EEXIST') return; // another worker has it
    throw error;
  }
  const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, disabledRules }).validate({
    templatePaths,
  });
  reports.push({ job, report });
});
process.stdout.write(JSON.stringify(reports));
