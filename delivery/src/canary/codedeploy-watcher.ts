/**
 * The canary watcher of CodeDeploy deployments: once a minute, for every judged deployment group of
 * an environment, finds its deployments in progress, reads both sides of each from CloudWatch, judges
 * them ({@link watchLook}) and acts:
 *
 * - Lambda (a weighted alias): the alias's current and target versions by `ExecutedVersion`, from
 *   the moment CodeDeploy's AllowTraffic began and while the alias splits the traffic. `rollback`
 *   stops the deployment with rollback (StopDeployment, `autoRollbackEnabled`). CodeDeploy cannot
 *   shorten a canary or linear interval, so a `pass` lets it go on at its own pace.
 * - ECS (CodeDeploy blue/green): the blue and green task sets' target groups, while CodeDeploy
 *   weights both. Same actions as Lambda.
 * - EC2 (CodeDeploy blue/green): old and new instances never serve side by side in two target
 *   groups (CodeDeploy reroutes the one target group from the old instances to the new), so the new
 *   fleet alone, from the moment the last new instance took traffic, is judged against the same
 *   target group over as many minutes just before the deployment began (`target-group-history`).
 *   Judged during the wait before the old instances are terminated: `rollback` stops the deployment
 *   with rollback (CodeDeploy reroutes to the old instances, still running); a `promote` ends the
 *   wait (ContinueDeployment, TERMINATION_WAIT). In-place deployments have neither side apart and
 *   are not judged (the profile refuses judging them).
 *
 * Stateless: every look reads the deployment's whole side-by-side window again, so a missed minute
 * or a second watcher changes nothing but the look count.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CodeDeployClient, DeploymentTarget } from '@aws-sdk/client-codedeploy';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import {
  BatchGetDeploymentTargetsCommand,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { DeliveryError, describeError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { type CanarySource, readCanarySeries } from './cloudwatch.js';
import { type CanaryLook, canaryAnalysisSchema, watchLook } from './watch.js';

const MINUTE_MS = 60_000;

const name = z.string().min(1).max(100);
const elbArn = (resource: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:${resource}/`), {
    error: `must be an Elastic Load Balancing ${resource} ARN`,
  });
const loadBalancerArn = elbArn('loadbalancer');
const targetGroupArn = elbArn('targetgroup');

/** A CodeDeploy deployment group the watcher judges, as the infrastructure describes it. */
export const watchedGroupSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('lambda'),
    application: name,
    deploymentGroup: name,
    analysis: canaryAnalysisSchema,
  }),
  z.strictObject({
    kind: z.literal('ecs'),
    application: name,
    deploymentGroup: name,
    loadBalancer: loadBalancerArn,
    /** Both target groups of the pair (CodeDeploy names them in the task sets; the metrics need ARNs). */
    targetGroups: z.array(targetGroupArn).length(2),
    analysis: canaryAnalysisSchema,
  }),
  z.strictObject({
    kind: z.literal('ec2'),
    application: name,
    deploymentGroup: name,
    loadBalancer: loadBalancerArn,
    targetGroup: targetGroupArn,
    analysis: canaryAnalysisSchema,
  }),
]);

/** A CodeDeploy deployment group the watcher judges. */
export type WatchedGroup = z.infer<typeof watchedGroupSchema>;

/** The groups one watcher judges (its function's `CANARY_WATCHER_GROUPS`, JSON). */
export const watchedGroupsSchema = z.array(watchedGroupSchema);

/**
 * Reads the watcher's groups.
 * @throws DeliveryError `BAD_INPUT` naming every problem
 */
export function parseWatchedGroups(raw: unknown, where: string): WatchedGroup[] {
  const result = watchedGroupsSchema.safeParse(raw);
  if (!result.success) {
    throw new DeliveryError('BAD_INPUT', `${where}: ${describeIssues(result.error)}`);
  }
  return result.data;
}

