/**
 * The CheckLambdaFunction step of a function's pipeline (see lib/check-function.ts):
 *
 *   npx tsx infra/scripts/check-function.ts --env <env> --function <name>
 *
 * Runs in CodeBuild (buildspecs/lambda-check.yml) with the project's credentials, or, when the
 * environment is in another account (`DELIVERY_ROLE_ARN`), with that environment's delivery role.
 * Exits 0 when the function exists or was created, 1 with one line saying why otherwise.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ConfigError } from '../lib/config/errors';
import { cdkContext, loadProject } from '../lib/config/project';
import { checkFunction } from '../lib/check-function';

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
  const [, , , region, buildAccount] = (process.env.CODEBUILD_BUILD_ARN ?? '').split(':');
  const awsRegion = process.env.AWS_REGION ?? region;
  const roleArn = process.env.DELIVERY_ROLE_ARN;
  // In another account: that account, through its delivery role, with its own bootstrap role.
  const account = roleArn ? roleArn.split(':')[4] : buildAccount;
  if (!account || !awsRegion) {
    throw new ConfigError(
      'run this in CodeBuild (CODEBUILD_BUILD_ARN and AWS_REGION name the account and region)',
    );
  }
  const qualifier = (cdkContext()['@aws-cdk/core:bootstrapQualifier'] as string | undefined) ?? 'hnb659fds';
  const executionRoleArn = roleArn
    ? `arn:aws:iam::${account}:role/cdk-${qualifier}-cfn-exec-role-${account}-${awsRegion}`
    : process.env.CFN_EXECUTION_ROLE_ARN;
  const credentials = roleArn
    ? fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'check-lambda-function' } })
    : undefined;
  const result = await checkFunction({
    config: loadProject(),
    env: values.env,
    fn: values.function,
    account,
    region: awsRegion,
    executionRoleArn,
    context: cdkContext(),
    clients: {
      lambda: new LambdaClient({ credentials }),
      cloudformation: new CloudFormationClient({ credentials }),
      s3: new S3Client({ credentials }),
    },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${result.functionName}: ${result.status} (stack ${result.stackName})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`CheckLambdaFunction failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
