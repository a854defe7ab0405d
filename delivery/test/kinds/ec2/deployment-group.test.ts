import {
  CreateDeploymentGroupCommand,
  DeleteDeploymentGroupCommand,
  GetDeploymentGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ec2DeploymentGroupPropertiesSchema } from '../../../src/kinds/ec2/deployment-group-properties.js';
import {
  type DeploymentGroupRequest,
  onDeploymentGroupRequest,
} from '../../../src/kinds/ec2/deployment-group.js';
import { clients as aws, mocks, sent } from '../../aws.js';
import { awsError } from '../../support.js';

const STACK_ID =
  'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/ias-dev-ec2-inventory-api/0a1b2c3d-0000-0000-0000-000000000000';
const APPLICATION = 'ias-dev-inventory-api-ec2-app';
const GROUP = 'ias-dev-inventory-api-ec2-group';
const FLEET = 'ias-dev-inventory-api-ec2';
const COPY = `CodeDeploy_${GROUP}_d-ABCDEF123`;
const ROLE = 'arn:aws:iam::123456789012:role/ias-dev-ec2-inventory-api-DeploymentRole-AbC';
const GROUP_ARN = `arn:aws:codedeploy:ap-northeast-1:123456789012:deploymentgroup:${APPLICATION}/${GROUP}`;

/** The properties as CloudFormation hands them over: every scalar a string. */
const PROPERTIES = {
  ServiceToken:
    'arn:aws:lambda:ap-northeast-1:123456789012:function:ias-dev-inventory-api-ec2-group-resource-provider',
  ApplicationName: APPLICATION,
  DeploymentGroupName: GROUP,
  ServiceRoleArn: ROLE,
  DeploymentConfigName: 'CodeDeployDefault.HalfAtATime',
  AutoScalingGroupName: FLEET,
  TargetGroupName: 'ias-dev-inventory-api-ec2',
  TerminateBlueAfterMinutes: '60',
  AlarmNames: ['ias-dev-inventory-api-ec2-5xx', 'ias-dev-inventory-api-ec2-latency'],
};

/** Everything the properties set, as CodeDeploy takes it, over `autoScalingGroup`. */
function settings(autoScalingGroup: string, overrides: { wait?: number; alarms?: string[] } = {}) {
  const alarms = overrides.alarms ?? PROPERTIES.AlarmNames;
  return {
    applicationName: APPLICATION,
    serviceRoleArn: ROLE,
    deploymentConfigName: 'CodeDeployDefault.HalfAtATime',
    autoScalingGroups: [autoScalingGroup],
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    blueGreenDeploymentConfiguration: {
      greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
      deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
      terminateBlueInstancesOnDeploymentSuccess: {
        action: 'TERMINATE',
        terminationWaitTimeInMinutes: overrides.wait ?? 60,
      },
    },
    loadBalancerInfo: { targetGroupInfoList: [{ name: 'ias-dev-inventory-api-ec2' }] },
    alarmConfiguration: {
      enabled: alarms.length > 0,
      ignorePollAlarmFailure: false,
      alarms: alarms.map((name) => ({ name })),
    },
    autoRollbackConfiguration: {
      enabled: true,
      events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    },
  };
}

// What happened, in order: CodeDeploy's group deleted, then Auto Scaling groups.
let order: string[];
const autoScaling = {
  deleteGroup: vi.fn((name: string) => Promise.resolve(void order.push(`delete ${name}`))),
};
const clients = { codedeploy: aws.codedeploy, autoScaling };

beforeEach(() => {
  order = [];
  autoScaling.deleteGroup.mockClear();
  mocks.codedeploy.on(CreateDeploymentGroupCommand).resolves({ deploymentGroupId: 'dg-1' });
  mocks.codedeploy.on(UpdateDeploymentGroupCommand).resolves({});
  mocks.codedeploy.on(DeleteDeploymentGroupCommand).callsFake(() => {
    order.push(`delete group`);
    return {
      hooksNotCleanedUp: [{ name: COPY, hook: 'CodeDeploy-managed-automatic-launch-deployment-hook' }],
    };
  });
  mocks.codedeploy.on(TagResourceCommand).resolves({});
  mocks.codedeploy.on(UntagResourceCommand).resolves({});
});

