import {
  artifactStoreBucketName,
  ec2Target,
  environmentArtifactBucketName,
  pipelineNames,
  type Ec2Target,
  type Naming,
} from '@ias/targets';
import { Aws, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DeliveryCode } from '../../config/delivery-code';
import type { Ec2Definition } from '../../config/ec2';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type { Database } from '../../constructs/database';
import { DATABASE_ROLES } from '../../stacks/data-stack';
import { importKey, logRetention, type EnvironmentStackProps } from '../../stacks/environment-stack-props';
import { loadBalancerLogBucket, ServiceLoadBalancer } from '../service/service-load-balancer';
import { environmentCanaryAnalysis } from '../../config/canary-analysis-schema';
import { JudgedDeployment } from '../../constructs/judged-deployment';
import { Ec2Deployment } from './ec2-deployment';
import { Ec2Fleet } from './ec2-fleet';
import type { Ec2Setting } from './user-data';
import { Ec2Monitoring } from './ec2-monitoring';

/** Props of {@link Ec2ApplicationStack}. */
export interface Ec2ApplicationStackProps extends EnvironmentStackProps {
  readonly definition: Ec2Definition;
  readonly vpc: ec2.IVpc;
  readonly appSecurityGroup: ec2.ISecurityGroup;
  readonly database: Database;
  readonly alarmTopic: AlarmTopic;
  readonly encryptionKey: kms.IKey;
  readonly accessLogBucket: s3.IBucket;
  readonly deliveryCode: DeliveryCode;
  /** The pipelines' account, when the environment is elsewhere. @default - this account */
  readonly toolingAccount?: string;
  /** The pipelines' region. @default - this region */
  readonly pipelineRegion?: string;
}

/**
 * The settings of an EC2 application, as the ECS service has them: the same plain values, the same
 * parameters by name (the hooks read them at each deployment), the database by IAM authentication.
 */
export function ec2Settings(definition: Ec2Definition, naming: Naming): Record<string, Ec2Setting> {
  const { manifest } = definition.service;
  const parameter = (path: string): Ec2Setting => ({ parameter: naming.path(...path.split('/')) });
  return {
    ...Object.fromEntries(Object.entries(manifest.environment).map(([k, v]) => [k, { value: v }])),
    NODE_ENV: { value: 'production' },
    PORT: { value: String(manifest.containerPort) },
    PGUSER: { value: DATABASE_ROLES.app },
    DB_OWNER_USER: { value: DATABASE_ROLES.owner },
    DB_AUTH: { value: 'iam' },
    PGSSLMODE: { value: 'verify-full' },
    PGHOST: parameter('db/endpoint'),
    PGPORT: parameter('db/port'),
    PGDATABASE: parameter('db/name'),
    ...Object.fromEntries(Object.entries(manifest.parameters).map(([k, p]) => [k, parameter(p)])),
  };
}

/**
 * One EC2 application in one environment, `<prefix>-<env>-ec2-<name>` (seed 001): its load balancer
 * (the service's listener settings, instance targets checked on the manifest's readiness path), its
 * fleet, its database door (IAM logins as the application and owner roles, through the workload
 * security group), its monitoring, its CodeDeploy application and group, and, where the profile
 * names a hosted zone, its weighted Route 53 record.
 */
export class Ec2ApplicationStack extends Stack {
  readonly target: Ec2Target;
  readonly loadBalancer: ServiceLoadBalancer;
  readonly fleet: Ec2Fleet;
  readonly monitoring: Ec2Monitoring;
  readonly deployment: Ec2Deployment;

  constructor(scope: Construct, id: string, props: Ec2ApplicationStackProps) {
    super(scope, id, props);
    const { config, naming, definition } = props;
    const { profile } = config;
    this.target = ec2Target(config, definition);
    const deployment = profile.ec2.deployment;
    const key = importKey(this, props.encryptionKey);

    this.loadBalancer = new ServiceLoadBalancer(this, 'LoadBalancer', {
      name: this.target.loadBalancerName,
      vpc: props.vpc,
      profile: profile.service,
      containerPort: definition.service.manifest.containerPort,
      healthCheckPath: definition.manifest.readinessPath,
      // CodeDeploy moves EC2 traffic within one target group (blue/green registers the green
      // instances in it and deregisters the blue ones).
      blueGreen: false,
      deletionProtection: profile.retainData,
      accessLogBucket: loadBalancerLogBucket(this, profile, props.accessLogBucket),
      trafficThroughRules: false,
      targetType: elbv2.TargetType.INSTANCE,
      targetGroupName: this.target.targetGroupName,
    });
    const targetGroup = this.loadBalancer.blue;

    const toolingAccount = props.toolingAccount ?? Aws.ACCOUNT_ID;
    const pipelineRegion = props.pipelineRegion ?? this.region;
    this.fleet = new Ec2Fleet(this, 'Fleet', {
      target: this.target,
      profile: profile.ec2,
      vpc: props.vpc,
      appSecurityGroup: props.appSecurityGroup,
      settings: ec2Settings(definition, naming),
      revisions: {
        bucketName: artifactStoreBucketName(
          pipelineNames(config.prefix, definition.name).artifactStore,
          toolingAccount,
        ),
        keyArns: `arn:${Aws.PARTITION}:kms:${pipelineRegion}:${toolingAccount}:key/*`,
        region: pipelineRegion,
        shownAccount: props.toolingAccount ?? '<AWS::AccountId>',
        environmentBucket: {
          bucketName: environmentArtifactBucketName(naming, this.account, this.region),
          key,
        },
      },
      targetGroup,
      encryptionKey: key,
      logRetention: logRetention(config),
      retainData: profile.retainData,
    });
    for (const user of [DATABASE_ROLES.app, DATABASE_ROLES.owner]) {
      props.database.grantConnect(this.fleet.role, user);
    }

    this.monitoring = new Ec2Monitoring(this, 'Monitoring', {
      target: this.target,
      profile: profile.ec2,
      alarmTopic: props.alarmTopic,
      targetGroup,
      applicationLogs: this.fleet.logGroups.application,
      slowQueriesPer5Minutes: profile.observability.logs.slowQueriesPer5Minutes,
      loggedErrorsPer5Minutes: profile.observability.logs.loggedErrorsPer5Minutes,
    });

    this.deployment = new Ec2Deployment(this, 'Deployment', {
      target: this.target,
      settings: deployment,
      autoScalingGroup: this.fleet.autoScalingGroup,
      instanceRole: this.fleet.role,
      targetGroup,
      alarms: this.monitoring.deploymentAlarms,
      code: props.deliveryCode,
      logRetention: logRetention(config),
      encryptionKey: key,
      retainData: profile.retainData,
    });

    const judging = environmentCanaryAnalysis(profile).ec2;
    if (judging) {
      new JudgedDeployment(this, 'Judged', {
        naming,
        group: {
          kind: 'ec2',
          application: this.target.application,
          deploymentGroup: this.target.deploymentGroup,
          loadBalancer: this.loadBalancer.loadBalancer.loadBalancerArn,
          targetGroup: targetGroup.targetGroupArn,
          analysis: judging,
        },
      });
    }

    const weighted = profile.ec2.route53;
    if (weighted) {
      new route53.ARecord(this, 'WeightedRecord', {
        zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: weighted.hostedZoneId,
          zoneName: weighted.zoneName,
        }),
        recordName: weighted.recordName,
        target: route53.RecordTarget.fromAlias(
          new targets.LoadBalancerTarget(this.loadBalancer.loadBalancer),
        ),
        weight: weighted.weight,
        setIdentifier: this.target.autoScalingGroupName,
      });
    }
  }
}
