import { codeDeployCopyPrefix, type Ec2DeploymentSettings, type Ec2Target } from '@ias/targets';
import { ArnFormat, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeliveryCode } from '../../config/delivery-code';
import { ackAccount } from '../../aspects/acknowledgements';
import { DeliveryFunction, deliveryProvider } from '../../constructs/delivery-function';

/** Props of {@link Ec2Deployment}. */
export interface Ec2DeploymentProps {
  readonly target: Ec2Target;
  /** The profile's style and hosts setting. */
  readonly settings: Ec2DeploymentSettings;
  /** The fleet CloudFormation creates (blue/green: the group CodeDeploy copies first). */
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instances' role (blue/green: CodeDeploy passes it to the instances of its copies). */
  readonly instanceRole: iam.IRole;
  /** The target group the load balancer forwards to: taken out of and put back in per instance. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Any one in ALARM stops a deployment and rolls it back. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The delivery code (blue/green: the deployment group's custom resource). */
  readonly code: DeliveryCode;
  readonly logRetention: logs.RetentionDays;
  readonly encryptionKey: kms.IKey;
  readonly retainData: boolean;
}

/** CodeDeploy's rollback triggers, the same for every group of the platform. */
const AUTO_ROLLBACK_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'];

/**
 * CodeDeploy for one EC2 application (seed 001): the application `<fleet>-app` (compute platform
 * Server), its deployment group `<fleet>-group` over the fleet's Auto Scaling group behind the load
 * balancer, the profile's hosts setting (a predefined configuration, or `<prefix>-<env>-<app>-ec2-hosts`
 * with the custom minimum of healthy hosts), rolling back on failure, on a stop and on any alarm.
 *
 * In place, the group is CloudFormation's own. Blue/green is a custom resource
 * (`Custom::Ec2BlueGreenDeploymentGroup`, delivery's `ec2-deployment-group` handler): CloudFormation
 * refuses a group that copies its Auto Scaling group, and after each deployment the group holds
 * CodeDeploy's copy, which the resource keeps on update and removes on delete.
 */
export class Ec2Deployment extends Construct {
  readonly application: codedeploy.ServerApplication;
  readonly role: iam.Role;
  /** The custom configuration, when the profile gives a minimum of healthy hosts. */
  readonly config?: codedeploy.ServerDeploymentConfig;
  /** The in-place group. */
  readonly inPlaceGroup?: codedeploy.ServerDeploymentGroup;
  /** The blue/green group's custom resource. */
  readonly blueGreenGroup?: CustomResource;

  constructor(scope: Construct, id: string, props: Ec2DeploymentProps) {
    super(scope, id);
    const { target, settings } = props;
    const blueGreen = settings.style === 'blue-green';
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `${target.deploymentGroup}: CodeDeploy ${blueGreen ? 'blue/green' : 'in place'} on the fleet`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRole')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRole]',
      reason:
        "AWS's service-role policy for CodeDeploy on EC2 and Auto Scaling (lifecycle hooks, instances, target groups); CodeDeploy documents it as the role's policy",
    });
    this.application = new codedeploy.ServerApplication(this, 'Application', {
      applicationName: target.application,
    });
    const hosts = settings.hosts;
    if (typeof hosts === 'object') {
      const { type, value } = hosts.minimumHealthyHosts;
      this.config = new codedeploy.ServerDeploymentConfig(this, 'Hosts', {
        deploymentConfigName: target.deploymentConfig,
        minimumHealthyHosts:
          type === 'HOST_COUNT'
            ? codedeploy.MinimumHealthyHosts.count(value)
            : codedeploy.MinimumHealthyHosts.percentage(value),
      });
    }
    const config =
      this.config ??
      codedeploy.ServerDeploymentConfig.fromServerDeploymentConfigName(
        this,
        'Predefined',
        target.deploymentConfig as string,
      );

    if (settings.style === 'in-place') {
      this.inPlaceGroup = new codedeploy.ServerDeploymentGroup(this, 'Group', {
        application: this.application,
        deploymentGroupName: target.deploymentGroup,
        role: this.role,
        autoScalingGroups: [props.autoScalingGroup],
        // Systems Manager installs the agent and keeps it current (Ec2Fleet's association).
        installAgent: false,
        loadBalancers: [codedeploy.LoadBalancer.application(props.targetGroup)],
        deploymentConfig: config,
        alarms: [...props.alarms],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      return;
    }

    // Copying the group: CodeDeploy launches the copy's instances with the instances' role.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [props.instanceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:RunInstances', 'ec2:CreateTags'],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        "A blue/green deployment's copy of the Auto Scaling group launches instances from the launch template (instances, volumes, interfaces, images: their IDs are not known beforehand), as CodeDeploy documents for groups with launch templates",
    });
    this.blueGreenGroup = this.blueGreen(props, config.deploymentConfigName);
    if (this.config) this.blueGreenGroup.node.addDependency(this.config);
  }

  /** The blue/green group, through the custom resource and its provider. */
  private blueGreen(props: Ec2DeploymentProps, deploymentConfigName: string): CustomResource {
    const { target } = props;
    const stack = Stack.of(this);
    const name = target.groupResourceFunction;
    const groupArn = stack.formatArn({
      service: 'codedeploy',
      resource: 'deploymentgroup',
      resourceName: `${target.application}/${target.deploymentGroup}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const role = new iam.Role(this, 'GroupResourceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${name}: creates, updates and deletes ${target.deploymentGroup} (blue/green)`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'codedeploy:CreateDeploymentGroup',
          'codedeploy:UpdateDeploymentGroup',
          'codedeploy:DeleteDeploymentGroup',
          'codedeploy:GetDeploymentGroup',
        ],
        resources: [groupArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.role.roleArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:DeleteAutoScalingGroup'],
        resources: [
          stack.formatArn({
            service: 'autoscaling',
            resource: 'autoScalingGroup',
            resourceName: `*:autoScalingGroupName/${codeDeployCopyPrefix(target.deploymentGroup)}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:autoscaling:${stack.region}:${ackAccount(stack)}:autoScalingGroup:*:autoScalingGroupName/${codeDeployCopyPrefix(target.deploymentGroup)}*]`,
      reason:
        "CodeDeploy's copies of the fleet's group (named CodeDeploy_<group>_<deployment>), which only the resource's delete removes",
    });
    const handler = new DeliveryFunction(this, 'GroupResource', {
      functionName: name,
      description: `Keeps the blue/green deployment group ${target.deploymentGroup}, which CloudFormation cannot hold`,
      code: props.code,
      handler: 'ec2-deployment-group',
      role,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
    });
    const provider = deliveryProvider(this, 'Group', handler, {
      name,
      invokes: 'the handler',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
    });

    const settings = props.settings as Extract<Ec2DeploymentSettings, { style: 'blue-green' }>;
    const resource = new CustomResource(this, 'Group', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::Ec2BlueGreenDeploymentGroup',
      properties: {
        ApplicationName: this.application.applicationName,
        DeploymentGroupName: target.deploymentGroup,
        ServiceRoleArn: this.role.roleArn,
        DeploymentConfigName: deploymentConfigName,
        AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName,
        TargetGroupName: props.targetGroup.targetGroupName,
        TerminateBlueAfterMinutes: settings.terminateBlueAfterMinutes,
        AlarmNames: props.alarms.map((a) => a.alarmName),
        AutoRollbackEvents: AUTO_ROLLBACK_EVENTS,
      },
    });
    // The service role's policy must be in place before CodeDeploy checks it.
    resource.node.addDependency(this.role);
    return resource;
  }
}
