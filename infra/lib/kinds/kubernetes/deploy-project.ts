import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import type { DeployFile } from '@ias/delivery';
import { KUBERNETES_EXPORTED_VARIABLES, ledgerTableName, type KubernetesTarget } from '@ias/targets';
import { SubnetGroup } from '../../constructs/network';
import { deliveryBundle } from '../../constructs/delivery-bundle';
import { projectLogAcknowledgements } from '../../pipelines/pipeline-parts';

/** The deploy CLI of the delivery workspace, bundled (with the AWS SDK) into the project's source. */
const DEPLOY_CLI = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'delivery',
  'src',
  'kinds',
  'kubernetes',
  'deploy-cli.ts',
);

/** Props of {@link KubernetesDeployProject}. */
export interface KubernetesDeployProjectProps {
  readonly target: KubernetesTarget;
  /** What it deploys: written into its source as `deploy.json`. */
  readonly deployFile: DeployFile;
  readonly cluster: eks.ICluster;
  readonly vpc: ec2.IVpc;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
  /** Longest a deploy may run: the rollout, the tests, every bake and the old color's retention. */
  readonly timeout: Duration;
}

/**
 * The CodeBuild project `<prefix>-<env>-<app>-k8s-deploy` that deploys and switches a Kubernetes
 * application from inside the VPC (the cluster's endpoint is private): the pipelines' steps, the
 * GitHub workflows and `ias-ops` start it with `ACTION` (`deploy` with `IMAGE`, or `switch-back`
 * with `TO`) and read its exported variables `RESULT`, `COLOR`, `IMAGE`, `REVISION` and `REASON`.
 * Its source is the delivery workspace's deploy CLI, bundled at synth, and the deploy file; it talks
 * to the cluster as its own role, which an access entry admits. Where the deploy file has the canary
 * judge, the role also reads the color target groups' load balancer and metrics, and keeps each look
 * in the environment's release ledger table (its `canary#` items only).
 */
export class KubernetesDeployProject extends Construct {
  readonly project: codebuild.Project;

