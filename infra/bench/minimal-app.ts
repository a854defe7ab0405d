/**
 * The baseline of `npm run bench`: a one-bucket CDK app synthesized the same way as the real one
 * (in-process through tsx, cdk.json's context with the built-in CloudFormation validation, the same
 * policy gates), into a temporary folder. Its findings are ignored: only its time matters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addPolicyGates } from '../lib/aspects/policy-gates';
import { cdkContext } from '../lib/config/project';

const outdir = mkdtempSync(join(tmpdir(), 'bench-minimal-'));
const app = new App({ outdir, context: { ...cdkContext(), '@aws-cdk/core:appMode': 'process' } });
new s3.Bucket(new Stack(app, 'minimal'), 'Bucket');
addPolicyGates(app);
app.synth();
rmSync(outdir, { recursive: true, force: true });
process.exitCode = 0;
