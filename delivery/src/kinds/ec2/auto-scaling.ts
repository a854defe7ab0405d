/**
 * The one Auto Scaling call the blue/green deployment group's resource makes: deleting the copies of
 * the fleet's Auto Scaling group that CodeDeploy made. Behind {@link AutoScalingGroups} so the
 * resource's logic does not depend on how the call is made.
 *
 * @see https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html
 */
import { type AutoScalingClient, DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';

/** What the deployment group's resource does with Auto Scaling. */
export interface AutoScalingGroups {
  /**
   * Deletes the Auto Scaling group `name`, terminating its instances (`ForceDelete`). Resolves when the
   * group is already gone.
   */
  deleteGroup(name: string): Promise<void>;
}

/** Auto Scaling's answer to deleting a group that does not exist (a `ValidationError` saying so). */
function isGroupNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationError' &&
    /not found|does not exist/i.test(error.message)
  );
}

/** {@link AutoScalingGroups} through the SDK's Auto Scaling client. */
export function sdkAutoScalingGroups(client: AutoScalingClient): AutoScalingGroups {
  return {
    async deleteGroup(name) {
      try {
        await client.send(
          new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }),
        );
      } catch (error) {
        if (isGroupNotFound(error)) return;
        throw error;
      }
    },
  };
}