/** The group `name` as GetDeploymentGroup describes it, holding `held`. */
function groupHolds(held: string[], name = GROUP) {
  mocks.codedeploy
    .on(GetDeploymentGroupCommand, { applicationName: APPLICATION, deploymentGroupName: name })
    .resolves({
      deploymentGroupInfo: {
        applicationName: APPLICATION,
        deploymentGroupName: name,
        autoScalingGroups: held.map((n) => ({
          name: n,
          hook: `CodeDeploy-managed-automatic-launch-deployment-hook-${name}`,
        })),
      },
    });
}

function create(properties: object = PROPERTIES): DeploymentGroupRequest {
  return { RequestType: 'Create', StackId: STACK_ID, ResourceProperties: properties };
}

function update(properties: object, old: object = PROPERTIES, physicalId = GROUP): DeploymentGroupRequest {
  return {
    RequestType: 'Update',
    StackId: STACK_ID,
    PhysicalResourceId: physicalId,
    ResourceProperties: properties,
    OldResourceProperties: old,
  };
}

function remove(physicalId = GROUP, properties: object = PROPERTIES): DeploymentGroupRequest {
  return {
    RequestType: 'Delete',
    StackId: STACK_ID,
    PhysicalResourceId: physicalId,
    ResourceProperties: properties,
  };
}

