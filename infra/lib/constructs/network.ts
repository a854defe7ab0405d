import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SUBNET_MASKS } from '../config/profile-schema';

/**
 * What a Lambda function in a VPC does with its network interfaces; AWS does not scope these
 * actions to resources, so they go on `*`.
 */
export const VPC_NETWORK_INTERFACE_ACTIONS: readonly string[] = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Subnet group names; select subnets by these, never by type (dev's private tier has no NAT). */
export const SubnetGroup = {
  /** Load balancers and NAT gateways. */
  PUBLIC: 'public',
  /** Lambda functions, Fargate tasks and interface endpoints. */
  PRIVATE: 'private',
  /** Databases and the database proxy: no route out of the VPC. */
  ISOLATED: 'isolated',
} as const;

/** One of {@link SubnetGroup}. */
export type SubnetGroupName = (typeof SubnetGroup)[keyof typeof SubnetGroup];

/**
 * Where a resource in the VPC puts its network interfaces: the subnets of one tier, behind these
 * security groups (the `vpcSubnets` and `securityGroups` props of functions, services and clusters).
 */
export function placement(
  tier: SubnetGroupName,
  ...securityGroups: ec2.ISecurityGroup[]
): { vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } {
  return { vpcSubnets: { subnetGroupName: tier }, securityGroups };
}

/** Props of {@link Network}. */
export interface NetworkProps {
  /** The VPC's IPv4 CIDR. */
  readonly vpcCidr: string;
  /** Availability zones, by name (no context lookup needed). */
  readonly availabilityZones: string[];
  /**
   * NAT gateways. With 0 the private tier is isolated and reaches AWS services only through the
   * VPC endpoints.
   */
  readonly natGateways: number;
  /** Name of the flow-log log group, `<prefix>-<env>-vpc-flow-logs`. */
  readonly flowLogGroupName: string;
  /** Retention of the flow-log log group. */
  readonly logRetention: logs.RetentionDays;
  /** Key the flow-log log group is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the flow logs when the stack is destroyed. */
  readonly retainData: boolean;
  /**
   * An EKS cluster runs in the VPC: endpoints for the EKS API (the deploy projects' DescribeCluster),
   * EKS Auth (Pod Identity's credentials) and EC2 (Auto Mode's nodes), so that it works without NAT.
   * @default false
   */
  readonly kubernetes?: boolean;
  /**
   * Whether EC2 applications run here: the endpoints their instances need without a NAT gateway
   * (Session Manager, CodeDeploy's agent, cfn-signal). @default false
   */
  readonly ec2?: boolean;
}

/**
 * The environment's VPC: public, private and isolated subnets in every AZ, VPC flow logs to an
 * encrypted log group, gateway endpoints for S3 and DynamoDB, and interface endpoints for ECR,
 * CloudWatch Logs, SSM, Secrets Manager, KMS, STS and EventBridge so that functions and Fargate tasks work
 * without a NAT gateway.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** The flow-log log group. */
  readonly flowLogGroup: logs.LogGroup;
  /** The security group of the interface endpoints (HTTPS from inside the VPC). */
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const privateType =
      props.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      availabilityZones: props.availabilityZones,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        {
          name: SubnetGroup.PUBLIC,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: SUBNET_MASKS.public,
          mapPublicIpOnLaunch: false,
        },
        { name: SubnetGroup.PRIVATE, subnetType: privateType, cidrMask: SUBNET_MASKS.private },
        {
          name: SubnetGroup.ISOLATED,
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: SUBNET_MASKS.isolated,
        },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      logGroupName: props.flowLogGroupName,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      // The literal CIDR rather than the VPC's attribute: same rule, and checkable at synth time.
      ec2.Peer.ipv4(props.vpcCidr),
      ec2.Port.tcp(443),
      'HTTPS from inside the VPC',
    );

    const interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      // The functions publish their business events to EventBridge.
      Events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
      // The services' trace collectors send segments to X-Ray.
      Xray: ec2.InterfaceVpcEndpointAwsService.XRAY,
      // The synthetic canary, which runs in the VPC, publishes its metrics to CloudWatch.
      Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
      ...(props.kubernetes
        ? {
            Eks: ec2.InterfaceVpcEndpointAwsService.EKS,
            EksAuth: ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
            Ec2: ec2.InterfaceVpcEndpointAwsService.EC2,
          }
        : {}),
      ...(props.ec2
        ? {
            SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
            Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
            CodeDeploy: ec2.InterfaceVpcEndpointAwsService.CODEDEPLOY,
            CodeDeployCommands: ec2.InterfaceVpcEndpointAwsService.CODEDEPLOY_COMMANDS_SECURE,
            CloudFormation: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION,
          }
        : {}),
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: { subnetGroupName: SubnetGroup.PRIVATE },
        securityGroups: [this.endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
