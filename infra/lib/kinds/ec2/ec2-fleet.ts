import { EC2_FLEET_TAG, EC2_REVISION_KEY_PREFIX, type Ec2Target } from '@ias/targets';
import { Aws, Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { Ec2Profile } from '../../config/ec2-profile-schema';
import { SubnetGroup } from '../../constructs/network';
import { type Ec2Setting, writeFleetUserData } from './user-data';

/** Where the revisions the CodeDeploy agent downloads live: a pipeline's artifact store. */
export interface RevisionStore {
  /** The bucket's name. */
  readonly bucketName: string;
  /** The ARN pattern of the KMS keys that encrypt it (the tooling account's), read through S3 only. */
  readonly keyArns: string;
  /** The region of the bucket (the pipelines'). */
  readonly region: string;
  /** The account as the policy gates render the ARNs: the tooling account, or `<AWS::AccountId>`. */
  readonly shownAccount: string;
  /**
   * The environment's artifact bucket, where the GitHub Actions path (`ias-ops deploy ec2`) puts
   * revisions under `ec2/<app>/`, encrypted with the environment key.
   */
  readonly environmentBucket: { readonly bucketName: string; readonly key: kms.IKey };
}

/** Props of {@link Ec2Fleet}. */
export interface Ec2FleetProps {
  readonly target: Ec2Target;
  /** The environment's EC2 settings: instance type, capacity, scaling. */
  readonly profile: Ec2Profile;
  readonly vpc: ec2.IVpc;
  /**
   * The environment's workload security group (HTTPS out, and what the database and its proxy open to
   * it): the instances carry it beside their own.
   */
  readonly appSecurityGroup: ec2.ISecurityGroup;
  /** The application's settings, written to the settings file the appspec's hooks resolve. */
  readonly settings: Readonly<Record<string, Ec2Setting>>;
  /** Where its revisions are. */
  readonly revisions: RevisionStore;
  /** The target group the load balancer forwards to. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The environment key, for the log groups. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
}

/** Minutes an instance has, from launch, to install its agents and signal CloudFormation. */
const SIGNAL_MINUTES = 15;

/**
 * One EC2 application's fleet (seed 001): a launch template (the latest Amazon Linux 2023 arm64 from
 * Systems Manager's public parameter, IMDSv2 only, an encrypted volume, no key pair: Session Manager
 * instead of SSH), the Auto Scaling group `<prefix>-<env>-<app>-ec2` in the private subnets registered
 * with the load balancer's target group, CloudFormation waiting for each instance's `cfn-signal`,
 * target tracking on CPU and on requests per target, the CloudWatch agent shipping the application's
 * and the CodeDeploy agent's logs, and the Systems Manager association that installs the CodeDeploy
 * agent on every instance of the fleet and keeps it current.
 */
export class Ec2Fleet extends Construct {
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly logGroups: { readonly application: logs.LogGroup; readonly deployments: logs.LogGroup };
  readonly agentAssociation: ssm.CfnAssociation;

  constructor(scope: Construct, id: string, props: Ec2FleetProps) {
    super(scope, id);
    const { target, profile } = props;
    const logGroup = (logId: string, logGroupName: string) =>
      new logs.LogGroup(this, logId, {
        logGroupName,
        retention: props.logRetention,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    this.logGroups = {
      application: logGroup('ApplicationLogs', target.logGroups.application),
      deployments: logGroup('DeploymentLogs', target.logGroups.deployments),
    };

    this.role = new iam.Role(this, 'Role', {
      roleName: target.instanceRoleName,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${target.autoScalingGroupName}: its instances (Session Manager, settings, revisions, logs, database login)`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for a Systems Manager managed instance (Session Manager instead of SSH, State Manager's association that keeps the CodeDeploy agent current); its actions take no narrower resource",
    });
    this.grantInstanceReads(props);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${target.autoScalingGroupName}: the application port from its load balancer only (no SSH)`,
      allowAllOutbound: false,
    });

    const userData = ec2.UserData.forLinux();
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: target.launchTemplateName,
      // The newest image on AL2023's default kernel, resolved at each deployment of the stack
      // (MachineImage.latestAmazonLinux2023 pins the 6.1 kernel's parameter instead).
      machineImage: new ec2.AmazonLinux2023ImageSsmParameter({
        cpuType: ec2.AmazonLinuxCpuType.ARM_64,
        kernel: ec2.AmazonLinux2023Kernel.DEFAULT,
        cachedInContext: false,
      }),
      instanceType: new ec2.InstanceType(profile.instanceType),
      role: this.role,
      securityGroup: this.securityGroup,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      // One-minute EC2 metrics: what the CPU target tracking and the dashboard read.
      detailedMonitoring: true,
      associatePublicIpAddress: false,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          // The account's EBS key (aws/ebs): a customer key would need a grant to the Auto Scaling
          // service-linked role, or instances fail to launch.
          volume: ec2.BlockDeviceVolume.ebs(20, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    this.launchTemplate.connections.addSecurityGroup(
      ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'AppSecurityGroup',
        props.appSecurityGroup.securityGroupId,
        {
          mutable: false,
          allowAllOutbound: false,
        },
      ),
    );
    // On the instances and their volumes (the launch template's tag specifications), so that
    // CodeDeploy's copies of the group carry it too: State Manager's association selects by it.
    Tags.of(this.launchTemplate).add(EC2_FLEET_TAG, target.fleetTag);

    const blueGreen = target.style === 'blue-green';
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      autoScalingGroupName: target.autoScalingGroupName,
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: SubnetGroup.PRIVATE },
      launchTemplate: this.launchTemplate,
      minCapacity: profile.capacity.min,
      maxCapacity: profile.capacity.max,
      // EC2 status only: the load balancer's /ready decides where requests go, and an instance that
      // CodeDeploy is updating in place is not ready for a while without being broken.
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(SIGNAL_MINUTES) }),
      // In place, a new launch template version replaces the instances one at a time, min kept in
      // service; blue/green leaves that to the next deployment's copy of the group.
      updatePolicy: blueGreen
        ? undefined
        : autoscaling.UpdatePolicy.rollingUpdate({
            maxBatchSize: 1,
            minInstancesInService: profile.capacity.min,
            waitOnResourceSignals: true,
            pauseTime: Duration.minutes(SIGNAL_MINUTES),
          }),
    });
    Validations.of(this.autoScalingGroup).acknowledge(
      {
        id: 'cdk-validator-cfnguard::autoscaling_multiple_az_check',
        reason:
          "The group spans the private subnets of every availability zone of the profile (the network stack's outputs, which the rule cannot count)",
      },
      {
        id: 'cdk-validator-cfnguard::autoscaling_group_elb_healthcheck_required_check',
        reason:
          'EC2 health checks on purpose: an instance CodeDeploy is updating in place is not ready for a while without being broken, and an ELB check would have the group replace it mid-deployment; the load balancer routes only to instances whose /ready answers, and the unhealthy-hosts alarm rolls a deployment back',
      },
      {
        id: 'cdk-validator-cfnguard::autoscaling_mixed_instances_policy_multiple_instance_types_check',
        reason:
          "One Graviton instance type from the profile, for predictable capacity and scaling; the profile's instanceType changes it",
      },
      {
        id: 'AwsSolutions::AwsSolutions-AS3',
        reason:
          "Scaling activity is in the group's activity history; what operators must hear of (unhealthy hosts, failed deployments) reaches them through the application's composite alarm and the environment's CodeDeploy failure events",
      },
    );
    if (blueGreen) {
      // CodeDeploy copies the group at each blue/green deployment, launch template and version as
      // they are: `$Latest` lets a new image or user data reach the next green fleet, and keeps
      // CloudFormation from updating a group CodeDeploy has replaced.
      const cfnGroup = this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
      cfnGroup.addPropertyOverride('LaunchTemplate.Version', '$Latest');
    }
    // Registers the instances, and lets the load balancer in on the target group's port (the
    // application's) through the fleet's own security group.
    this.autoScalingGroup.attachToApplicationTargetGroup(props.targetGroup);
    this.autoScalingGroup.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: profile.scaling.cpuTargetPercent,
    });
    this.autoScalingGroup.scaleOnRequestCount('Requests', {
      targetRequestsPerMinute: profile.scaling.requestsPerTarget,
    });

    writeFleetUserData(userData, { target, settings: props.settings, signalMinutes: SIGNAL_MINUTES });
    userData.addSignalOnExitCommand(this.autoScalingGroup);

    this.agentAssociation = new ssm.CfnAssociation(this, 'CodeDeployAgent', {
      associationName: target.agentAssociation,
      name: 'AWS-ConfigureAWSPackage',
      parameters: {
        action: ['Install'],
        installationType: ['In-place update'],
        name: ['AWSCodeDeployAgent'],
      },
      targets: [{ key: `tag:${EC2_FLEET_TAG}`, values: [target.fleetTag] }],
      // Every new instance of the fleet gets it as it registers; every instance is brought to the
      // agent's latest version once a week.
      scheduleExpression: 'rate(7 days)',
      complianceSeverity: 'HIGH',
    });
  }

  /** What the instances read: their settings' parameters, the revisions, their log groups, the signal. */
  private grantInstanceReads(props: Ec2FleetProps): void {
    const stack = Stack.of(this);
    const parameters = Object.values(props.settings).flatMap((s) => ('parameter' in s ? [s.parameter] : []));
    if (parameters.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: parameters.map((p) =>
            stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: p.replace(/^\//, '') }),
          ),
        }),
      );
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [
          `arn:${Aws.PARTITION}:s3:::${props.revisions.bucketName}/*`,
          // The CodeDeploy agent's installer and packages, which Systems Manager installs.
          `arn:${Aws.PARTITION}:s3:::aws-codedeploy-${stack.region}/*`,
        ],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.revisions.keyArns],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${props.revisions.region}.amazonaws.com` } },
      }),
    );
    // The GitHub Actions path's revisions: this application's keys of the environment's bucket, and
    // the environment key through S3.
    const { environmentBucket } = props.revisions;
    const ownRevisions = `${environmentBucket.bucketName}/${EC2_REVISION_KEY_PREFIX}${props.target.app}/*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [`arn:${Aws.PARTITION}:s3:::${ownRevisions}`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [environmentBucket.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroups.application.logGroupArn, this.logGroups.deployments.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
      }),
    );
    // The CodeDeploy agent's commands through the VPC endpoint codedeploy-commands-secure (dev has
    // no NAT gateway), which authorizes them by the instance's role (the agent's enable_auth_policy).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'codedeploy-commands-secure:GetDeploymentSpecification',
          'codedeploy-commands-secure:PollHostCommand',
          'codedeploy-commands-secure:PutHostCommandAcknowledgement',
          'codedeploy-commands-secure:PutHostCommandComplete',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:SignalResource'],
        resources: [stack.stackId],
      }),
    );
    const shownBucket = props.revisions.bucketName.replace(
      /\$\{Token\[[^\]]+\]\}/,
      props.revisions.shownAccount,
    );
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          "cloudwatch:PutMetricData (the condition holds it to the CloudWatch agent's namespace CWAgent) and the CodeDeploy agent's codedeploy-commands-secure actions take no resource",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${shownBucket}/*]`,
        reason: "The revisions of the application's pipeline, read-only: their keys are the pipeline's",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${ownRevisions.replace(/\$\{Token\[[^\]]+\]\}/, '<AWS::AccountId>')}]`,
        reason:
          "This application's revisions in the environment's artifact bucket (the GitHub Actions path), read-only",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::aws-codedeploy-${stack.region}/*]`,
        reason: "AWS's CodeDeploy agent packages of this region, read-only, which Systems Manager installs",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${props.revisions.region}:${props.revisions.shownAccount}:key/*]`,
        reason:
          "The pipelines' key that encrypts the revisions, decrypt only and only through S3 (kms:ViaService): its ID is the delivery stack's",
      },
    );
  }
}
