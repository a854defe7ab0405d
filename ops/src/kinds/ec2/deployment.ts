/**
 * CodeDeploy on an EC2 application's fleet (compute platform Server): its deployment group, the S3
 * revision a deployment installs, and a deployment of a revision, followed to its end. `status`,
 * `deploy ec2`, `ec2 rollback` and `rollback --release N` use it.
 *
 * @see https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html
 * @see https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
 */
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import type { Ec2DeploymentSettings } from '@ias/targets';
import { planned, type AwsClients, type PlannedCall } from '../../context';
import { hasErrorName } from '../../errors';
import { follow, type FollowOptions } from '../../follow';
import type { FleetEntry, FleetGroup, FleetRevision } from './revision';

export * from './revision';

/** GetDeploymentGroup of the fleet's group. */
export function getDeploymentGroup(group: FleetGroup): GetDeploymentGroupCommand {
  return new GetDeploymentGroupCommand({
    applicationName: group.application,
    deploymentGroupName: group.deploymentGroup,
  });
}

/** ListDeployments of the group's deployments that succeeded (the newest first). */
export function listSucceeded(group: FleetGroup, nextToken?: string): ListDeploymentsCommand {
  return new ListDeploymentsCommand({
    applicationName: group.application,
    deploymentGroupName: group.deploymentGroup,
    includeOnlyStatuses: ['Succeeded'],
    ...(nextToken !== undefined ? { nextToken } : {}),
  });
}

/** CreateDeployment of `revision` to the fleet's group (its configuration, alarms and rollback settings). */
export function createFleetDeployment(
  group: FleetGroup,
  revision: FleetRevision,
  description: string,
): CreateDeploymentCommand {
  const { bucket, key, bundleType, version, eTag } = revision;
  return new CreateDeploymentCommand({
    applicationName: group.application,
    deploymentGroupName: group.deploymentGroup,
    description,
    revision: {
      revisionType: 'S3',
      s3Location: {
        bucket,
        key,
        bundleType,
        ...(version !== undefined ? { version } : {}),
        ...(eTag !== undefined ? { eTag } : {}),
      },
    },
  });
}

/**
 * The group as CodeDeploy describes it, or undefined when its application or group does not exist
 * (the application's stack is not deployed).
 */
