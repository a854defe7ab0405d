import { RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { KubernetesProfile } from '../../config/kubernetes-profile-schema';

/** The Kubernetes versions of the profile, as aws-eks-v2 names them. */
const VERSIONS: Readonly<Record<KubernetesProfile['version'], eks.KubernetesVersion>> = {
  '1.33': eks.KubernetesVersion.V1_33,
};

/** The control plane logs EKS sends to CloudWatch Logs. */
const CONTROL_PLANE_LOGS = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
];

/**
 * The EKS add-ons the platform's applications need, by name.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html
 */
export const CLUSTER_ADDONS = {
  /** The Secrets Store CSI driver with the AWS provider (ASCP): secrets mounted as files. */
  secretsProvider: 'aws-secrets-store-csi-driver-provider',
  /** The CloudWatch agent and Fluent Bit: Container Insights metrics and the pods' logs. */
  observability: 'amazon-cloudwatch-observability',
} as const;

/** The namespace and service account of the CloudWatch observability add-on's agent. */
const CLOUDWATCH_AGENT = { namespace: 'amazon-cloudwatch', serviceAccount: 'cloudwatch-agent' } as const;

/** Props of {@link EksCluster}. */
export interface EksClusterProps {
  /** `<prefix>-<env>-eks`. */
  readonly clusterName: string;
  readonly profile: KubernetesProfile;
  readonly vpc: ec2.IVpc;
  /** The private subnets the nodes, the pods and the control plane's interfaces use. */
  readonly subnets: ec2.SubnetSelection;
  /** Encrypts the cluster's Kubernetes secrets and its log groups. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Keep the log groups on `cdk destroy`. */
  readonly retainData: boolean;
  /** The environment's persona roles that may read or administer the cluster (access entries). */
  readonly viewers: readonly string[];
  readonly administrators: readonly string[];
}

/**
 * The environment's EKS cluster (seed 004 §4.1): EKS Auto Mode, whose AWS-operated components run
 * the AWS Load Balancer Controller (an Ingress makes an Application Load Balancer) and the Pod
 * Identity agent; pods on Auto Mode's own node pools, or on a managed node group of the profile's
 * size. The API endpoint is private: only what runs in the VPC reaches it (the deploy projects).
 * Access by access entries only (no `aws-auth`): the persona roles, and each application's deploy
 * project (granted by its stack). Its log groups are created here, so `cdk destroy` removes them.
 */
export class EksCluster extends Construct {
  readonly cluster: eks.Cluster;
  /** Where Container Insights sends the pods' stdout and stderr (`/aws/containerinsights/<cluster>/application`). */
  readonly applicationLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const { profile, clusterName } = props;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logGroup = (logId: string, logGroupName: string) =>
      new logs.LogGroup(this, logId, {
        logGroupName,
        retention: props.logRetention,
        encryptionKey: props.encryptionKey,
        removalPolicy,
      });
    // EKS and the CloudWatch agent would create these on first use, out of CloudFormation's reach.
    const controlPlaneLogs = logGroup('ControlPlaneLogs', `/aws/eks/${clusterName}/cluster`);
    this.applicationLogs = logGroup('ApplicationLogs', `/aws/containerinsights/${clusterName}/application`);
    const dataplaneLogs = logGroup('DataplaneLogs', `/aws/containerinsights/${clusterName}/dataplane`);
    const performanceLogs = logGroup('PerformanceLogs', `/aws/containerinsights/${clusterName}/performance`);