/**
 * The groups judged in an environment: one SSM parameter each under `path` (its value the group's
 * JSON, written by the workload's stack), read afresh at every sweep so that a stack deployed or
 * destroyed changes what is watched without touching the watcher. A parameter that is not a group
 * is reported and skipped; the others are still watched.
 */
export async function loadWatchedGroups(
  ssm: Pick<SSMClient, 'send'>,
  path: string,
): Promise<{ groups: WatchedGroup[]; errors: { where: string; error: string }[] }> {
  const groups: WatchedGroup[] = [];
  const errors: { where: string; error: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: false, NextToken }));
    for (const parameter of page.Parameters ?? []) {
      const where = parameter.Name ?? path;
      let value: unknown;
      try {
        value = JSON.parse(parameter.Value ?? '');
      } catch {
        errors.push({ where, error: 'not JSON: deploy the stack that writes it again' });
        continue;
      }
      const result = watchedGroupSchema.safeParse(value);
      if (result.success) groups.push(result.data);
      else errors.push({ where, error: describeIssues(result.error) });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return { groups, errors };
}

/** What the watcher needs. */
export interface CodeDeployWatcherDependencies {
  readonly codedeploy: Pick<CodeDeployClient, 'send'>;
  readonly cloudwatch: CloudWatchClient;
  /** Keeps a look as evidence (the releases table); must not throw (log a failure instead). */
  readonly record?: (deploymentId: string, look: CanaryLook) => Promise<void>;
  /** The current time, ms since the epoch. */
  readonly now: () => number;
}

/** What one look at one deployment did. */
export type DeploymentWatch =
  | {
      readonly deploymentId: string;
      readonly group: string;
      readonly judged: true;
      readonly look: CanaryLook;
      /** `stopped` (rolled back), `continued` (the termination wait ended), or nothing done. */
      readonly acted: 'stopped' | 'continued' | 'none';
      readonly detail: string;
    }
  | {
      readonly deploymentId: string;
      readonly group: string;
      readonly judged: false;
      readonly detail: string;
    };

/** Where a deployment's two sides are measured now, and since when; or why not now. */
type Sides =
  | {
      readonly ready: true;
      readonly source: CanarySource;
      readonly since: number;
      readonly canPromote: boolean;
    }
  | { readonly ready: false; readonly detail: string };

/** Every target of a deployment (ListDeploymentTargets paged, BatchGetDeploymentTargets by 25). */
async function deploymentTargets(
  codedeploy: Pick<CodeDeployClient, 'send'>,
  deploymentId: string,
): Promise<DeploymentTarget[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId, nextToken }));
    ids.push(...(page.targetIds ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const targets: DeploymentTarget[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const batch = await codedeploy.send(
      new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: ids.slice(i, i + 25) }),
    );
    targets.push(...(batch.deploymentTargets ?? []));
  }
  return targets;
}

/** When a target's AllowTraffic event started or ended. */
function allowTraffic(
  events:
    readonly { lifecycleEventName?: string; startTime?: Date; endTime?: Date; status?: string }[] | undefined,
) {
  return events?.find((e) => e.lifecycleEventName === 'AllowTraffic');
}

/** The last part of a target group ARN's resource: its name (`targetgroup/<name>/<id>`). */
const targetGroupName = (arn: string) => arn.split(':').pop()?.split('/')[1];