describe('the blue/green deployment group resource', () => {
  describe('on create', () => {
    it('creates a blue/green group copying CloudFormation’s Auto Scaling group, behind the target group, rolled back by its alarms', async () => {
      const result = await onDeploymentGroupRequest(clients, create());
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toEqual([
        { ...settings(FLEET), deploymentGroupName: GROUP },
      ]);
      expect(result).toEqual({
        PhysicalResourceId: GROUP,
        Data: { AutoScalingGroupName: FLEET },
        action: 'created',
      });
    });

    it('tags the group, and turns alarms off when none are given', async () => {
      const tags = [{ Key: 'ias:environment', Value: 'dev' }];
      await onDeploymentGroupRequest(clients, create({ ...PROPERTIES, AlarmNames: [], Tags: tags }));
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toEqual([
        { ...settings(FLEET, { alarms: [] }), deploymentGroupName: GROUP, tags },
      ]);
    });

    it('takes the rollback events the properties name', async () => {
      await onDeploymentGroupRequest(
        clients,
        create({ ...PROPERTIES, AutoRollbackEvents: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] }),
      );
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)[0]?.autoRollbackConfiguration).toEqual({
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
    });

    it('fails on bad properties, naming each, before any call', async () => {
      const withoutTargetGroup = { ...PROPERTIES, TargetGroupName: undefined };
      await expect(
        onDeploymentGroupRequest(
          clients,
          create({
            ...withoutTargetGroup,
            ServiceRoleArn: 'ias-dev-deployment-role',
            AutoScalingGroupName: `arn:aws:autoscaling:ap-northeast-1:123456789012:autoScalingGroup:x:autoScalingGroupName/${FLEET}`,
            TerminateBlueAfterMinutes: '3000',
            AlarmNames: 'ias-dev-inventory-api-ec2-5xx',
            AutoRollbackEvents: ['DEPLOYMENT_FAILURE', 'ON_A_WHIM'],
          }),
        ),
      ).rejects.toThrow(
        new Error(
          "the deployment group's properties are invalid: ServiceRoleArn: must be an IAM role ARN; " +
            'AutoScalingGroupName: must be an Auto Scaling group name (1-255 characters, no ":"), not an ARN; ' +
            'TargetGroupName: Invalid input: expected string, received undefined; ' +
            'TerminateBlueAfterMinutes: must be 0 to 2880 minutes (CodeDeploy waits 2 days at most); ' +
            'AlarmNames: Invalid input: expected array, received string; ' +
            'AutoRollbackEvents.1: Invalid option: expected one of "DEPLOYMENT_FAILURE"|"DEPLOYMENT_STOP_ON_ALARM"|"DEPLOYMENT_STOP_ON_REQUEST"',
        ),
      );
      expect(mocks.codedeploy.calls()).toEqual([]);
    });

    it('fails on a wait that is not a whole number of minutes, and on more than 10 alarms', () => {
      for (const [wait, alarms] of [
        ['1.5', ['a']],
        ['', ['a']],
        [-1, ['a']],
        ['60', Array.from({ length: 11 }, (_, i) => `alarm-${i}`)],
      ] as const) {
        const parsed = ec2DeploymentGroupPropertiesSchema.safeParse({
          ...PROPERTIES,
          TerminateBlueAfterMinutes: wait,
          AlarmNames: alarms,
        });
        expect(parsed.success, `${wait} with ${alarms.length} alarms`).toBe(false);
      }
      expect(
        ec2DeploymentGroupPropertiesSchema.safeParse({ ...PROPERTIES, TerminateBlueAfterMinutes: '1.5' })
          .error?.issues[0]?.message,
      ).toBe('must be a whole number of minutes (0 to 2880), as a number or its digits');
      expect(
        ec2DeploymentGroupPropertiesSchema.parse({ ...PROPERTIES, TerminateBlueAfterMinutes: 0 })
          .TerminateBlueAfterMinutes,
      ).toBe(0);
    });
  });

  describe('on update', () => {
    it('keeps the copy CodeDeploy made at its last deployment, and sets everything else from the properties', async () => {
      groupHolds([COPY]);
      const changed = {
        ...PROPERTIES,
        TerminateBlueAfterMinutes: '15',
        AlarmNames: ['ias-dev-inventory-api-ec2-5xx'],
      };
      const result = await onDeploymentGroupRequest(clients, update(changed));
      expect(sent(mocks.codedeploy, UpdateDeploymentGroupCommand)).toEqual([
        {
          ...settings(COPY, { wait: 15, alarms: ['ias-dev-inventory-api-ec2-5xx'] }),
          currentDeploymentGroupName: GROUP,
        },
      ]);
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toEqual([]);
      expect(result).toEqual({
        PhysicalResourceId: GROUP,
        Data: { AutoScalingGroupName: COPY },
        action: 'updated',
      });
    });

    it('keeps CloudFormation’s group before any deployment, and follows it when CloudFormation replaced it', async () => {
      groupHolds([FLEET]);
      await onDeploymentGroupRequest(clients, update(PROPERTIES));
      groupHolds([FLEET]);
      const replaced = await onDeploymentGroupRequest(
        clients,
        update({ ...PROPERTIES, AutoScalingGroupName: `${FLEET}-2` }),
      );
      expect(sent(mocks.codedeploy, UpdateDeploymentGroupCommand).map((u) => u.autoScalingGroups)).toEqual([
        [FLEET],
        [`${FLEET}-2`],
      ]);
      expect(replaced.Data).toEqual({ AutoScalingGroupName: `${FLEET}-2` });
    });

    it('renames the group in place, keeping its copy, so that deleting the old name finds nothing to delete', async () => {
      const OLD = 'ias-dev-inventory-api-ec2-old-group';
      groupHolds([`CodeDeploy_${OLD}_d-ABCDEF123`], OLD);
      const result = await onDeploymentGroupRequest(
        clients,
        update(PROPERTIES, { ...PROPERTIES, DeploymentGroupName: OLD }, OLD),
      );
      expect(sent(mocks.codedeploy, UpdateDeploymentGroupCommand)).toEqual([
        {
          ...settings(`CodeDeploy_${OLD}_d-ABCDEF123`),
          currentDeploymentGroupName: OLD,
          newDeploymentGroupName: GROUP,
        },
      ]);
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toEqual([]);
      expect(result).toMatchObject({ PhysicalResourceId: GROUP, action: 'renamed' });

      // CloudFormation then deletes the old physical id: renamed, it is gone.
      mocks.codedeploy
        .on(GetDeploymentGroupCommand, { deploymentGroupName: OLD })
        .rejects(
          awsError('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${OLD}`),
        );
      const deleted = await onDeploymentGroupRequest(
        clients,
        remove(OLD, { ...PROPERTIES, DeploymentGroupName: OLD }),
      );
      expect(deleted).toEqual({ PhysicalResourceId: OLD, action: 'already-deleted' });
      expect(sent(mocks.codedeploy, DeleteDeploymentGroupCommand)).toEqual([]);
      expect(autoScaling.deleteGroup).not.toHaveBeenCalled();
    });

    it('brings the tags from the old properties to the new ones on the group’s ARN', async () => {
      groupHolds([COPY]);
      await onDeploymentGroupRequest(
        clients,
        update(
          {
            ...PROPERTIES,
            Tags: [
              { Key: 'team', Value: 'stock' },
              { Key: 'cost-center', Value: '42' },
            ],
          },
          {
            ...PROPERTIES,
            Tags: [
              { Key: 'team', Value: 'inventory' },
              { Key: 'legacy', Value: 'yes' },
            ],
          },
        ),
      );
      expect(sent(mocks.codedeploy, UntagResourceCommand)).toEqual([
        { ResourceArn: GROUP_ARN, TagKeys: ['legacy'] },
      ]);
      expect(sent(mocks.codedeploy, TagResourceCommand)).toEqual([
        {
          ResourceArn: GROUP_ARN,
          Tags: [
            { Key: 'team', Value: 'stock' },
            { Key: 'cost-center', Value: '42' },
          ],
        },
      ]);
    });

    it('makes the group again over CloudFormation’s Auto Scaling group when it was deleted outside CloudFormation', async () => {
      mocks.codedeploy
        .on(GetDeploymentGroupCommand)
        .rejects(awsError('DeploymentGroupDoesNotExistException', 'No Deployment Group found'));
      const result = await onDeploymentGroupRequest(clients, update(PROPERTIES));
      expect(sent(mocks.codedeploy, CreateDeploymentGroupCommand)).toEqual([
        { ...settings(FLEET), deploymentGroupName: GROUP },
      ]);
      expect(result.action).toBe('recreated');
    });

    it('fails, changing nothing, when the group holds more than one Auto Scaling group', async () => {
      groupHolds([FLEET, COPY]);
      await expect(onDeploymentGroupRequest(clients, update(PROPERTIES))).rejects.toThrow(
        `${GROUP} holds 2 Auto Scaling groups (${FLEET}, ${COPY}), and a blue/green group copies exactly one: is a deployment in progress? Retry once it ended`,
      );
      expect(sent(mocks.codedeploy, UpdateDeploymentGroupCommand)).toEqual([]);
    });

    it('fails on a move to another application, changing nothing', async () => {
      await expect(
        onDeploymentGroupRequest(
          clients,
          update(PROPERTIES, { ...PROPERTIES, ApplicationName: 'ias-dev-old-ec2-app' }),
        ),
      ).rejects.toThrow(
        /^the deployment group's application cannot change \(ias-dev-old-ec2-app to ias-dev-inventory-api-ec2-app\)/,
      );
      expect(mocks.codedeploy.calls()).toEqual([]);
    });

    it('fails on bad properties before any call', async () => {
      await expect(
        onDeploymentGroupRequest(
          clients,
          update({ ...PROPERTIES, TargetGroupName: 'a-name-longer-than-thirty-two-chars' }),
        ),
      ).rejects.toThrow(
        "the deployment group's properties are invalid: TargetGroupName: must be a target group name (1-32 letters, digits and -)",
      );
      expect(mocks.codedeploy.calls()).toEqual([]);
    });
  });

  describe('on delete', () => {
    it('deletes only CodeDeploy’s copies of the group, never CloudFormation’s group or another, then the group', async () => {
      groupHolds([COPY, FLEET, 'CodeDeploy_another-group_d-XYZ', `CodeDeploy_${GROUP}_d-SECOND01`]);
      const result = await onDeploymentGroupRequest(clients, remove());
      expect(sent(mocks.codedeploy, DeleteDeploymentGroupCommand)).toEqual([
        { applicationName: APPLICATION, deploymentGroupName: GROUP },
      ]);
      expect(order).toEqual([`delete ${COPY}`, `delete CodeDeploy_${GROUP}_d-SECOND01`, 'delete group']);
      expect(result).toEqual({
        PhysicalResourceId: GROUP,
        action: 'deleted',
        deletedAutoScalingGroups: [COPY, `CodeDeploy_${GROUP}_d-SECOND01`],
        keptAutoScalingGroups: [FLEET, 'CodeDeploy_another-group_d-XYZ'],
        hooksNotCleanedUp: [COPY],
      });
    });

    it('never deletes the group CloudFormation owns, even one named like a copy', async () => {
      groupHolds([COPY]);
      await onDeploymentGroupRequest(clients, remove(GROUP, { ...PROPERTIES, AutoScalingGroupName: COPY }));
      expect(autoScaling.deleteGroup).not.toHaveBeenCalled();
    });

    it('deletes the group before any deployment, leaving CloudFormation’s Auto Scaling group to CloudFormation', async () => {
      groupHolds([FLEET]);
      const result = await onDeploymentGroupRequest(clients, remove());
      expect(sent(mocks.codedeploy, DeleteDeploymentGroupCommand)).toHaveLength(1);
      expect(autoScaling.deleteGroup).not.toHaveBeenCalled();
      expect(result).toMatchObject({ deletedAutoScalingGroups: [], keptAutoScalingGroups: [FLEET] });
    });

    it('does nothing when the group, or its application, is already gone', async () => {
      for (const name of ['DeploymentGroupDoesNotExistException', 'ApplicationDoesNotExistException']) {
        mocks.codedeploy.on(GetDeploymentGroupCommand).rejects(awsError(name, 'gone'));
        await expect(onDeploymentGroupRequest(clients, remove())).resolves.toEqual({
          PhysicalResourceId: GROUP,
          action: 'already-deleted',
        });
      }
      expect(sent(mocks.codedeploy, DeleteDeploymentGroupCommand)).toEqual([]);
      expect(autoScaling.deleteGroup).not.toHaveBeenCalled();
    });

    it('does not fail on broken properties, which no group was made from', async () => {
      await expect(
        onDeploymentGroupRequest(clients, remove(GROUP, { ApplicationName: 'has spaces' })),
      ).resolves.toEqual({
        PhysicalResourceId: GROUP,
        action: 'already-deleted',
      });
      expect(mocks.codedeploy.calls()).toEqual([]);
    });

    it('fails, keeping the group, when a copy cannot be deleted, so that CloudFormation’s retry deletes it again', async () => {
      groupHolds([COPY]);
      autoScaling.deleteGroup.mockRejectedValueOnce(
        Object.assign(new Error('not authorized'), { name: 'AccessDenied' }),
      );
      await expect(onDeploymentGroupRequest(clients, remove())).rejects.toThrow('not authorized');
      expect(sent(mocks.codedeploy, DeleteDeploymentGroupCommand)).toEqual([]);

      const retried = await onDeploymentGroupRequest(clients, remove());
      expect(autoScaling.deleteGroup.mock.calls).toEqual([[COPY], [COPY]]);
      expect(retried).toMatchObject({ action: 'deleted', deletedAutoScalingGroups: [COPY] });
    });

    it('lets an error other than the group being gone through', async () => {
      mocks.codedeploy.on(GetDeploymentGroupCommand).rejects(awsError('AccessDeniedException', 'no'));
      await expect(onDeploymentGroupRequest(clients, remove())).rejects.toThrow('no');
    });
  });
});
