import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { parseEcsAppSpec } from '@ias/delivery';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors';
import { prefix, runMain, serviceDeployment, stubbedAws } from './helpers';

const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-dev-inventory-api@sha256:${'a'.repeat(64)}`;
const arn = (env: string, revision: number) =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${prefix}-${env}-inventory-api:${revision}`;
const SD = (env: string) =>
  `arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/${prefix}-${env}-cluster/${prefix}-${env}-inventory-api/n`;

let aws: ReturnType<typeof stubbedAws>;

/** The service ACTIVE on revision 4 of its family, revision 5 registered next; the ledger empty. */
function deployed(env: string, controller: 'ECS' | 'CODE_DEPLOY') {
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: `${prefix}-${env}-inventory-api`,
        status: 'ACTIVE',
        taskDefinition: arn(env, 4),
        deploymentController: { type: controller },
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
  });
  aws.mocks.ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: arn(env, 4),
      family: `${prefix}-${env}-inventory-api`,
      revision: 4,
      status: 'ACTIVE',
      containerDefinitions: [{ name: 'inventory-api', image: 'old@sha256:0' }],
    },
    tags: [{ key: 'project', value: prefix }],
  });
  aws.mocks.ecs
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: arn(env, 5) } });
  aws.mocks.ecs.on(UpdateServiceCommand).resolves({});
  aws.mocks.ssm.on(PutParameterCommand).resolves({ Version: 2 });
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/ops' });
  aws.mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
  aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
  aws.mocks.dynamodb.on(PutItemCommand).resolves({});
}

beforeEach(() => {
  aws = stubbedAws();
});

