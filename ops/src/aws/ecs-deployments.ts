/**
 * Amazon ECS's own deployments, for the services that ship without CodeDeploy (ecs-blue-green,
 * ecs-linear, ecs-canary, rolling): list a service's, continue one held by a pause hook, stop one with
 * rollback, and follow one to its end. `deployments list|continue|stop`, `ecs rollback` and `deploy service` use them.
 */
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  type ServiceDeploymentStatus,
} from '@aws-sdk/client-ecs';
import type { ServiceTarget } from '@ias/targets';
import type { environment } from '../context';
import type { AwsClients } from '../context';
import { badInput, errorName } from '../errors';
import { follow, type FollowOptions } from '../follow';
import { describeService, ecsDeploymentInProgress } from './ecs';

/** Statuses of a deployment Amazon ECS is still working on (going forward or back). */
export const ECS_ACTIVE: readonly ServiceDeploymentStatus[] = [
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
];

/** Statuses in which a deployment may be stopped with rollback. */
export const ECS_STOPPABLE: readonly ServiceDeploymentStatus[] = ['PENDING', 'IN_PROGRESS'];

/** An environment's service that Amazon ECS deploys itself. */
export interface EcsService {
  /** The service's folder name. */
  readonly name: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** The profile's strategy (ecs-blue-green, ecs-linear, ecs-canary or rolling). */
  readonly strategy: ServiceTarget['strategy'];
}

/** A pause hook waiting for the operator. */
export interface PausedHook {
  readonly hookId: string;
  /** When the hook's timeout action runs. */
  readonly expiresAt: string | undefined;
  /** What happens then: ROLLBACK or CONTINUE. */
  readonly timeoutAction: string | undefined;
}

/** One Amazon ECS service deployment, as `deployments list` shows it. */
export interface ServiceDeploymentSummary {
  /** The service deployment's ARN, which `continue` and `stop` take. */
  readonly id: string;
  readonly status: string;
  readonly inProgress: boolean;
  /** The lifecycle stage it is in (blue/green, linear and canary). */
  readonly stage: string | undefined;
  readonly created: string | undefined;
  readonly completed: string | undefined;
  readonly reason: string | undefined;
  /** The pause hook holding it, if any. */
  readonly paused: PausedHook | undefined;
}

/** True when `id` is an Amazon ECS service deployment ARN rather than a CodeDeploy deployment ID. */
export function isServiceDeploymentArn(id: string): boolean {
  return /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\//.test(id);
}

/** The pause hook of `d` that waits for the operator, if any. */
export function pausedHook(d: ServiceDeployment): PausedHook | undefined {
  const hook = (d.lifecycleHookDetails ?? []).find(
    (h) => h.targetType === 'PAUSE' && h.status === 'AWAITING_ACTION' && h.hookId !== undefined,
  );
  return hook
    ? {
        hookId: hook.hookId ?? '',
        expiresAt: hook.expiresAt?.toISOString(),
        timeoutAction: hook.timeoutAction,
      }
    : undefined;
}

function summary(d: ServiceDeployment): ServiceDeploymentSummary {
  return {
    id: d.serviceDeploymentArn ?? '',
    status: d.status ?? '',
    inProgress: d.status !== undefined && ECS_ACTIVE.includes(d.status),
    stage: d.lifecycleStage,
    created: d.createdAt?.toISOString(),
    completed: (d.finishedAt ?? d.stoppedAt)?.toISOString(),
    reason: d.statusReason,
    paused: pausedHook(d),
  };
}

/** How far back `deployments list` looks for a service's last deployments. */
export const RECENT_DAYS = 30;

/** How many pages of the last {@link RECENT_DAYS} days it reads at most (100 deployments a page). */
const RECENT_PAGES = 5;

/**
 * The calls that list a service's deployments: those in progress, and those created in the last
 * {@link RECENT_DAYS} days (the API does not say in which order it returns them: the caller sorts).
 */
