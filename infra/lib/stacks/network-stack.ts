import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { Network } from '../constructs/network';
import { importKey, logRetention, type EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link NetworkStack}. */
export interface NetworkStackProps extends EnvironmentStackProps {
  /** Key for the flow-log log group. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The VPC, its endpoints and flow logs, the security group of the workloads (functions and
 * tasks), and the ECS cluster the services run in. Groups of what the workloads reach (database, proxy, load balancer) live with those
 * resources, which open themselves to this group: every rule then sits in the dependent stack and
 * no stack refers back to a later one.
 */
export class NetworkStack extends Stack {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Functions and Fargate tasks: HTTPS out (AWS APIs), plus what later stacks open to it. */
  readonly appSecurityGroup: ec2.SecurityGroup;
  /** The environment's ECS cluster, `<prefix>-<env>-cluster` (Fargate, Container Insights). */
  readonly cluster: ecs.Cluster;
  /** Container Insights' performance events of the cluster, which ECS would otherwise create with no retention. */
  readonly containerInsightsLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { profile } = config;

    const network = new Network(this, 'Network', {
      vpcCidr: profile.network.vpcCidr,
      availabilityZones: profile.network.availabilityZones,
      natGateways: profile.network.natGateways,
      flowLogGroupName: naming.name('vpc-flow-logs'),
      logRetention: logRetention(config),
      encryptionKey: importKey(this, props.encryptionKey),
      retainData: profile.retainData,
      kubernetes: profile.kubernetes.enabled,
      ec2: profile.ec2.enabled,
    });
    this.vpc = network.vpc;
    this.appSecurityGroup = new ec2.SecurityGroup(this, 'AppSecurityGroup', {
      vpc: network.vpc,
      description: `${naming.base}: Lambda functions and Fargate tasks`,
      allowAllOutbound: false,
    });
    this.appSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs (VPC endpoints or NAT)',
    );
    // Container Insights writes to this group from the first task on; made here first, it has the
    // environment's retention and key and goes with `cdk destroy`.
    this.containerInsightsLogs = new logs.LogGroup(this, 'ContainerInsightsLogs', {
      logGroupName: `/aws/ecs/containerinsights/${naming.name('cluster')}/performance`,
      retention: logRetention(config),
      encryptionKey: importKey(this, props.encryptionKey),
      removalPolicy: profile.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: naming.name('cluster'),
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.cluster.node.addDependency(this.containerInsightsLogs);
  }
}