function lambdaSides(targets: readonly DeploymentTarget[]): Sides {
  const target = targets.find((t) => t.lambdaTarget)?.lambdaTarget;
  const info = target?.lambdaFunctionInfo;
  const shifting = allowTraffic(target?.lifecycleEvents);
  if (!info?.functionName || !info.functionAlias || !info.currentVersion || !info.targetVersion) {
    return { ready: false, detail: 'CodeDeploy does not tell the alias and its versions yet' };
  }
  // The alias splits its traffic exactly while AllowTraffic is in progress (CodeDeploy's weight
  // steps); before it every request goes to the current version, after it to the target.
  if (shifting?.status !== 'InProgress' || shifting.startTime === undefined) {
    return {
      ready: false,
      detail: 'the alias does not split its traffic now (AllowTraffic not in progress)',
    };
  }
  return {
    ready: true,
    since: shifting.startTime.getTime(),
    canPromote: false,
    source: {
      kind: 'lambda-alias',
      functionName: info.functionName,
      alias: info.functionAlias,
      baselineVersion: info.currentVersion,
      canaryVersion: info.targetVersion,
    },
  };
}

function ecsSides(
  group: Extract<WatchedGroup, { kind: 'ecs' }>,
  targets: readonly DeploymentTarget[],
): Sides {
  const target = targets.find((t) => t.ecsTarget)?.ecsTarget;
  const sets = target?.taskSetsInfo ?? [];
  const blue = sets.find((s) => s.taskSetLabel === 'Blue');
  const green = sets.find((s) => s.taskSetLabel === 'Green');
  const shifting = allowTraffic(target?.lifecycleEvents);
  const since = shifting?.startTime;
  if (!blue || !green || shifting?.status !== 'InProgress' || since === undefined) {
    return {
      ready: false,
      detail: 'production traffic is not moving between blue and green now (AllowTraffic not in progress)',
    };
  }
  if ((green.trafficWeight ?? 0) >= 100) {
    return { ready: false, detail: 'every request goes to green: no two sides left' };
  }
  const arnOf = (taskSetGroup: string | undefined) =>
    group.targetGroups.find((arn) => targetGroupName(arn) === taskSetGroup);
  const baseline = arnOf(blue.targetGroup?.name);
  const canary = arnOf(green.targetGroup?.name);
  if (!baseline || !canary) {
    throw new DeliveryError(
      'BAD_INPUT',
      `deployment group ${group.deploymentGroup}: the task sets' target groups (${blue.targetGroup?.name}, ${green.targetGroup?.name}) are not the watcher's (${group.targetGroups.map(targetGroupName).join(', ')}): deploy the service's stack again`,
    );
  }
  return {
    ready: true,
    since: since.getTime(),
    canPromote: false,
    source: {
      kind: 'target-groups',
      loadBalancer: group.loadBalancer,
      baselineTargetGroup: baseline,
      canaryTargetGroup: canary,
    },
  };
}

async function ec2Sides(
  group: Extract<WatchedGroup, { kind: 'ec2' }>,
  deps: CodeDeployWatcherDependencies,
  deploymentId: string,
  targets: readonly DeploymentTarget[],
  now: number,
): Promise<Sides> {
  const { deploymentInfo } = await deps.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
  if (deploymentInfo?.deploymentStyle?.deploymentType !== 'BLUE_GREEN') {
    return { ready: false, detail: 'an in-place deployment has no two sides to judge' };
  }
  const created = deploymentInfo.createTime;
  if (!deploymentInfo.instanceTerminationWaitTimeStarted || created === undefined) {
    return { ready: false, detail: 'the new instances do not serve alone yet (before the termination wait)' };
  }
  const green = targets
    .map((t) => t.instanceTarget)
    .filter((t) => t?.instanceLabel === 'Green')
    .map((t) => allowTraffic(t?.lifecycleEvents)?.endTime?.getTime());
  if (green.length === 0 || green.some((end) => end === undefined)) {
    return { ready: false, detail: 'not every new instance has taken traffic yet' };
  }
  const since = Math.max(...(green as number[]));
  // The baseline: as many minutes, ending at the deployment's start (the old fleet alone). The
  // reader's window ends a minute before `now`'s (that minute is still filling).
  const windowEnd = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const earlier = Math.ceil((windowEnd - created.getTime()) / MINUTE_MS);
  return {
    ready: true,
    since,
    canPromote: true,
    source: {
      kind: 'target-group-history',
      loadBalancer: group.loadBalancer,
      targetGroup: group.targetGroup,
      baselineMinutesEarlier: Math.max(1, earlier),
    },
  };
}