export function listServiceDeploymentCalls(s: EcsService, now = new Date(), nextToken?: string) {
  const base = { cluster: s.clusterName, service: s.serviceName };
  return {
    active: new ListServiceDeploymentsCommand({ ...base, status: [...ECS_ACTIVE] }),
    recent: new ListServiceDeploymentsCommand({
      ...base,
      createdAt: { after: new Date(now.getTime() - RECENT_DAYS * 86_400_000) },
      maxResults: 100,
      ...(nextToken !== undefined ? { nextToken } : {}),
    }),
  };
}

/** A service's Amazon ECS deployments that may still be stopped (PENDING, IN_PROGRESS). */
export function stoppableServiceDeployments(s: Pick<EcsService, 'clusterName' | 'serviceName'>) {
  return new ListServiceDeploymentsCommand({
    cluster: s.clusterName,
    service: s.serviceName,
    status: [...ECS_STOPPABLE],
  });
}

/** Describes service deployments (20 at most per call, as the API takes). */
export async function describeServiceDeployments(
  aws: AwsClients,
  arns: readonly string[],
): Promise<ServiceDeployment[]> {
  const found: ServiceDeployment[] = [];
  for (let i = 0; i < arns.length; i += 20) {
    const page = await aws.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns.slice(i, i + 20) }),
    );
    found.push(...(page.serviceDeployments ?? []));
  }
  return found;
}

/**
 * A service's deployments, in progress first then the last `last`, newest first; `exists` false when the
 * cluster or service is not there (the stack not deployed, or no image delivered yet).
 */
export async function serviceDeployments(aws: AwsClients, s: EcsService, last: number, now = new Date()) {
  const calls = listServiceDeploymentCalls(s, now);
  try {
    const active = await aws.ecs.send(calls.active);
    const recent: ServiceDeploymentBrief[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < RECENT_PAGES; page += 1) {
      const answer = await aws.ecs.send(listServiceDeploymentCalls(s, now, nextToken).recent);
      recent.push(...(answer.serviceDeployments ?? []));
      nextToken = answer.nextToken;
      if (nextToken === undefined) break;
    }
    const newest = recent
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
      .slice(0, last);
    const arns = [
      ...new Set(
        [...(active.serviceDeployments ?? []), ...newest]
          .map((d) => d.serviceDeploymentArn)
          .filter((a): a is string => a !== undefined),
      ),
    ];
    const deployments = (await describeServiceDeployments(aws, arns))
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
      .map(summary);
    return { ...s, exists: true, deployments };
  } catch (err) {
    const name = errorName(err);
    if (name === 'ServiceNotFoundException' || name === 'ClusterNotFoundException') {
      return { ...s, exists: false, deployments: [] };
    }
    throw err;
  }
}

/**
 * Reads service deployment `arn` and checks it belongs to one of `services`, the environment's ECS-deployed
 * ones.
 *
 * @throws OpsError (exit 2) for an unknown ARN or another environment's deployment
 */
export async function ownServiceDeployment(
  aws: AwsClients,
  env: ReturnType<typeof environment>,
  arn: string,
  services: readonly EcsService[],
): Promise<{ deployment: ServiceDeployment; service: EcsService }> {
  const [deployment] = await describeServiceDeployments(aws, [arn]);
  if (deployment === undefined) {
    throw badInput(
      `service deployment ${arn} does not exist in ${env.profile.region}: list them with "ias-ops deployments list --env ${env.name}"`,
    );
  }
  const service = services.find((s) =>
    (deployment.serviceArn ?? '').endsWith(`:service/${s.clusterName}/${s.serviceName}`),
  );
  if (service === undefined) {
    throw badInput(
      `service deployment ${arn} belongs to ${deployment.serviceArn ?? '?'}, not to a service of ${env.name} deployed by Amazon ECS (${env.prefix}-${env.name}-cluster): check --env`,
    );
  }
  return { deployment, service };
}

/** ContinueServiceDeployment of a paused hook: go on to the next stage, or roll back. */
export function continueServiceDeployment(arn: string, hookId: string, action: 'CONTINUE' | 'ROLLBACK') {
  return new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId, action });
}