export async function readDeploymentGroup(
  aws: AwsClients,
  group: FleetGroup,
): Promise<DeploymentGroupInfo | undefined> {
  try {
    return (await aws.codedeploy.send(getDeploymentGroup(group))).deploymentGroupInfo ?? {};
  } catch (err) {
    if (hasErrorName(err, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException')) {
      return undefined;
    }
    throw err;
  }
}

/** A deployment as GetDeployment describes it. */
export async function readDeployment(aws: AwsClients, deploymentId: string): Promise<DeploymentInfo> {
  return (await aws.codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo ?? {};
}

/** Minutes CodeDeploy may take to install a revision on every instance and pass its hooks, batch by batch. */
const INSTALL_MINUTES = 60;

/** Minutes CodeDeploy may take to copy the Auto Scaling group (blue/green) and launch its instances. */
const PROVISION_MINUTES = 20;

/**
 * How long a fleet deployment is followed, in ms: until it succeeds, or, blue/green, until the green
 * fleet serves (the blue one is then kept for the profile's wait, which is not waited for).
 */
export function fleetFollowMs(settings: Ec2DeploymentSettings): number {
  const minutes = INSTALL_MINUTES + (settings.style === 'blue-green' ? PROVISION_MINUTES : 0);
  return minutes * 60_000;
}

/**
 * Where a fleet deployment is: `running`; `serving` once a blue/green deployment has moved the load
 * balancer to the green fleet and keeps the blue one for its wait; `succeeded`; `rolled-back` when it
 * failed or was stopped and CodeDeploy put the last good revision (or the blue fleet) back; `failed`.
 */
export interface FleetDeploymentState {
  readonly deploymentId: string;
  readonly status: 'running' | 'serving' | 'succeeded' | 'rolled-back' | 'failed';
  /** One line for a person. */
  readonly summary: string;
}

/** A deployment's state, from GetDeployment. */
export function fleetStateOf(deploymentId: string, info: DeploymentInfo): FleetDeploymentState {
  const counts = instanceCounts(info);
  const instances = counts.length > 0 ? `; instances: ${counts.join(', ')}` : '';
  switch (info.status) {
    case 'Succeeded':
      return {
        deploymentId,
        status: 'succeeded',
        summary: `deployment ${deploymentId} succeeded${instances}`,
      };
    case 'Failed':
    case 'Stopped': {
      const error = info.errorInformation;
      const cause = error ? ` (${[error.code, error.message].filter(Boolean).join(': ')})` : '';
      const back = info.rollbackInfo?.rollbackDeploymentId;
      return {
        deploymentId,
        status: back !== undefined ? 'rolled-back' : 'failed',
        summary: `deployment ${deploymentId} ${info.status === 'Stopped' ? 'was stopped' : 'failed'}${cause}${back !== undefined ? `; rolled back by ${back}` : ''}${instances}`,
      };
    }
    default:
      if (info.status === 'InProgress' && info.instanceTerminationWaitTimeStarted === true) {
        return {
          deploymentId,
          status: 'serving',
          summary: `deployment ${deploymentId}: the green fleet serves, the blue one is kept until its termination wait ends${instances}`,
        };
      }
      return {
        deploymentId,
        status: 'running',
        summary: `deployment ${deploymentId} ${info.status ?? 'status unknown'}${info.status === 'Ready' ? ' (waits for "ias-ops deployments continue")' : ''}${instances}`,
      };
  }
}

/** The deployment's instances by lifecycle status (`2 Succeeded, 1 InProgress`), those it has only. */
export function instanceCounts(info: DeploymentInfo): string[] {
  return Object.entries(info.deploymentOverview ?? {})
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([status, n]) => `${String(n)} ${status}`);
}

/** Follows a fleet deployment until it ends, or serves (blue/green). */
export function followFleetDeployment(
  aws: AwsClients,
  deploymentId: string,
  options: FollowOptions,
): Promise<FleetDeploymentState> {
  return follow(
    async () => fleetStateOf(deploymentId, await readDeployment(aws, deploymentId)),
    (s) => s.status !== 'running',
    (s) => s.summary,
    options,
  );
}

/** How a deployment of a revision ended. */
export interface FleetDeploymentRun {
  readonly deploymentId: string;
  readonly state: FleetDeploymentState;
  /** What the fleet runs now, once the deployment succeeded or serves (for the ledger). */
  readonly live: FleetEntry | undefined;
}

/** Deploys `revision` to the fleet's group and follows the deployment to its end. */
export async function deployRevision(
  aws: AwsClients,
  group: FleetGroup,
  revision: FleetRevision,
  options: FollowOptions & { readonly description: string; readonly onStart?: (id: string) => void },
): Promise<FleetDeploymentRun> {
  const created = await aws.codedeploy.send(createFleetDeployment(group, revision, options.description));
  const deploymentId = created.deploymentId;
  if (deploymentId === undefined) {
    throw new Error(
      `CreateDeployment in ${group.application} / ${group.deploymentGroup} answered no deployment ID`,
    );
  }
  options.onStart?.(deploymentId);
  const state = await followFleetDeployment(aws, deploymentId, options);
  const live =
    state.status === 'succeeded' || state.status === 'serving' ? { deploymentId, revision } : undefined;
  return { deploymentId, state, live };
}

/** CreateDeployment as `--dry-run` lists it, its revision a placeholder. */
export function plannedFleetDeployment(
  group: FleetGroup,
  revision: string,
  description: string,
): PlannedCall {
  const call = planned(
    'codedeploy',
    createFleetDeployment(group, { bucket: '-', key: '-', bundleType: 'zip' }, description),
  );
  return {
    ...call,
    input: { ...(call.input as object), revision: { revisionType: 'S3', s3Location: revision } },
  };
}

/** GetDeployment of a deployment followed to its end, as `--dry-run` lists it. */
export function plannedFollow(deploymentId: string): PlannedCall {
  return {
    ...planned('codedeploy', new GetDeploymentCommand({ deploymentId })),
    input: {
      deploymentId,
      note: 'repeated until the deployment ends (or, blue/green, the green fleet serves)',
    },
  };
}
