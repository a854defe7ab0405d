import { AutoScalingClient, DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { sdkAutoScalingGroups } from '../../../src/kinds/ec2/auto-scaling.js';
import { mocks } from '../../aws.js';

const COPY = 'CodeDeploy_ias-dev-inventory-api-ec2-group_d-ABCDEF123';
const autoScaling = mocks.autoscaling;

function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('sdkAutoScalingGroups', () => {
  it('deletes a group with ForceDelete, terminating its instances', async () => {
    autoScaling.on(DeleteAutoScalingGroupCommand).resolves({});
    await sdkAutoScalingGroups(new AutoScalingClient({})).deleteGroup(COPY);
    expect(autoScaling.commandCalls(DeleteAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: COPY, ForceDelete: true },
    ]);
  });

  it('resolves when the group is already gone', async () => {
    autoScaling
      .on(DeleteAutoScalingGroupCommand)
      .rejects(
        serviceError(
          'ValidationError',
          `AutoScalingGroup name not found - AutoScalingGroup ${COPY} not found`,
        ),
      );
    await expect(sdkAutoScalingGroups(new AutoScalingClient({})).deleteGroup(COPY)).resolves.toBeUndefined();
  });

  it('passes on any other error (a group still scaling, a denied call)', async () => {
    autoScaling
      .on(DeleteAutoScalingGroupCommand)
      .rejects(
        serviceError(
          'ScalingActivityInProgressFault',
          'You cannot delete an AutoScalingGroup while there are scaling activities in progress',
        ),
      );
    await expect(sdkAutoScalingGroups(new AutoScalingClient({})).deleteGroup(COPY)).rejects.toThrow(
      /scaling activities in progress/,
    );
    autoScaling.on(DeleteAutoScalingGroupCommand).rejects(serviceError('AccessDenied', 'not authorized'));
    await expect(sdkAutoScalingGroups(new AutoScalingClient({})).deleteGroup(COPY)).rejects.toThrow(
      /not authorized/,
    );
  });
});