    const nodes = profile.capacity.type === 'nodes' ? profile.capacity : undefined;
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      version: VERSIONS[profile.version],
      vpc: props.vpc,
      vpcSubnets: [props.subnets],
      endpointAccess: eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: props.encryptionKey,
      clusterLogging: CONTROL_PLANE_LOGS,
      defaultCapacityType: eks.DefaultCapacityType.AUTOMODE,
      // Auto Mode's system pool always (the add-ons run there); its general-purpose pool only where
      // no node group of the profile's holds the applications.
      compute: { nodePools: nodes ? ['system'] : ['system', 'general-purpose'] },
      // Access entries only; the deploying identity gets no standing admin access.
      bootstrapClusterCreatorAdminPermissions: false,
    });
    this.cluster.node.addDependency(controlPlaneLogs);
    if (nodes) {
      // Auto Mode brings its networking, DNS and Pod Identity agent to its own nodes only: a managed
      // node group needs them as add-ons.
      for (const [addonId, addonName] of [
        ['VpcCni', 'vpc-cni'],
        ['KubeProxy', 'kube-proxy'],
        ['CoreDns', 'coredns'],
        ['PodIdentityAgent', 'eks-pod-identity-agent'],
      ] as const) {
        new eks.Addon(this, addonId, { cluster: this.cluster, addonName });
      }
      this.cluster.addNodegroupCapacity('Nodes', {
        nodegroupName: `${clusterName}-nodes`,
        instanceTypes: [new ec2.InstanceType(nodes.instanceType)],
        minSize: nodes.minSize,
        maxSize: nodes.maxSize,
        desiredSize: nodes.desiredSize,
        subnets: props.subnets,
      });
    }

    new eks.Addon(this, 'SecretsProvider', {
      cluster: this.cluster,
      addonName: CLUSTER_ADDONS.secretsProvider,
      // The driver rewrites a mounted secret when Secrets Manager rotates it (every 2 minutes it looks),
      // so that the pods' next connection uses the new login without a restart.
      configurationValues: {
        'secrets-store-csi-driver': { enableSecretRotation: true, rotationPollInterval: '120s' },
      },
    });

    // Container Insights: the agent writes metrics and logs as its own Pod Identity role.
    const agentRole = new iam.Role(this, 'CloudWatchAgentRole', {
      roleName: `${clusterName}-cloudwatch-agent`,
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: `${clusterName}: the CloudWatch agent and Fluent Bit of Container Insights`,
    });
    agentRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.applicationLogs, dataplaneLogs, performanceLogs].map(
          (g) => `${g.logGroupArn}:log-stream:*`,
        ),
      }),
    );
    agentRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'ContainerInsights' } },
      }),
    );
    // The log groups are encrypted by CloudWatch Logs itself (the key policy lets it): no key grant here.
    const observability = new eks.Addon(this, 'Observability', {
      cluster: this.cluster,
      addonName: CLUSTER_ADDONS.observability,
    });
    const association = new eks.CfnPodIdentityAssociation(this, 'CloudWatchAgentIdentity', {
      clusterName: this.cluster.clusterName,
      namespace: CLOUDWATCH_AGENT.namespace,
      serviceAccount: CLOUDWATCH_AGENT.serviceAccount,
      roleArn: agentRole.roleArn,
    });
    observability.node.addDependency(association);

    const grant = (grantId: string, principal: string, policy: string) =>
      this.cluster.grantAccess(grantId, principal, [
        eks.AccessPolicy.fromAccessPolicyName(policy, { accessScopeType: eks.AccessScopeType.CLUSTER }),
      ]);
    props.viewers.forEach((arn, i) => grant(`Viewer${i}`, arn, 'AmazonEKSViewPolicy'));
    props.administrators.forEach((arn, i) => grant(`Administrator${i}`, arn, 'AmazonEKSClusterAdminPolicy'));

    this.acknowledge(agentRole, [this.applicationLogs, dataplaneLogs, performanceLogs]);

    // Where Auto Mode's load balancer controller puts internet-facing and internal load balancers.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/tag-subnets-auto.html
    for (const subnet of props.vpc.publicSubnets) Tags.of(subnet).add('kubernetes.io/role/elb', '1');
    for (const subnet of props.vpc.selectSubnets(props.subnets).subnets) {
      Tags.of(subnet).add('kubernetes.io/role/internal-elb', '1');
    }
  }

  /** The policy-gate findings of what EKS itself requires, each with its reason. */
  private acknowledge(agentRole: iam.Role, agentLogs: readonly logs.LogGroup[]): void {
    const managed = (policy: string) =>
      `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`;
    Validations.of(this.cluster).acknowledge(
      ...[
        'AmazonEKSClusterPolicy',
        'AmazonEKSComputePolicy',
        'AmazonEKSBlockStoragePolicy',
        'AmazonEKSLoadBalancingPolicy',
        'AmazonEKSNetworkingPolicy',
      ].map((policy) => ({
        id: managed(policy),
        reason:
          'EKS Auto Mode requires its cluster role to carry these AWS managed policies, which AWS maintains with the service',
      })),
      ...[
        'AmazonEKSWorkerNodePolicy',
        'AmazonEC2ContainerRegistryReadOnly',
        'AmazonEKS_CNI_Policy',
        'AmazonEKSWorkerNodeMinimalPolicy',
        'AmazonEC2ContainerRegistryPullOnly',
      ].map((policy) => ({
        id: managed(policy),
        reason:
          'The nodes (Auto Mode node pools, the managed node group) need the AWS managed node policies EKS documents for them',
      })),
      {
        id: 'cdk-validator-cfnguard::eks_secrets_encrypted_check',
        reason:
          "Secrets are encrypted with the environment key (EncryptionConfig: resources secrets, Provider.KeyArn), whose ARN comes from the foundation stack's output, which the rule cannot read",
      },
      {
        id: 'CloudFormation-Validate::W9009',
        reason:
          "aws-eks-v2 writes EncryptionConfig's Resources: ['secrets'], the only value EKS takes, which the resource schema now marks deprecated",
      },
      {
        id: 'Annotation::@aws-cdk/aws-eks:isolatedSubnetsForKubectlPrivateSubnets',
        reason:
          'No kubectl provider runs here: the deploy projects reach the private endpoint from the VPC, and the subnets have no NAT by design where the profile says so',
      },
    );
    Validations.of(agentRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:PutMetricData takes no resource; it is conditioned on the ContainerInsights namespace',
      },
      ...agentLogs.map((g) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(g.node.defaultChild as logs.CfnLogGroup)}.Arn>:log-stream:*]`,
        reason: 'The log streams Fluent Bit creates per node and pod in the Container Insights log groups',
      })),
    );
  }
}
