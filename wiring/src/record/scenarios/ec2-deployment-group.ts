/**
 * `delivery:ec2-deployment-group`: the handler of an EC2 application's blue/green deployment group
 * (`Custom::Ec2BlueGreenDeploymentGroup`, delivery/src/handlers/ec2-deployment-group.ts) on each
 * CloudFormation request: Create, Update once a blue/green deployment has replaced the fleet with
 * CodeDeploy's copy (kept), and Delete (the group, then that copy). The names come from the resource's
 * properties (`${resource:ApplicationName}`, …), which the check reads from each custom resource the
 * function answers (through aws-cdk-lib's provider framework); the copy's deployment is any (`*`).
 */
import { responder } from '../respond';
import type { Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/ec2-deployment-group.ts';

const STACK_ID = 'arn:aws:cloudformation:eu-west-3:123456789012:stack/wiring-fixture-ec2-stack/uuid';
const GROUP = 'wiring-fixture-ec2-group';

/** The resource's properties, as infra/lib/kinds/ec2/ec2-deployment.ts writes them. */
const PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:eu-west-3:123456789012:function:wiring-fixture-ec2-group-provider',
  ApplicationName: 'wiring-fixture-ec2-app',
  DeploymentGroupName: GROUP,
  ServiceRoleArn: 'arn:aws:iam::123456789012:role/wiring-fixture-codedeploy-role',
  DeploymentConfigName: 'CodeDeployDefault.HalfAtATime',
  AutoScalingGroupName: 'wiring-fixture-ec2-fleet',
  TargetGroupName: 'wiring-fixture-ec2-targets',
  // CloudFormation hands scalars over as strings.
  TerminateBlueAfterMinutes: '60',
  AlarmNames: ['wiring-fixture-ec2-alarm'],
  AutoRollbackEvents: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
};

/** CodeDeploy's copy of the fleet after a blue/green deployment: `CodeDeploy_<group>_<deployment>`. */
const COPY = `CodeDeploy_${GROUP}_d-WIRINGEC2BG`;

const respond = responder({
  'CodeDeploy CreateDeploymentGroup': { deploymentGroupId: 'wiring-group-id' },
  'CodeDeploy GetDeploymentGroup': {
    deploymentGroupInfo: {
      applicationName: PROPERTIES.ApplicationName,
      deploymentGroupName: GROUP,
      autoScalingGroups: [{ name: COPY, hook: 'wiring-hook' }],
    },
  },
  'CodeDeploy UpdateDeploymentGroup': { hooksNotCleanedUp: [] },
  'CodeDeploy DeleteDeploymentGroup': { hooksNotCleanedUp: [] },
  'Auto Scaling DeleteAutoScalingGroup': {},
});

/** The request of `type` for the resource, with the group's name as its physical id once it exists. */
function request(type: 'Create' | 'Update' | 'Delete') {
  return {
    RequestType: type,
    StackId: STACK_ID,
    RequestId: 'wiring-request',
    LogicalResourceId: 'Group',
    ResourceType: 'Custom::Ec2BlueGreenDeploymentGroup',
    ServiceToken: PROPERTIES.ServiceToken,
    ResponseURL: 'https://wiring.invalid/response',
    ResourceProperties: PROPERTIES,
    ...(type === 'Create' ? {} : { PhysicalResourceId: GROUP }),
    ...(type === 'Update' ? { OldResourceProperties: PROPERTIES } : {}),
  };
}

function groupScenario(type: 'Create' | 'Update' | 'Delete', expect: Record<string, unknown>): Scenario {
  return {
    workload: 'delivery:ec2-deployment-group',
    id: `ec2-deployment-group:${type.toLowerCase()}`,
    source: SOURCE,
    resourceProperties: PROPERTIES,
    // The copy's deployment is whichever ran last.
    tokens: { [COPY]: 'CodeDeploy_${resource:DeploymentGroupName}_*' },
    respond,
    async run() {
      const { handler } = await import('@ias/delivery/handlers/ec2-deployment-group');
      const response = await handler(request(type) as never);
      if (JSON.stringify(response) !== JSON.stringify(expect)) {
        throw new Error(`${type}: answered ${JSON.stringify(response)}, expected ${JSON.stringify(expect)}`);
      }
    },
  };
}

/** Create, Update keeping CodeDeploy's copy, Delete with the copy. */
export const ec2DeploymentGroupScenarios: readonly Scenario[] = [
  groupScenario('Create', {
    PhysicalResourceId: GROUP,
    Data: { AutoScalingGroupName: PROPERTIES.AutoScalingGroupName },
  }),
  groupScenario('Update', { PhysicalResourceId: GROUP, Data: { AutoScalingGroupName: COPY } }),
  groupScenario('Delete', { PhysicalResourceId: GROUP }),
];