  constructor(scope: Construct, id: string, props: KubernetesDeployProjectProps) {
    super(scope, id);
    const { target } = props;
    const stack = Stack.of(this);
    const source = mkdtempSync(join(tmpdir(), 'ias-k8s-deploy-'));
    cpSync(deliveryBundle(DEPLOY_CLI, { withAwsSdk: true }), source, { recursive: true });
    writeFileSync(join(source, 'deploy.json'), `${JSON.stringify(props.deployFile, null, 2)}\n`);
    const asset = new s3assets.Asset(this, 'Source', { path: source });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/codebuild/${target.deployProject}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${target.deployProject}: HTTPS to the Kubernetes API and the AWS endpoints`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'HTTPS in the VPC');
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and the AWS APIs');
    // The control plane's interfaces carry the cluster security group.
    new ec2.CfnSecurityGroupIngress(this, 'ClusterFromProject', {
      groupId: props.cluster.clusterSecurityGroupId,
      sourceSecurityGroupId: securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: `The Kubernetes API from ${target.deployProject}`,
    });

    const exported = KUBERNETES_EXPORTED_VARIABLES.map(
      (v) => `${v}=$(node -p "String(require('./result.json').${v.toLowerCase()} ?? '')" 2>/dev/null)`,
    );
    this.project = new codebuild.Project(this, 'Project', {
      projectName: target.deployProject,
      description: `${target.app} on ${target.clusterName}: deploys the given image to the new color and switches to it, or switches back`,
      source: codebuild.Source.s3({ bucket: asset.bucket, path: asset.s3ObjectKey }),
      vpc: props.vpc,
      subnetSelection: { subnetGroupName: SubnetGroup.PRIVATE },
      securityGroups: [securityGroup],
      encryptionKey: props.encryptionKey,
      timeout: props.timeout,
      environment: {
        buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
        computeType: codebuild.ComputeType.SMALL,
      },
      environmentVariables: {
        ACTION: { value: 'deploy' },
        ENVIRONMENT: { value: target.environment },
        APP: { value: target.app },
        IMAGE: { value: '' },
        TO: { value: '' },
      },
      logging: { cloudWatch: { logGroup } },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash', 'exported-variables': [...KUBERNETES_EXPORTED_VARIABLES] },
        phases: {
          install: { 'runtime-versions': { nodejs: 20 } },
          build: {
            commands: [
              // The outcome is in result.json and the exit code: both survive to the last command.
              'set +e; node index.js "$ACTION" --env "$ENVIRONMENT" --app "$APP" --target-file deploy.json --result-file result.json ${IMAGE:+--image "$IMAGE"} ${TO:+--to "$TO"}; echo $? > exit-code; set -e',
              ...exported,
              // A deploy that reached an outcome (succeeded, failed, rolled back) ends the build
              // successfully so that CodeBuild exports RESULT, which carries it; the CLI's own failure
              // to run (bad input, no cluster) fails the build with its exit code.
              'if [ -s result.json ]; then exit 0; else exit "$(cat exit-code)"; fi',
            ],
          },
        },
      }),
    });
    const role = this.project.role as iam.IRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [props.cluster.clusterArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: props.deployFile.alarms.map((a) =>
          stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: a,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameters'],
        resources: Object.values(props.deployFile.parameters).map((p) =>
          stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: p.replace(/^\//, '') }),
        ),
      }),
    );
    if (props.deployFile.canary) this.grantCanaryJudge(role, props.deployFile);
    // Creating the namespace and the IngressClass (cluster-scoped) needs more than a namespace's editor.
    // The canary judge's `list` of the TargetGroupBindings (elbv2.k8s.aws) in the application's
    // namespace is within it too: the policy is cluster-admin's, every verb on every resource.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html#access-policy-permissions-amazoneksclusteradminpolicy
    // In this stack, not the cluster's (whose stack this one depends on).
    new eks.AccessEntry(this, 'DeployAccess', {
      cluster: props.cluster,
      principal: role.roleArn,
      accessPolicies: [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', {
          accessScopeType: eks.AccessScopeType.CLUSTER,
        }),
      ],
    });
    const acks = [
      ...projectLogAcknowledgements(stack, this.project),
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: "aws-cdk-lib's read grant on the project's source, an asset in the CDK bootstrap bucket",
      })),
      ...['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: "aws-cdk-lib's grant on the environment key, which encrypts the project's logs and artifacts",
      })),
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
        reason: "CodeBuild's network interfaces in the VPC, which it names when it creates them",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: props.deployFile.canary
          ? "CodeBuild in a VPC describes subnets, security groups and network interfaces, and the canary judge reads the load balancer's metrics (cloudwatch:GetMetricData) and finds it from the color target groups (elasticloadbalancing:DescribeTargetGroups): AWS scopes none of these actions to a resource"
          : 'CodeBuild in a VPC describes subnets, security groups and network interfaces, which AWS does not scope',
      },
    ];
    Validations.of(this.project).acknowledge(...acks);
    Validations.of(role).acknowledge(...acks);
  }

  /**
   * What the canary judge of a weighted switch needs (delivery's target-groups.ts and
   * canary-evidence.ts): the color target groups' load balancer and both sides' metrics, neither of
   * which IAM scopes to a resource, and putting each look in the environment's release ledger table,
   * its `canary#<build>` items only (never a release). The table is named, as the pipelines name it
   * (`ReleaseLedger.recordStatements`): it is in the environment's deployment stack, which this one
   * does not follow; its key, the environment's, is the project's own.
   *
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
   * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
   */
  private grantCanaryJudge(role: iam.IRole, deployFile: DeployFile): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:GetMetricData', 'elasticloadbalancing:DescribeTargetGroups'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [
          stack.formatArn({
            service: 'dynamodb',
            resource: 'table',
            resourceName: ledgerTableName(deployFile.input.prefix, deployFile.environment),
          }),
        ],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['canary#*'] } },
      }),
    );
  }
}
