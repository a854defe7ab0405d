import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/errors';
import { cdkContext, loadProject } from '../../lib/config/project';
import { checkFunction } from '../../lib/check-function';
import { resetBeforeEach } from '../support/aws-mocks';

const [lambda, cloudformation, s3] = resetBeforeEach(
  mockClient(LambdaClient),
  mockClient(CloudFormationClient),
  mockClient(S3Client),
);

const config = loadProject({});
/** The prefix README.md holds: the stacks and functions checked are named with it. */
const { prefix } = config;
const missing = () => new ResourceNotFoundException({ message: 'Function not found', $metadata: {} });
const options = (fn: string, env = 'dev') => ({
  config,
  env,
  fn,
  account: '123456789012',
  region: 'ap-northeast-1',
  executionRoleArn: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-1',
  context: cdkContext(),
  clients: {
    lambda: new LambdaClient({ region: 'ap-northeast-1' }),
    cloudformation: new CloudFormationClient({ region: 'ap-northeast-1' }),
    s3: new S3Client({ region: 'ap-northeast-1' }),
  },
  sleep: () => Promise.resolve(),
});

describe('CheckLambdaFunction (infra/scripts/check-function.ts)', () => {
  it('leaves an existing function alone, without synthesizing anything', async () => {
    lambda
      .on(GetFunctionCommand)
      .resolves({ Configuration: { FunctionName: `${prefix}-dev-allocate-order` } });
    const result = await checkFunction(options('allocate-order'));
    expect(result).toMatchObject({ status: 'exists', stackName: `${prefix}-dev-fn-allocate-order` });
    expect(cloudformation.calls()).toHaveLength(0);
  });

  it('creates a missing function’s stack from this revision’s synthesized template, with the CDK execution role', async () => {
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(missing())
      .resolves({ Configuration: { FunctionName: `${prefix}-staging-allocate-order` } });
    cloudformation.on(DescribeStacksCommand, { StackName: `${prefix}-staging-fn-allocate-order` }).rejects(
      Object.assign(new Error(`Stack with id ${prefix}-staging-fn-allocate-order does not exist`), {
        name: 'ValidationError',
      }),
    );
    cloudformation.on(CreateStackCommand).resolves({
      StackId: `arn:aws:cloudformation:ap-northeast-1:123456789012:stack/${prefix}-staging-fn-allocate-order/1`,
    });
    cloudformation
      .on(DescribeStacksCommand, {
        StackName: `arn:aws:cloudformation:ap-northeast-1:123456789012:stack/${prefix}-staging-fn-allocate-order/1`,
      })
      .resolves({
        Stacks: [
          {
            StackName: `${prefix}-staging-fn-allocate-order`,
            StackStatus: 'CREATE_COMPLETE',
            CreationTime: new Date(),
          },
        ],
      });
    s3.on(HeadObjectCommand).resolves({});

    const result = await checkFunction(options('allocate-order', 'staging'));
    expect(result).toMatchObject({ status: 'created', stackName: `${prefix}-staging-fn-allocate-order` });
    const create = cloudformation.commandCalls(CreateStackCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      StackName: `${prefix}-staging-fn-allocate-order`,
      RoleARN: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-1',
    });
    const template = JSON.parse(create?.TemplateBody ?? '{}') as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.FunctionName).toBe(`${prefix}-staging-allocate-order`);
  });

  it('refuses to create a stack whose file assets are not published yet, and says what to deploy', async () => {
    lambda.on(GetFunctionCommand).rejects(missing());
    cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error(`Stack with id ${prefix}-dev-fn-import-stock does not exist`), {
        name: 'ValidationError',
      }),
    );
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    await expect(checkFunction(options('import-stock'))).rejects.toThrow(
      new RegExp(
        `${prefix}-dev-fn-import-stock needs file asset .* \\(s3:\\/\\/cdk-hnb659fds-assets-123456789012-ap-northeast-1\\/.*\\), which is not published; deploy the environment's infrastructure first \\(npx cdk deploy '${prefix}-dev\\/\\*'\\)`,
      ),
    );
    expect(cloudformation.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('fails with the known names on an unknown environment or function', async () => {
    await expect(checkFunction(options('allocate-order', 'qa'))).rejects.toThrow(
      new ConfigError('--env qa: no such environment; use one of dev, staging, prod'),
    );
    await expect(checkFunction(options('nope'))).rejects.toThrow(
      new ConfigError(
        '--function nope: no app/functions/nope/function.json; use one of allocate-order, import-stock',
      ),
    );
  });
});
