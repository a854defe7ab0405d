/**
 * The CheckLambdaFunction step of a function's pipeline (see lib/pipelines/check-function.ts):
 *
 *   npx tsx infra/scripts/check-function.ts --env <env> --function <name>
 *
 * Runs in CodeBuild (buildspecs/lambda-check.yml) with the project's credentials. Exits 0 when the
 * function exists or was created, 1 with one line saying why otherwise.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../lib/config/errors';
import { cdkContext, loadProject } from '../lib/config/project';
import { checkFunction } from '../lib/pipelines/check-function';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { env: { type: 'string' }, function: { type: 'string' } },
    strict: true,
  });
  if (!values.env || !values.function) {
    throw new ConfigError(
      'usage: check-function --env <environment> --function <folder under app/functions>',
    );
  }
  // CodeBuild names the account in the build's ARN: arn:aws:codebuild:<region>:<account>:build/...
  const [, , , region, account] = (process.env.CODEBUILD_BUILD_ARN ?? '').split(':');
  const awsRegion = process.env.AWS_REGION ?? region;
  if (!account || !awsRegion) {
    throw new ConfigError(
      'run this in CodeBuild (CODEBUILD_BUILD_ARN and AWS_REGION name the account and region)',
    );
  }
  const result = await checkFunction({
    config: loadProject(),
    env: values.env,
    fn: values.function,
    account,
    region: awsRegion,
    executionRoleArn: process.env.CFN_EXECUTION_ROLE_ARN,
    context: cdkContext(),
    clients: {
      lambda: new LambdaClient({}),
      cloudformation: new CloudFormationClient({}),
      s3: new S3Client({}),
    },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${result.functionName}: ${result.status} (stack ${result.stackName})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`CheckLambdaFunction failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
