import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { placement, SubnetGroup } from '../../lib/constructs/network';
import { stageTemplates } from '../support/stages';

const dev = stageTemplates('dev');
const prod = stageTemplates('prod');

describe('network stack', () => {
  it('is named <prefix>-<env>-network and uses the profile CIDR', () => {
    expect(dev.stage.network.stackName).toBe('ias-dev-network');
    dev.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.10.0.0/16' });
    prod.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.30.0.0/16' });
  });

  it('has public, private and isolated subnets in every AZ of the profile', () => {
    dev.network.resourceCountIs('AWS::EC2::Subnet', 6);
    prod.network.resourceCountIs('AWS::EC2::Subnet', 9);
    for (const az of ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']) {
      prod.network.hasResourceProperties('AWS::EC2::Subnet', {
        AvailabilityZone: az,
        MapPublicIpOnLaunch: false,
      });
    }
  });

  it('gives dev no NAT gateway (private subnets reach AWS through endpoints) and prod one per AZ', () => {
    dev.network.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev.network.resourceCountIs('AWS::EC2::Route', 2); // only the public subnets' internet routes
    prod.network.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('has gateway endpoints for S3 and DynamoDB', () => {
    for (const service of ['.s3', '.dynamodb']) {
      dev.network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, service]] },
      });
    }
  });

  it.each([
    'ecr.api',
    'ecr.dkr',
    'logs',
    'ssm',
    'secretsmanager',
    'kms',
    'sts',
    'events',
    'xray',
    'monitoring',
  ])('has a private-DNS interface endpoint for %s', (service) => {
    dev.network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: `com.amazonaws.ap-northeast-1.${service}`,
      PrivateDnsEnabled: true,
    });
  });

  it('opens the endpoints to HTTPS from the VPC only', () => {
    dev.network.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface VPC endpoints: HTTPS from inside the VPC',
      SecurityGroupIngress: [
        {
          CidrIp: '10.10.0.0/16',
          FromPort: 443,
          ToPort: 443,
          IpProtocol: 'tcp',
          Description: Match.anyValue(),
        },
      ],
    });
  });

  it('lets the workloads out on HTTPS only (database rules are added by the data stack)', () => {
    dev.network.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'ias-dev: Lambda functions and Fargate tasks',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  it('sends all VPC flow logs to an encrypted, prefixed log group with the profile retention', () => {
    dev.network.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
    dev.network.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: 'ias-dev-vpc-flow-logs',
        RetentionInDays: 7,
        KmsKeyId: Match.anyValue(),
        Tags: Match.anyValue(),
      },
      DeletionPolicy: 'Delete',
    });
    prod.network.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: 'ias-prod-vpc-flow-logs', RetentionInDays: 365 }),
      DeletionPolicy: 'Retain',
    });
  });

  it('owns the log group Container Insights writes to, before the cluster exists', () => {
    dev.network.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({
        LogGroupName: '/aws/ecs/containerinsights/ias-dev-cluster/performance',
        RetentionInDays: 7,
        KmsKeyId: Match.anyValue(),
      }),
      DeletionPolicy: 'Delete',
    });
    const [cluster] = Object.values(dev.network.findResources('AWS::ECS::Cluster'));
    expect(cluster?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ContainerInsightsLogs/)]),
    );
  });

  it('keeps the logical ID of the VPC (renaming it would replace the network)', () => {
    expect(Object.keys(dev.network.findResources('AWS::EC2::VPC'))).toEqual(['NetworkVpc7FB7348F']);
  });

  it('places a resource in one tier by subnet group name, behind the security groups given', () => {
    const group = dev.stage.network.appSecurityGroup;
    expect(placement(SubnetGroup.PRIVATE, group)).toEqual({
      vpcSubnets: { subnetGroupName: 'private' },
      securityGroups: [group],
    });
  });
});
