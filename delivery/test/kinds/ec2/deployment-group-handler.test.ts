import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateDeploymentGroupCommand,
  DeleteDeploymentGroupCommand,
  GetDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mocks, sent } from '../../aws.js';

const STACK_ID =
  'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/ias-dev-ec2-inventory-api/0a1b2c3d';
const GROUP = 'ias-dev-inventory-api-ec2-group';
const COPY = `CodeDeploy_${GROUP}_d-ABCDEF123`;
const PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:ap-northeast-1:123456789012:function:provider',
  ApplicationName: 'ias-dev-inventory-api-ec2-app',
  DeploymentGroupName: GROUP,
  ServiceRoleArn: 'arn:aws:iam::123456789012:role/ias-dev-ec2-inventory-api-DeploymentRole-AbC',
  DeploymentConfigName: 'CodeDeployDefault.OneAtATime',
  AutoScalingGroupName: 'ias-dev-inventory-api-ec2',
  TargetGroupName: 'ias-dev-inventory-api-ec2',
  TerminateBlueAfterMinutes: '5',
  AlarmNames: ['ias-dev-inventory-api-ec2-5xx'],
};

/** Loads the handler afresh. */
async function load() {
  return (await import('../../../src/handlers/ec2-deployment-group.js')).handler;
}

beforeEach(() => {
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('ec2-deployment-group handler', () => {
  it('answers a Create with the group’s name as physical id and the Auto Scaling group it holds, and logs it', async () => {
    const info = vi.spyOn(Logger.prototype, 'info');
    mocks.codedeploy.on(CreateDeploymentGroupCommand).resolves({ deploymentGroupId: 'dg-1' });
    const handler = await load();
    const response = await handler({
      RequestType: 'Create',
      StackId: STACK_ID,
      ResourceProperties: PROPERTIES,
    } as never);
    expect(response).toStrictEqual({
      PhysicalResourceId: GROUP,
      Data: { AutoScalingGroupName: 'ias-dev-inventory-api-ec2' },
    });
    expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toHaveLength(1);
    expect(info).toHaveBeenCalledWith('deployment group created', {
      deploymentGroup: GROUP,
      AutoScalingGroupName: 'ias-dev-inventory-api-ec2',
      action: 'created',
    });
  });

  it('answers a Delete with no data, after deleting CodeDeploy’s copy through Auto Scaling', async () => {
    mocks.autoscaling.on(DeleteAutoScalingGroupCommand).resolves({});
    mocks.codedeploy
      .on(GetDeploymentGroupCommand)
      .resolves({ deploymentGroupInfo: { deploymentGroupName: GROUP, autoScalingGroups: [{ name: COPY }] } });
    mocks.codedeploy.on(DeleteDeploymentGroupCommand).resolves({});
    const handler = await load();
    const response = await handler({
      RequestType: 'Delete',
      StackId: STACK_ID,
      PhysicalResourceId: GROUP,
      ResourceProperties: PROPERTIES,
    } as never);
    expect(response).toStrictEqual({ PhysicalResourceId: GROUP });
    expect(sent(mocks.autoscaling, DeleteAutoScalingGroupCommand)).toEqual([
      { AutoScalingGroupName: COPY, ForceDelete: true },
    ]);
  });
});
