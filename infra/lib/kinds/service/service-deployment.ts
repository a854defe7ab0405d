import { codeDeployNames, type SERVICE_TRAFFIC } from '@ias/targets';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ServiceLoadBalancer } from './service-load-balancer';

/** Props of {@link ServiceDeployment}. */
export interface ServiceDeploymentProps {
  /** `<prefix>-<env>-<service>`. */
  readonly name: string;
  readonly service: ecs.IBaseService;
  readonly loadBalancer: ServiceLoadBalancer;
  /** How production traffic moves to green. */
  readonly traffic: (typeof SERVICE_TRAFFIC)[number];
  /** Minutes the blue task set is kept after the switch. */
  readonly blueRetentionMinutes: number;
  /** Alarms that stop the deployment and roll it back. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** CodeDeploy's predefined ECS configurations, by traffic choice (the type requires one for each). */
const ECS_DEPLOYMENT_CONFIGS: Readonly<
  Record<(typeof SERVICE_TRAFFIC)[number], codedeploy.IEcsDeploymentConfig>
> = {
  'all-at-once': codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
  linear: codedeploy.EcsDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTES,
  canary: codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
};

/** CodeDeploy's predefined ECS configuration for a traffic choice. */
export function ecsDeploymentConfig(
  traffic: (typeof SERVICE_TRAFFIC)[number],
): codedeploy.IEcsDeploymentConfig {
  return ECS_DEPLOYMENT_CONFIGS[traffic];
}

/**
 * CodeDeploy blue/green for one service (seeds 000, 002): the application `<name>-app` and the
 * group `<name>-group`, which starts the green task set, opens the test listener to it, runs the
 * appspec's hooks, moves production traffic by the profile's configuration, keeps the blue set for
 * the profile's minutes, and rolls back on failure, on a stop and on any of the alarms. Its own
 * service role, with AWS's ECS policy for CodeDeploy (ECS, ELB, the hooks' Lambda functions).
 */
export class ServiceDeployment extends Construct {
  readonly application: codedeploy.EcsApplication;
  readonly deploymentGroup: codedeploy.EcsDeploymentGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceDeploymentProps) {
    super(scope, id);
    const { loadBalancer } = props;
    if (!loadBalancer.green || !loadBalancer.testListener) {
      throw new Error(
        `${props.name}: CodeDeploy blue/green needs the green target group and the test listener`,
      );
    }
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `${props.name}: CodeDeploy blue/green of this service`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AWSCodeDeployRoleForECS')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
      reason:
        "AWS's service-role policy for CodeDeploy blue/green on ECS (task sets, listeners, target groups, the appspec's hook functions); CodeDeploy documents it as the role's policy",
    });
    this.application = new codedeploy.EcsApplication(this, 'Application', {
      applicationName: codeDeployNames(props.name).application,
    });
    this.deploymentGroup = new codedeploy.EcsDeploymentGroup(this, 'Group', {
      application: this.application,
      deploymentGroupName: codeDeployNames(props.name).deploymentGroup,
      service: props.service,
      role: this.role,
      blueGreenDeploymentConfig: {
        blueTargetGroup: loadBalancer.blue,
        greenTargetGroup: loadBalancer.green,
        listener: loadBalancer.productionListener,
        testListener: loadBalancer.testListener,
        terminationWaitTime: Duration.minutes(props.blueRetentionMinutes),
      },
      deploymentConfig: ecsDeploymentConfig(props.traffic),
      alarms: [...props.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
  }
}
