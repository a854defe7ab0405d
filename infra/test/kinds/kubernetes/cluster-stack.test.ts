import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CLUSTER_STACK_ID, Naming } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { KubernetesClusterStack } from '../../../lib/kinds/kubernetes/cluster-stack';
import { cdkContext, loadProject } from '../../../lib/config/project';
import { EnvironmentStage } from '../../../lib/environment-stage';
import { SubnetGroup } from '../../../lib/constructs/network';
import { environmentConfig } from '../../support/stages';

function clusterTemplate(envName: string, access: { viewers?: string[]; administrators?: string[] } = {}) {
  const config = environmentConfig(envName);
  const app = new App();
  const env = { account: '123456789012', region: 'ap-northeast-1' };
  const base = new Stack(app, 'Base', { env });
  const vpc = new ec2.Vpc(base, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: SubnetGroup.PRIVATE, subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const key = new kms.Key(base, 'Key');
  const stack = new KubernetesClusterStack(app, 'Eks', {
    env,
    config,
    naming: new Naming(config.prefix, config.name),
    vpc,
    encryptionKey: key,
    ...access,
  });
  return { template: Template.fromStack(stack), base: Template.fromStack(base), config };
}

describe('the environment’s EKS cluster', () => {
  it('is an Auto Mode cluster with a private endpoint only, secrets encrypted, control plane logged, access by entries', () => {
    const { template, config } = clusterTemplate('dev');
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Name: `${config.prefix}-dev-eks`,
      Version: '1.33',
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
      ComputeConfig: Match.objectLike({ Enabled: true, NodePools: ['system', 'general-purpose'] }),
      AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false },
      Logging: {
        ClusterLogging: { EnabledTypes: [{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }] },
      },
    });
    template.resourceCountIs('AWS::EKS::Nodegroup', 0);
  });

  it('runs prod’s pods on a managed node group of the profile’s size, keeping Auto Mode’s system pool for the add-ons', () => {
    const { template, config } = clusterTemplate('prod');
    const capacity = config.profile.kubernetes.capacity;
    expect(capacity.type).toBe('nodes');
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ComputeConfig: Match.objectLike({ NodePools: ['system'] }),
    });
    if (capacity.type === 'nodes') {
      template.hasResourceProperties('AWS::EKS::Nodegroup', {
        InstanceTypes: [capacity.instanceType],
        ScalingConfig: {
          MinSize: capacity.minSize,
          MaxSize: capacity.maxSize,
          DesiredSize: capacity.desiredSize,
        },
      });
    }
  });

  it('installs the secrets provider and Container Insights, whose agent writes as its own Pod Identity role', () => {
    const { template, config } = clusterTemplate('dev');
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'aws-secrets-store-csi-driver-provider' });
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'amazon-cloudwatch-observability' });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'amazon-cloudwatch',
      ServiceAccount: 'cloudwatch-agent',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `${config.prefix}-dev-eks-cloudwatch-agent`,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: { Service: 'pods.eks.amazonaws.com' },
          }),
        ],
      },
    });
  });

  it('owns its log groups, so that cdk destroy removes them', () => {
    const { template, config } = clusterTemplate('dev');
    const cluster = `${config.prefix}-dev-eks`;
    for (const name of [
      `/aws/eks/${cluster}/cluster`,
      `/aws/containerinsights/${cluster}/application`,
      `/aws/containerinsights/${cluster}/dataplane`,
      `/aws/containerinsights/${cluster}/performance`,
    ]) {
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: Match.objectLike({
          LogGroupName: name,
          RetentionInDays: config.profile.logRetentionDays,
        }),
        DeletionPolicy: 'Delete',
      });
    }
  });

  it('gives the persona roles access entries: view, or cluster admin', () => {
    const viewer = 'arn:aws:iam::123456789012:role/ias-dev-read-only';
    const admin = 'arn:aws:iam::123456789012:role/ias-dev-platform-admin';
    const { template } = clusterTemplate('dev', { viewers: [viewer], administrators: [admin] });
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')).map((e) =>
      JSON.stringify(e.Properties),
    );
    expect(entries).toHaveLength(2);
    for (const [principal, policy] of [
      [viewer, 'AmazonEKSViewPolicy"'],
      [admin, 'AmazonEKSClusterAdminPolicy"'],
    ] as const) {
      const entry = entries.find((e) => e.includes(principal)) ?? '';
      expect(entry).toContain(policy);
      expect(entry).toContain('"AccessScope":{"Type":"cluster"}');
    }
  });

  it('tags the subnets for Auto Mode’s load balancers: internet-facing in public ones, internal in private ones', () => {
    const { base } = clusterTemplate('dev');
    const subnets = Object.values(base.findResources('AWS::EC2::Subnet')).map(
      (s) => (s.Properties as { Tags: { Key: string; Value: string }[] }).Tags,
    );
    const tagged = (key: string) =>
      subnets.filter((tags) => tags.some((t) => t.Key === key && t.Value === '1'));
    expect(tagged('kubernetes.io/role/elb')).toHaveLength(2);
    expect(tagged('kubernetes.io/role/internal-elb')).toHaveLength(2);
  });
});

describe('the cluster’s access entries for the environment’s persona roles (governance on)', () => {
  it('lets the developer administer dev’s cluster, and no one else in', () => {
    const project = loadProject({});
    const governance = {
      enabled: true,
      personas: { developer: { trustedPrincipal: '111111111111', environments: ['dev'] } },
    } as never;
    const stage = new EnvironmentStage(new App({ context: cdkContext() }), `${project.prefix}-dev`, {
      config: environmentConfig('dev', project.prefix),
      ...project,
      governance,
    });
    const eks = Template.fromStack(stage.node.findChild(CLUSTER_STACK_ID) as Stack);
    const entries = Object.values(eks.findResources('AWS::EKS::AccessEntry')).map((e) =>
      JSON.stringify(e.Properties),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toContain(`:role/${project.prefix}-dev-developer"`);
    expect(entries[0]).toContain('AmazonEKSClusterAdminPolicy"');
  }, 120_000);
});
