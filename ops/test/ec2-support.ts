/**
 * Stubs of an EC2 application's CodeDeploy group (compute platform Server) and of the release ledger,
 * for the kind's tests: the group inventory-api-ec2-group of an environment, its deployments (each
 * installing an S3 revision), its target group, and releases that record which revision the fleet ran.
 */
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { prefix, type stubbedAws } from './helpers';

type Aws = ReturnType<typeof stubbedAws>;

/** CodeDeploy's statuses of a deployment in flight. */
export const IN_FLIGHT: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

/** The names of inventory-api's fleet in `env`. */
export const names = (env = 'dev') => ({
  application: `${prefix}-${env}-inventory-api-ec2-app`,
  deploymentGroup: `${prefix}-${env}-inventory-api-ec2-group`,
  autoScalingGroup: `${prefix}-${env}-inventory-api-ec2`,
  targetGroup: `${prefix}-${env}-inventory-api-ec2`,
  healthAlarm: `${prefix}-${env}-inventory-api-ec2-health`,
});

/** Revision `n` of the application's bundle, as CodeDeploy's s3Location and the ledger name it. */
export const revision = (n: number) => ({
  bucket: `${prefix}-artifacts`,
  key: `inventory-api/bundle-${n}.zip`,
  bundleType: 'zip' as const,
  version: `v${n}`,
  eTag: `etag-${n}`,
});

/** A deployment of the group in `env` installing revision `n`, created on day `day` of December 2026. */
export function deployment(
  id: string,
  status: DeploymentStatus,
  n: number,
  day: number,
  more: Partial<DeploymentInfo> = {},
  env = 'dev',
): DeploymentInfo {
  const { application, deploymentGroup } = names(env);
  return {
    deploymentId: id,
    applicationName: application,
    deploymentGroupName: deploymentGroup,
    status,
    createTime: new Date(`2026-12-${String(day).padStart(2, '0')}T00:00:00Z`),
    computePlatform: 'Server',
    revision: { revisionType: 'S3', s3Location: revision(n) },
    ...more,
  };
}

/**
 * The group as GetDeploymentGroup describes it: its Auto Scaling groups (by default the stack's, or
 * CodeDeploy's copy after a blue/green deployment), its last deployments and its target group.
 */
export function group(
  aws: Aws,
  info: Partial<DeploymentGroupInfo> & {
    lastSuccessful?: DeploymentInfo;
    lastAttempted?: DeploymentInfo;
  } = {},
  env = 'dev',
): void {
  const n = names(env);
  const last = (d: DeploymentInfo | undefined) =>
    d && {
      deploymentId: d.deploymentId,
      status: d.status,
      createTime: d.createTime,
      endTime: d.completeTime,
    };
  const { lastSuccessful, lastAttempted, ...rest } = info;
  aws.mocks.codedeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      applicationName: n.application,
      deploymentGroupName: n.deploymentGroup,
      computePlatform: 'Server',
      deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      autoScalingGroups: [{ name: n.autoScalingGroup }],
      loadBalancerInfo: { targetGroupInfoList: [{ name: n.targetGroup }] },
      lastSuccessfulDeployment: last(lastSuccessful),
      lastAttemptedDeployment: last(lastAttempted ?? lastSuccessful),
      ...rest,
    },
  });
}

/**
 * The group's deployments: GetDeployment describes each of `known` by ID; ListDeployments lists those
 * in flight (none unless given) and, of `listed` (`known` unless given), those that succeeded, the
 * newest first. Another group's ListDeployments lists none.
 */
export function deployments(
  aws: Aws,
  known: readonly DeploymentInfo[],
  inFlight: readonly string[] = [],
  listed: readonly DeploymentInfo[] = known,
): void {
  aws.mocks.codedeploy.on(GetDeploymentCommand).callsFake(async (input: { deploymentId: string }) => ({
    deploymentInfo: known.find((d) => d.deploymentId === input.deploymentId),
  }));
  aws.mocks.codedeploy
    .on(ListDeploymentsCommand)
    .callsFake(async (input: { includeOnlyStatuses?: string[]; applicationName?: string }) => {
      if (!input.applicationName?.endsWith('-ec2-app')) return { deployments: [] };
      if (input.includeOnlyStatuses?.includes('InProgress')) return { deployments: [...inFlight] };
      const succeeded = input.includeOnlyStatuses?.includes('Succeeded') === true;
      return {
        deployments: [...listed]
          .filter((d) => !succeeded || d.status === 'Succeeded')
          .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))
          .map((d) => d.deploymentId ?? ''),
      };
    });
}

/**
 * CreateDeployment starts `created`, which GetDeployment then describes as it is (the others of
 * `known` as they are; only those are listed); StopDeployment answers.
 */
export function creates(
  aws: Aws,
  created: DeploymentInfo,
  known: readonly DeploymentInfo[],
  inFlight: readonly string[] = [],
): void {
  deployments(aws, [...known, created], inFlight, known);
  aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: created.deploymentId });
  aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
}

/** The group's target group and its instances' health. */
export function targets(aws: Aws, health: TargetHealthDescription[], env = 'dev'): void {
  const arn = `arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/${names(env).targetGroup}/0123456789abcdef`;
  aws.mocks.elbv2
    .on(DescribeTargetGroupsCommand)
    .resolves({ TargetGroups: [{ TargetGroupArn: arn, TargetGroupName: names(env).targetGroup }] });
  aws.mocks.elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: health });
}

/** A release of dev's ledger recording which revision inventory-api's fleet ran (by deployment `id`). */
export function release(number: number, fleet: { id: string; n: number } | undefined) {
  const body = {
    number,
    at: `2026-12-${String(number).padStart(2, '0')}T00:00:00.000Z`,
    by: 'CodePipeline job 1',
    source: 'pipeline',
    summary: `release ${number}`,
    functions: {},
    services: {},
    ...(fleet
      ? { fleets: { 'inventory-api': { deploymentId: fleet.id, revision: revision(fleet.n) } } }
      : {}),
    parameters: {},
    secrets: {},
  };
  return { pk: { S: 'release' }, number: { N: String(number) }, release: { S: JSON.stringify(body) } };
}

/** The ledger holds these releases (newest first) and takes the next; the recording's reads answer. */
export function ledger(aws: Aws, ...items: ReturnType<typeof release>[]): void {
  aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: items });
  aws.mocks.dynamodb.on(PutItemCommand).resolves({});
  aws.mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Arn: 'arn:aws:iam::123456789012:user/ops', Account: '123456789012' });
  aws.mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
}

/** The releases the run wrote, as JSON. */
export function written(aws: Aws): Record<string, unknown>[] {
  return aws.mocks.dynamodb
    .commandCalls(PutItemCommand)
    .map((c) => JSON.parse(c.args[0].input.Item?.release?.S ?? '{}') as Record<string, unknown>);
}

/** The CreateDeployment inputs of the run. */
export function created(aws: Aws): unknown[] {
  return aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input);
}
