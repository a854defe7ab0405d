/**
 * The blue/green deployment group of an EC2 application, as a CloudFormation custom resource
 * (`Custom::Ec2BlueGreenDeploymentGroup`, the `ec2-deployment-group` handler).
 *
 * Why not `AWS::CodeDeploy::DeploymentGroup`: CloudFormation rejects a blue/green group that copies
 * its Auto Scaling group ("Property AutoScalingGroups cannot be specified"), and after each blue/green
 * deployment CodeDeploy replaces the group's Auto Scaling group with a copy named
 * `CodeDeploy_<group>_<deploymentId>`, which CloudFormation does not know. So this resource:
 *
 * - creates the group over the Auto Scaling group CloudFormation made;
 * - on update keeps the Auto Scaling group the group holds now (CodeDeploy's copy after a deployment)
 *   and sets everything else from the properties;
 * - on delete removes CodeDeploy's copies the group holds (which `cdk destroy` would otherwise leave
 *   running), never the group CloudFormation owns, then the group.
 *
 * @see https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2071
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html
 */
import {
  type CodeDeployClient,
  CreateDeploymentGroupCommand,
  type CreateDeploymentGroupInput,
  DeleteDeploymentGroupCommand,
  type DeploymentGroupInfo,
  GetDeploymentGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { isAwsError } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import type { AutoScalingGroups } from './auto-scaling.js';
import {
  codeDeployCopyPrefix,
  codeDeployName,
  DEFAULT_ROLLBACK_EVENTS,
  ec2DeploymentGroupPropertiesSchema,
  type Ec2DeploymentGroupSettings as Properties,
} from './deployment-group-properties.js';

/** The CloudFormation request, the fields this resource reads (a `CloudFormationCustomResourceEvent`). */
export type DeploymentGroupRequest =
  | { readonly RequestType: 'Create'; readonly StackId: string; readonly ResourceProperties: unknown }
  | {
      readonly RequestType: 'Update';
      readonly StackId: string;
      readonly PhysicalResourceId: string;
      readonly ResourceProperties: unknown;
      readonly OldResourceProperties: unknown;
    }
  | {
      readonly RequestType: 'Delete';
      readonly StackId: string;
      readonly PhysicalResourceId: string;
      readonly ResourceProperties: unknown;
    };

/** The clients the resource acts with. */
export interface DeploymentGroupClients {
  readonly codedeploy: CodeDeployClient;
  readonly autoScaling: AutoScalingGroups;
}

/** What the resource did: the provider framework's answer (physical id, data) and what to log. */
export interface DeploymentGroupResult {
  /** The group's name. */
  readonly PhysicalResourceId: string;
  /** `AutoScalingGroupName`: the Auto Scaling group the group holds now (not on delete). */
  readonly Data?: { readonly AutoScalingGroupName: string };
  readonly action: 'created' | 'updated' | 'renamed' | 'recreated' | 'deleted' | 'already-deleted';
  /** On delete: CodeDeploy's copies deleted with the group. */
  readonly deletedAutoScalingGroups?: readonly string[];
  /** On delete: the Auto Scaling groups the group held that are not CodeDeploy's copies of it, left alone. */
  readonly keptAutoScalingGroups?: readonly string[];
  /**
   * On delete: the Auto Scaling groups whose lifecycle hook CodeDeploy could not remove (the copies
   * deleted just before are among them; CloudFormation's group should not be).
   */
  readonly hooksNotCleanedUp?: readonly string[];
}

/** The properties, or an error naming every bad one. */
function readProperties(properties: unknown): Properties {
  const parsed = ec2DeploymentGroupPropertiesSchema.safeParse(properties);
  if (!parsed.success) {
    throw new Error(`the deployment group's properties are invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Everything the properties set on the group, over `autoScalingGroup`. */
function groupSettings(props: Properties, autoScalingGroup: string) {
  return {
    applicationName: props.ApplicationName,
    serviceRoleArn: props.ServiceRoleArn,
    deploymentConfigName: props.DeploymentConfigName,
    // COPY_AUTO_SCALING_GROUP takes exactly one: the one CodeDeploy copies at the next deployment.
    autoScalingGroups: [autoScalingGroup],
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    blueGreenDeploymentConfiguration: {
      greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
      deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
      terminateBlueInstancesOnDeploymentSuccess: {
        action: 'TERMINATE',
        terminationWaitTimeInMinutes: props.TerminateBlueAfterMinutes,
      },
    },
    loadBalancerInfo: { targetGroupInfoList: [{ name: props.TargetGroupName }] },
    alarmConfiguration: {
      // CodeDeploy refuses alarms enabled with none listed.
      enabled: props.AlarmNames.length > 0,
      ignorePollAlarmFailure: false,
      alarms: props.AlarmNames.map((name) => ({ name })),
    },
    autoRollbackConfiguration: {
      enabled: true,
      events: [...(props.AutoRollbackEvents ?? DEFAULT_ROLLBACK_EVENTS)],
    },
  } satisfies Omit<CreateDeploymentGroupInput, 'deploymentGroupName'>;
}

/** The group `name` of `application`; undefined when it (or the application) does not exist. */
async function getGroup(
  codedeploy: CodeDeployClient,
  application: string,
  name: string,
): Promise<DeploymentGroupInfo | undefined> {
  try {
    const found = await codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: name }),
    );
    return found.deploymentGroupInfo;
  } catch (error) {
    if (
      isAwsError(error, 'DeploymentGroupDoesNotExistException') ||
      isAwsError(error, 'ApplicationDoesNotExistException')
    ) {
      return undefined;
    }
    throw error;
  }
}

/** The names of the Auto Scaling groups `group` holds. */
function heldGroups(group: DeploymentGroupInfo): string[] {
  return (group.autoScalingGroups ?? []).flatMap((g) => (g.name ? [g.name] : []));
}

/** Creates the group over `autoScalingGroup`, with the properties' tags. */
async function create(
  codedeploy: CodeDeployClient,
  props: Properties,
  autoScalingGroup: string,
): Promise<void> {
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      ...groupSettings(props, autoScalingGroup),
      deploymentGroupName: props.DeploymentGroupName,
      ...(props.Tags && props.Tags.length > 0 ? { tags: props.Tags } : {}),
    }),
  );
}

/** The group's ARN, in the stack's partition, region and account (for its tags). */
function groupArn(stackId: string, application: string, group: string): string {
  const [, partition, , region, account] = stackId.split(':');
  return `arn:${partition}:codedeploy:${region}:${account}:deploymentgroup:${application}/${group}`;
}

/** Brings the group's tags from `before` to `after` (UpdateDeploymentGroup takes none). */
async function retag(
  codedeploy: CodeDeployClient,
  arn: string,
  before: readonly { Key: string; Value: string }[],
  after: readonly { Key: string; Value: string }[],
): Promise<void> {
  const wanted = new Map(after.map((t) => [t.Key, t.Value]));
  const removed = before.filter((t) => !wanted.has(t.Key)).map((t) => t.Key);
  const had = new Map(before.map((t) => [t.Key, t.Value]));
  const changed = after.filter((t) => had.get(t.Key) !== t.Value);
  if (removed.length > 0) {
    await codedeploy.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: removed }));
  }
  if (changed.length > 0) {
    await codedeploy.send(new TagResourceCommand({ ResourceArn: arn, Tags: changed }));
  }
}

/** The old properties, as far as they can be read: they only tell which Auto Scaling group and tags were given. */
const oldPropertiesSchema = z.object({
  ApplicationName: z.string().optional().catch(undefined),
  AutoScalingGroupName: z.string().optional().catch(undefined),
  Tags: ec2DeploymentGroupPropertiesSchema.shape.Tags.catch(undefined),
});

async function onUpdate(
  codedeploy: CodeDeployClient,
  request: Extract<DeploymentGroupRequest, { RequestType: 'Update' }>,
): Promise<DeploymentGroupResult> {
  const props = readProperties(request.ResourceProperties);
  const old = oldPropertiesSchema.catch({}).parse(request.OldResourceProperties);
  const current = request.PhysicalResourceId;
  const name = props.DeploymentGroupName;
  if (old.ApplicationName !== undefined && old.ApplicationName !== props.ApplicationName) {
    // A new group in the other application would share the fleet with the old one, whose deletion
    // would then take CodeDeploy's copy (the serving fleet) with it.
    throw new Error(
      `the deployment group's application cannot change (${old.ApplicationName} to ${props.ApplicationName}): CodeDeploy moves no group between applications; deploy the application under its new name in a new stack`,
    );
  }
  const group = await getGroup(codedeploy, props.ApplicationName, current);
  if (!group) {
    // Deleted outside CloudFormation: made again, over CloudFormation's Auto Scaling group.
    await create(codedeploy, props, props.AutoScalingGroupName);
    return {
      PhysicalResourceId: name,
      Data: { AutoScalingGroupName: props.AutoScalingGroupName },
      action: 'recreated',
    };
  }
  const held = heldGroups(group);
  if (held.length > 1) {
    throw new Error(
      `${current} holds ${held.length} Auto Scaling groups (${held.join(', ')}), and a blue/green group copies exactly one: is a deployment in progress? Retry once it ended`,
    );
  }
  // CodeDeploy's copy (whatever the group holds that CloudFormation did not give it) stays; the
  // group CloudFormation gave it follows the property, should CloudFormation have replaced it.
  const [holding] = held;
  const keep =
    holding !== undefined && holding !== old.AutoScalingGroupName ? holding : props.AutoScalingGroupName;
  await codedeploy.send(
    new UpdateDeploymentGroupCommand({
      ...groupSettings(props, keep),
      currentDeploymentGroupName: current,
      // Renamed in place: the group keeps its fleet and lifecycle hooks, and CloudFormation's delete
      // of the old name finds nothing (a new group sharing the fleet would lose it with the old one).
      ...(name !== current ? { newDeploymentGroupName: name } : {}),
    }),
  );
  await retag(
    codedeploy,
    groupArn(request.StackId, props.ApplicationName, name),
    old.Tags ?? [],
    props.Tags ?? [],
  );
  return {
    PhysicalResourceId: name,
    Data: { AutoScalingGroupName: keep },
    action: name !== current ? 'renamed' : 'updated',
  };
}

/** What a delete needs of the properties; anything else may be broken by then. */
const deletePropertiesSchema = z.object({
  ApplicationName: codeDeployName,
  AutoScalingGroupName: z.string().optional().catch(undefined),
});

async function onDelete(
  clients: DeploymentGroupClients,
  request: Extract<DeploymentGroupRequest, { RequestType: 'Delete' }>,
): Promise<DeploymentGroupResult> {
  const name = request.PhysicalResourceId;
  const gone: DeploymentGroupResult = { PhysicalResourceId: name, action: 'already-deleted' };
  const props = deletePropertiesSchema.safeParse(request.ResourceProperties);
  if (!props.success) {
    // Never created: a group is created only from valid properties. Failing would block the stack's delete.
    return gone;
  }
  const { ApplicationName: application, AutoScalingGroupName: cloudFormations } = props.data;
  const group = await getGroup(clients.codedeploy, application, name);
  if (!group) {
    return gone;
  }
  const held = heldGroups(group);
  const prefix = codeDeployCopyPrefix(name);
  const copies = held.filter((g) => g.startsWith(prefix) && g !== cloudFormations);
  // The copies first, one at a time (each terminates its instances): should one fail, the group still
  // names them all, so the delete CloudFormation retries deletes them again (a copy already gone is
  // no error). Deleted first, the group would take the names with it and a retry would leave them.
  for (const copy of copies) {
    await clients.autoScaling.deleteGroup(copy);
  }
  const deleted = await clients.codedeploy.send(
    new DeleteDeploymentGroupCommand({ applicationName: application, deploymentGroupName: name }),
  );
  return {
    PhysicalResourceId: name,
    action: 'deleted',
    deletedAutoScalingGroups: copies,
    keptAutoScalingGroups: held.filter((g) => !copies.includes(g)),
    hooksNotCleanedUp: (deleted.hooksNotCleanedUp ?? []).flatMap((h) => (h.name ? [h.name] : [])),
  };
}

/**
 * Answers one CloudFormation request for the blue/green deployment group (see the file's header):
 * Create, Update (renaming in place when the name changes) or Delete. Throws on invalid properties,
 * naming each, except on Delete, which never fails for them.
 */
export async function onDeploymentGroupRequest(
  clients: DeploymentGroupClients,
  request: DeploymentGroupRequest,
): Promise<DeploymentGroupResult> {
  switch (request.RequestType) {
    case 'Create': {
      const props = readProperties(request.ResourceProperties);
      await create(clients.codedeploy, props, props.AutoScalingGroupName);
      return {
        PhysicalResourceId: props.DeploymentGroupName,
        Data: { AutoScalingGroupName: props.AutoScalingGroupName },
        action: 'created',
      };
    }
    case 'Update':
      return onUpdate(clients.codedeploy, request);
    case 'Delete':
      return onDelete(clients, request);
  }
}