/**
 * Rolls service deployment `arn` back: through the pause hook that holds it (ContinueServiceDeployment
 * ROLLBACK), else with StopServiceDeployment (ROLLBACK).
 */
export async function rollBackServiceDeployment(
  aws: AwsClients,
  arn: string,
  hook: PausedHook | undefined,
): Promise<void> {
  if (hook) {
    await aws.ecs.send(continueServiceDeployment(arn, hook.hookId, 'ROLLBACK'));
  } else {
    await aws.ecs.send(stopServiceDeployment(arn));
  }
}

/** StopServiceDeployment with rollback. */
export function stopServiceDeployment(arn: string) {
  return new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' });
}

/** How a followed service deployment ended. */
export interface ServiceDeploymentEnd {
  readonly status: string;
  /** True when Amazon ECS put the previous revision back. */
  readonly rolledBack: boolean;
  readonly summary: string;
}

/** Follows service deployment `arn` until Amazon ECS ends it. */
export async function followServiceDeployment(
  aws: AwsClients,
  arn: string,
  options: FollowOptions,
): Promise<ServiceDeploymentEnd> {
  const line = (d: ServiceDeployment | undefined) =>
    `service deployment ${arn} ${d?.status ?? 'UNKNOWN'}${d?.lifecycleStage && d.status !== undefined && ECS_ACTIVE.includes(d.status) ? ` at ${d.lifecycleStage}` : ''}${d?.statusReason ? ` (${d.statusReason})` : ''}`;
  const final = await follow(
    async () => (await describeServiceDeployments(aws, [arn]))[0],
    (d) => d?.status !== undefined && !ECS_ACTIVE.includes(d.status),
    line,
    options,
  );
  return {
    status: final?.status ?? 'UNKNOWN',
    rolledBack: final?.status === 'ROLLBACK_SUCCESSFUL',
    summary: line(final),
  };
}

/** How a service update ended: the service deployment it started, if one showed, and the outcome. */
export interface ServiceUpdateEnd {
  readonly deploymentId: string | undefined;
  /** `succeeded`: the service runs the revision; `reverted`: Amazon ECS rolled it back; else `failed`. */
  readonly outcome: 'succeeded' | 'reverted' | 'failed';
  readonly detail: string;
}

/**
 * Follows the service deployment an UpdateService to `taskDefinition` started, until Amazon ECS ends it.
 * It shows up in ListServiceDeployments within moments; until it does, or if it ended already, what the
 * service runs says how it went.
 */
export async function followServiceUpdate(
  aws: AwsClients,
  target: ServiceTarget,
  taskDefinition: string,
  options: { readonly show: FollowOptions; readonly follow: FollowOptions },
): Promise<ServiceUpdateEnd> {
  const found = await follow(
    async () => {
      const arn = (await aws.ecs.send(stoppableServiceDeployments(target))).serviceDeployments?.[0]
        ?.serviceDeploymentArn;
      const now = arn === undefined ? (await aws.ecs.send(describeService(target))).services?.[0] : undefined;
      return { arn, now };
    },
    (f) => f.arn !== undefined || (f.now !== undefined && !ecsDeploymentInProgress(f.now)),
    (f) =>
      f.arn !== undefined
        ? `service deployment ${f.arn}`
        : `waiting for the service deployment of ${target.serviceName} to show`,
    options.show,
  );
  if (found.arn === undefined) {
    return {
      deploymentId: undefined,
      outcome: found.now?.taskDefinition === taskDefinition ? 'succeeded' : 'failed',
      detail: `the service runs ${found.now?.taskDefinition ?? '?'}`,
    };
  }
  const end = await followServiceDeployment(aws, found.arn, options.follow);
  return {
    deploymentId: found.arn,
    outcome: end.status === 'SUCCESSFUL' ? 'succeeded' : end.rolledBack ? 'reverted' : 'failed',
    detail: end.summary,
  };
}
