import {
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { ListServiceDeploymentsCommand, StopServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentsContinue, deploymentsStop } from '../src/commands/deployments';
import { EXIT } from '../src/errors';
import { context, prefix, runMain, serviceDeployment, stubbedAws } from './helpers';

const SD = `arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/${prefix}-staging-cluster/${prefix}-staging-inventory-api/x`;

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ContinueDeploymentCommand).resolves({});
  aws.mocks.ecs.on(StopServiceDeploymentCommand).resolves({});
});

describe('deployments continue|stop by name', () => {
  it("continues a function's deployment in progress, named by the function", async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        deploymentId: 'd-RUN',
        applicationName: `${prefix}-prod-allocate-order-app`,
        deploymentGroupName: `${prefix}-prod-allocate-order-group`,
        status: 'Ready',
      },
    });
    const result = await deploymentsContinue(context(aws), { deploymentId: 'allocate-order', env: 'prod' });
    expect(aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      applicationName: `${prefix}-prod-allocate-order-app`,
      deploymentGroupName: `${prefix}-prod-allocate-order-group`,
    });
    expect(aws.mocks.codedeploy.commandCalls(ContinueDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-RUN',
      deploymentWaitType: 'READY_WAIT',
    });
    expect(result).toMatchObject({ deploymentId: 'd-RUN', outcome: 'continued' });
  });

  it("stops a service's Amazon ECS deployment in progress, named by the service (staging: ecs-blue-green)", async () => {
    serviceDeployment(
      aws,
      SD,
      {
        serviceArn: `arn:aws:ecs:ap-northeast-1:123456789012:service/${prefix}-staging-cluster/${prefix}-staging-inventory-api`,
        status: 'IN_PROGRESS',
      },
      { status: 'ROLLBACK_SUCCESSFUL' },
    );
    const result = await deploymentsStop(
      context(aws),
      { deploymentId: 'inventory-api', env: 'staging' },
      { sleep: async () => undefined },
    );
    expect(aws.mocks.ecs.commandCalls(ListServiceDeploymentsCommand)[0]?.args[0].input).toEqual({
      cluster: `${prefix}-staging-cluster`,
      service: `${prefix}-staging-inventory-api`,
      status: ['PENDING', 'IN_PROGRESS'],
    });
    expect(result).toMatchObject({ deploymentId: SD, controller: 'ecs', outcome: 'rolled-back' });
  });

  it('refuses (exit 4) a name with no deployment in progress, and (exit 2) a name the project does not have', async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    const idle = await runMain(['deployments', 'stop', 'import-stock', '--env', 'dev'], aws);
    expect(idle).toMatchObject({
      code: EXIT.unsafe,
      stderr: 'error: import-stock has no deployment in progress in dev: there is nothing to act on\n',
    });
    const unknown = await runMain(['deployments', 'continue', 'nope', '--env', 'dev'], aws);
    expect(unknown.code).toBe(EXIT.badInput);
    expect(unknown.stderr).toContain(
      '"nope" is neither a deployment ID (d-…), a service deployment ARN, nor a function or service (allocate-order, import-stock, inventory-api)',
    );
  });

  it('prints the lookup first under --dry-run, and calls nothing', async () => {
    const run = await runMain(['--dry-run', 'deployments', 'stop', 'inventory-api', '--env', 'staging'], aws);
    expect(run.code).toBe(EXIT.ok);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(lines[0]).toContain('ecs ListServiceDeployments');
    expect(lines[1]).toContain('<the service deployment of inventory-api in progress>');
    expect(aws.calls()).toEqual([]);
  });
});
