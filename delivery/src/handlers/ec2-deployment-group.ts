import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { sdkAutoScalingGroups } from '../kinds/ec2/auto-scaling.js';
import { onDeploymentGroupRequest } from '../kinds/ec2/deployment-group.js';

// One logger and one client of each service per container.
const logger = new Logger({ serviceName: 'delivery-ec2-deployment-group' });
const clients = {
  codedeploy: new CodeDeployClient({}),
  // CodeDeploy's copies of the fleet, deleted with the group.
  autoScaling: sdkAutoScalingGroups(new AutoScalingClient({})),
};

/** What the provider framework expects back. */
export interface Ec2DeploymentGroupResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/**
 * The `onEvent` handler of an EC2 application's blue/green deployment group
 * (`Custom::Ec2BlueGreenDeploymentGroup`; aws-cdk-lib's provider framework answers CloudFormation):
 * creates the group over CloudFormation's Auto Scaling group, updates it keeping the Auto Scaling group
 * it holds now (CodeDeploy's copy after a deployment), and deletes it with CodeDeploy's copies (see
 * {@link onDeploymentGroupRequest}). Returns the group's name as the physical id and
 * `AutoScalingGroupName`, the Auto Scaling group it holds.
 */
export const handler = async (
  event: CloudFormationCustomResourceEvent,
): Promise<Ec2DeploymentGroupResponse> => {
  const result = await onDeploymentGroupRequest(clients, event);
  const { PhysicalResourceId, Data, ...report } = result;
  logger.info(`deployment group ${report.action}`, {
    deploymentGroup: PhysicalResourceId,
    ...Data,
    ...report,
  });
  return Data ? { PhysicalResourceId, Data } : { PhysicalResourceId };
};