describe('deploy service', () => {
  it('registers the image and lets Amazon ECS roll it out (rolling in dev), then writes the parameter and records the release', async () => {
    deployed('dev', 'ECS');
    serviceDeployment(aws, SD('dev'), { status: 'SUCCESSFUL' });
    const run = await runMain(['deploy', 'service', 'inventory-api', '--env', 'dev', '--image', IMAGE], aws);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toBe(
      `${prefix}-dev-inventory-api runs ${IMAGE} (${arn('dev', 5)}), deployed through Amazon ECS (rolling)\nrecorded as release 1 of dev\n`,
    );
    const calls = aws.calls().map((c) => c.command);
    expect(
      calls.filter((c) => !c.startsWith('dynamodb') && !c.startsWith('sts') && !c.startsWith('secrets')),
    ).toEqual([
      'ecs DescribeServices',
      'ecs DescribeTaskDefinition',
      'ecs RegisterTaskDefinition',
      'ecs UpdateService',
      'ecs ListServiceDeployments',
      'ecs DescribeServiceDeployments',
      'ssm PutParameter',
      'ssm GetParametersByPath',
    ]);
    expect(aws.mocks.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toMatchObject({
      family: `${prefix}-dev-inventory-api`,
      containerDefinitions: [{ name: 'inventory-api', image: IMAGE }],
      tags: [{ key: 'project', value: prefix }],
    });
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: `${prefix}-dev-cluster`,
      service: `${prefix}-dev-inventory-api`,
      taskDefinition: arn('dev', 5),
    });
    expect(aws.mocks.ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: `/${prefix}/dev/services/inventory-api/image`,
      Value: IMAGE,
      Type: 'String',
      Overwrite: true,
    });
    const item = aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(JSON.stringify(item)).toContain(IMAGE);
    expect(JSON.stringify(item)).toContain(arn('dev', 5));
  });

  it('deploys through CodeDeploy with the pipeline appspec and green check (codedeploy-blue-green in prod)', async () => {
    deployed('prod', 'CODE_DEPLOY');
    aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
    const run = await runMain(
      ['--json', 'deploy', 'service', 'inventory-api', '--env', 'prod', '--image', IMAGE],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toMatchObject({
      environment: 'prod',
      controller: 'codedeploy',
      deploymentId: 'd-NEW',
      previousTaskDefinition: arn('prod', 4),
      live: { image: IMAGE, taskDefinition: arn('prod', 5) },
      ledger: { release: 1 },
    });
    expect(aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      applicationName: `${prefix}-prod-inventory-api-app`,
      deploymentGroupName: `${prefix}-prod-inventory-api-group`,
    });
    const created = aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(created).toMatchObject({
      applicationName: `${prefix}-prod-inventory-api-app`,
      deploymentGroupName: `${prefix}-prod-inventory-api-group`,
    });
    const appspec = parseEcsAppSpec(created?.revision?.appSpecContent?.content ?? '');
    expect(JSON.stringify(appspec)).toContain(arn('prod', 5));
    expect(JSON.stringify(appspec)).toContain(`${prefix}-prod-inventory-api-green-check`);
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('fails with exit 3 when CodeDeploy rolls the deployment back, and writes and records nothing', async () => {
    deployed('prod', 'CODE_DEPLOY');
    aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BAD' });
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Stopped',
        rollbackInfo: { rollbackDeploymentId: 'd-UNDO' },
        errorInformation: { message: 'alarm 5xx' },
      },
    });
    const run = await runMain(['deploy', 'service', 'inventory-api', '--env', 'prod', '--image', IMAGE], aws);
    expect(run.code).toBe(EXIT.rolledBack);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: ${prefix}-prod-inventory-api: the deployment was rolled back \\(.*\\); it runs ${arn('prod', 4)} still\\n$`,
      ),
    );
    expect(aws.mocks.ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('fails with exit 3 when Amazon ECS rolls its deployment back', async () => {
    deployed('staging', 'ECS');
    serviceDeployment(aws, SD('staging'), { status: 'ROLLBACK_SUCCESSFUL' });
    const run = await runMain(
      ['deploy', 'service', 'inventory-api', '--env', 'staging', '--image', IMAGE],
      aws,
    );
    expect(run.code).toBe(EXIT.rolledBack);
    expect(aws.mocks.ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('refuses (exit 4) while CodeDeploy deploys the service, before registering anything', async () => {
    deployed('prod', 'CODE_DEPLOY');
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    const run = await runMain(['deploy', 'service', 'inventory-api', '--env', 'prod', '--image', IMAGE], aws);
    expect(run.code).toBe(EXIT.unsafe);
    expect(run.stderr).toContain('deployment d-RUN of');
    expect(aws.mocks.ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('fails with exit 1 when the service does not exist yet, saying how to create it', async () => {
    aws.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const run = await runMain(['deploy', 'service', 'inventory-api', '--env', 'dev', '--image', IMAGE], aws);
    expect(run).toEqual({
      code: EXIT.failed,
      stdout: '',
      stderr: `error: no service ${prefix}-dev-inventory-api in ${prefix}-dev-cluster: write the image to /${prefix}/dev/services/inventory-api/image and deploy the infrastructure to create it\n`,
    });
  });

  it('fails with exit 2 on an unknown service, before any AWS call', async () => {
    const run = await runMain(['deploy', 'service', 'nope', '--env', 'dev', '--image', IMAGE], aws);
    expect([run.code, run.stderr.split(':')[1]]).toEqual([EXIT.badInput, ' unknown service "nope"']);
    expect(aws.calls()).toEqual([]);
  });

  it('prints the calls of a dry run, by controller, and makes none', async () => {
    const run = await runMain(
      ['--dry-run', '--json', 'deploy', 'service', 'inventory-api', '--env', 'prod', '--image', IMAGE],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    const calls = (JSON.parse(run.stdout) as { calls: { service: string; command: string }[] }).calls;
    expect(calls.map((c) => `${c.service} ${c.command}`)).toEqual([
      'ecs DescribeServices',
      'codedeploy ListDeployments',
      'ecs DescribeTaskDefinition',
      'ecs RegisterTaskDefinition',
      'codedeploy CreateDeployment',
      'codedeploy GetDeployment',
      'ssm PutParameter',
    ]);
    expect(aws.calls()).toEqual([]);
  });
});