/**
 * Looks once at one deployment in progress of `group`: reads its sides, judges them, records the
 * look and acts on it.
 *
 * @throws what CodeDeploy or CloudWatch throw (the caller logs it and goes on with the others)
 */
export async function watchDeployment(
  deps: CodeDeployWatcherDependencies,
  group: WatchedGroup,
  deploymentId: string,
): Promise<DeploymentWatch> {
  const now = deps.now();
  const base = { deploymentId, group: `${group.application}/${group.deploymentGroup}` };
  const targets = await deploymentTargets(deps.codedeploy, deploymentId);
  const sides =
    group.kind === 'lambda'
      ? lambdaSides(targets)
      : group.kind === 'ecs'
        ? ecsSides(group, targets)
        : await ec2Sides(group, deps, deploymentId, targets, now);
  if (!sides.ready) return { ...base, judged: false, detail: sides.detail };
  // The reader needs a complete minute: the one of `since` counts from its start.
  if (Math.floor(now / MINUTE_MS) - Math.floor(sides.since / MINUTE_MS) < 2) {
    return { ...base, judged: false, detail: 'no complete minute of both sides yet' };
  }
  const reading = await readCanarySeries(deps.cloudwatch, sides.source, {
    start: new Date(sides.since),
    end: new Date(now),
  });
  const look = watchLook(reading.baseline, reading.canary, group.analysis);
  if (deps.record) {
    await deps.record(deploymentId, look);
  }
  if (look.action === 'rollback') {
    await deps.codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
    return { ...base, judged: true, look, acted: 'stopped', detail: `stopped with rollback: ${look.reason}` };
  }
  if (look.action === 'promote' && sides.canPromote) {
    await deps.codedeploy.send(
      new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: 'TERMINATION_WAIT' }),
    );
    return { ...base, judged: true, look, acted: 'continued', detail: `wait ended early: ${look.reason}` };
  }
  const promoteNote =
    look.action === 'promote' ? ' (CodeDeploy cannot shorten its interval: it goes on at its own pace)' : '';
  return { ...base, judged: true, look, acted: 'none', detail: `${look.reason}${promoteNote}` };
}

/** A group's deployments in progress (ListDeployments, paged). */
async function inProgress(
  codedeploy: Pick<CodeDeployClient, 'send'>,
  group: WatchedGroup,
): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: group.application,
        deploymentGroupName: group.deploymentGroup,
        includeOnlyStatuses: ['InProgress'],
        nextToken,
      }),
    );
    ids.push(...(page.deployments ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

/** One sweep's result: what was done, and what could not be looked at. */
export interface SweepResult {
  readonly watched: readonly DeploymentWatch[];
  readonly errors: readonly { readonly where: string; readonly error: string }[];
}

/**
 * One sweep over every group: each deployment in progress looked at once. One group's or
 * deployment's failure (throttling, a denied call) is reported and the others are still judged.
 */
export async function sweepCodeDeploy(
  deps: CodeDeployWatcherDependencies,
  groups: readonly WatchedGroup[],
): Promise<SweepResult> {
  const watched: DeploymentWatch[] = [];
  const errors: { where: string; error: string }[] = [];
  for (const group of groups) {
    const where = `${group.application}/${group.deploymentGroup}`;
    let ids: string[];
    try {
      ids = await inProgress(deps.codedeploy, group);
    } catch (error) {
      errors.push({ where, error: describeError(error) });
      continue;
    }
    for (const id of ids) {
      try {
        watched.push(await watchDeployment(deps, group, id));
      } catch (error) {
        errors.push({ where: `${where} ${id}`, error: describeError(error) });
      }
    }
  }
  return { watched, errors };
}
