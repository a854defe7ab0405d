/**
 * An EC2 application's instances, read from their launch template (`AWS::EC2::LaunchTemplate`):
 *
 * - the role they run as: the template's instance profile's role;
 * - their settings: the settings file the user data writes (`cat > /etc/<app>/settings.env <<'…'`, as
 *   infra/lib/kinds/ec2/ec2-fleet.ts writes it), which the revision's AfterInstall hook resolves into
 *   the application's environment: `NAME=value` as it is, `NAME=ssm:<parameter>` from that SSM
 *   parameter (its value where the assembly creates the parameter);
 * - where they run: the template's security groups, the subnets of the Auto Scaling group that
 *   launches them;
 * - what AWS's agents on them do with their role ({@link instanceRuntimeNeeds}), as the template and
 *   the pipelines configure them.
 */
import type { AssemblyModel } from './assembly';
import { attribute, property, reference, resourcesOfType, type Located } from './facts';
import { keyNeeds, type Need } from './permissions';
import { knownParameterValue, resolve, resolveString, type ResolveScope } from './resolve';
import type { CfnResource } from './assembly';
import type { Workload, WorkloadProblem, WorkloadRole, WorkloadSpecifics } from './workloads';

/** The role the instances' code and agents act as. */
const INSTANCE_ROLE = 'instance role';

/**
 * Services the agents of every instance call besides what the template configures: Systems Manager's
 * agent (Session Manager, and the association that installs the CodeDeploy agent) and the CodeDeploy
 * agent's commands. Their endpoints must be reachable from the instances' subnets.
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/vpc-endpoints.html
 */
export const INSTANCE_AGENT_ENDPOINTS = [
  'ssm',
  'ssmmessages',
  'ec2messages',
  'codedeploy',
  'codedeploy-commands-secure',
] as const;

/** The settings file the hooks resolve: `ec2HostPaths(app).settingsFile` (targets). */
const SETTINGS_FILE = /^\/etc\/[^/]+\/settings\.env$/;

/** The CloudWatch agent's configuration file, which `amazon-cloudwatch-agent-ctl -c file:…` reads. */
const CLOUDWATCH_AGENT_CONFIG = /\/amazon-cloudwatch-agent\.json$/;

interface LaunchTemplateData {
  readonly IamInstanceProfile?: { readonly Arn?: unknown; readonly Name?: unknown };
  readonly SecurityGroupIds?: unknown;
  readonly NetworkInterfaces?: readonly { readonly DeviceIndex?: unknown; readonly Groups?: unknown }[];
  readonly UserData?: unknown;
}

function templateData(resource: CfnResource): LaunchTemplateData {
  return (resource.Properties?.LaunchTemplateData ?? {}) as LaunchTemplateData;
}

/** A file the user data writes with a here-document: its path and its lines as written. */
interface HereDocument {
  readonly file: string;
  readonly body: string;
}

/** The here-documents of a script (`cat > FILE <<'END'` … `END`). */
function hereDocuments(script: string): HereDocument[] {
  return [...script.matchAll(/cat\s+>\s*(\S+)\s+<<-?\s*(['"]?)(\w+)\2\n([\s\S]*?)\n\3(?=\n|$)/g)].map(
    (m) => ({
      file: m[1] ?? '',
      body: m[4] ?? '',
    }),
  );
}

/** The user data the instances boot with, as a script (CloudFormation's Base64 undone). */
export function userDataOf(scope: ResolveScope, resource: CfnResource): string {
  const data = templateData(resource).UserData;
  return data === undefined ? '' : resolveString(scope, data);
}

/** The Auto Scaling groups that launch instances from the template. */
export function autoScalingGroupsOf(
  scope: ResolveScope,
  logicalId: string,
  name: string | undefined,
): Located[] {
  return resourcesOfType(scope.assembly, 'AWS::AutoScaling::AutoScalingGroup', [scope.stack]).filter(
    (group) => {
      const props = group.resource.Properties ?? {};
      const spec = (props.LaunchTemplate ??
        (
          props.MixedInstancesPolicy as
            { LaunchTemplate?: { LaunchTemplateSpecification?: unknown } } | undefined
        )?.LaunchTemplate?.LaunchTemplateSpecification) as
        { LaunchTemplateId?: unknown; LaunchTemplateName?: unknown } | undefined;
      if (!spec) return false;
      if (JSON.stringify(spec.LaunchTemplateId) === JSON.stringify({ Ref: logicalId })) return true;
      return (
        name !== undefined &&
        spec.LaunchTemplateName !== undefined &&
        resolve(scope, spec.LaunchTemplateName) === name
      );
    },
  );
}

/** The roles of the instance profile the template names. */
function instanceRoles(scope: ResolveScope, data: LaunchTemplateData): WorkloadRole[] {
  const given = data.IamInstanceProfile;
  if (!given) return [];
  const arn = given.Arn === undefined ? undefined : resolveString(scope, given.Arn);
  const name = given.Name === undefined ? undefined : resolveString(scope, given.Name);
  const profile = resourcesOfType(scope.assembly, 'AWS::IAM::InstanceProfile', [scope.stack]).find((p) =>
    arn !== undefined ? attribute(p, 'Arn') === arn : reference(p) === name,
  );
  const roles = (profile?.resource.Properties?.Roles ?? []) as unknown[];
  return roles.map((role) => {
    // A role of the stack by reference (its ARN is its own), or by name.
    const ref = (role as { Ref?: string }).Ref;
    const roleArn =
      profile && ref !== undefined && !ref.startsWith('AWS::')
        ? resolveString(profile.scope, { 'Fn::GetAtt': [ref, 'Arn'] })
        : `arn:${scope.stack.partition}:iam::${scope.stack.account}:role/${resolveString(profile?.scope ?? scope, role)}`;
    return { label: INSTANCE_ROLE, arn: roleArn, name: roleArn.split('/').pop() ?? roleArn };
  });
}

/**
 * The settings the user data writes for the hooks, as the AfterInstall hook reads them: the
 * application's environment, the settings read from SSM, and what would stop the hook.
 */
function settingsOf(
  scope: ResolveScope,
  script: string,
): Pick<WorkloadSpecifics, 'environment' | 'injected'> & { problems: WorkloadProblem[] } {
  const environment: Record<string, string> = {};
  const injected: Record<string, string> = {};
  const problems: WorkloadProblem[] = [];
  const stops = (fails: string, missing: string) =>
    problems.push({
      check: 'configuration',
      fails: `every deployment stops at AfterInstall: ${fails}`,
      missing,
    });
  const written = hereDocuments(script).filter((d) => SETTINGS_FILE.test(d.file));
  const settings = written.at(-1);
  if (!settings) {
    stops(
      'the user data writes no settings file (/etc/<app>/settings.env) for it to resolve',
      "the settings file in the launch template's user data",
    );
    return { environment, injected, problems };
  }
  settings.body.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) {
      stops(
        `line ${index + 1} of ${settings.file} is not NAME=value`,
        `a NAME=value line in ${settings.file}`,
      );
      return;
    }
    const [, name = '', value = ''] = match;
    if (value.startsWith('ssm:')) {
      const parameter = value.slice('ssm:'.length);
      injected[name] = parameter;
      // A parameter the assembly creates has a value the check knows; another stays unknown.
      environment[name] = knownParameterValue(scope, parameter) ?? `<from ${value}>`;
    } else {
      environment[name] = value;
    }
  });
  if (Object.keys(injected).length > 0) {
    const region = environment.AWS_REGION;
    if (!region) {
      stops(
        `${settings.file} has no AWS_REGION line, which it needs to read its ssm: settings`,
        `AWS_REGION=${scope.stack.region} in ${settings.file}`,
      );
    } else if (region !== scope.stack.region) {
      stops(
        `it reads its ssm: settings in ${region}; the stack, and the parameters it names, are in ${scope.stack.region}`,
        `AWS_REGION=${scope.stack.region} in ${settings.file}`,
      );
    }
  }
  return { environment, injected, problems };
}

/** The instances a launch template starts, as a workload: role, settings, placement. */
export function instancesWorkload(
  scope: ResolveScope,
  resource: CfnResource,
  logicalId: string,
): WorkloadSpecifics {
  const data = templateData(resource);
  const name =
    resource.Properties?.LaunchTemplateName === undefined
      ? undefined
      : resolveString(scope, resource.Properties.LaunchTemplateName);
  const { environment, injected, problems } = settingsOf(scope, userDataOf(scope, resource));
  // The primary interface's groups, or the template's own.
  const primary = (data.NetworkInterfaces ?? []).find((n) => Number(n.DeviceIndex ?? 0) === 0);
  const securityGroups = [data.SecurityGroupIds, primary?.Groups]
    .filter((v) => v !== undefined)
    .flatMap((v) => (resolve(scope, v) as unknown[]).map(String));
  const subnets = autoScalingGroupsOf(scope, logicalId, name).flatMap((group) =>
    ((property(group, 'VPCZoneIdentifier') ?? []) as unknown[]).map(String),
  );
  return {
    kind: 'instances',
    roles: instanceRoles(scope, data),
    environment,
    injected,
    network: subnets.length > 0 ? { securityGroups, subnets } : undefined,
    problems,
  };
}

/** The CloudWatch agent's configuration the user data writes: the files it ships, its metrics. */
interface CloudWatchAgentConfig {
  readonly logs?: {
    readonly logs_collected?: {
      readonly files?: { readonly collect_list?: { file_path?: string; log_group_name?: string }[] };
    };
  };
  readonly metrics?: { readonly namespace?: string };
}

/** What the CloudWatch agent does as the instances: create streams in its log groups, put events, metrics. */
function cloudWatchAgentNeeds(workload: Workload, script: string): Need[] {
  const { partition, region, account } = workload.scope.stack;
  const written = hereDocuments(script).find((d) => CLOUDWATCH_AGENT_CONFIG.test(d.file));
  if (!written) return [];
  let config: CloudWatchAgentConfig;
  try {
    config = JSON.parse(written.body) as CloudWatchAgentConfig;
  } catch {
    return [];
  }
  const needs: Need[] = [];
  for (const { file_path: file, log_group_name: group } of config.logs?.logs_collected?.files?.collect_list ??
    []) {
    if (!group) continue;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      needs.push({
        role: INSTANCE_ROLE,
        action,
        resource: `arn:${partition}:logs:${region}:${account}:log-group:${group}:log-stream:stand-in`,
        why: `the CloudWatch agent ships ${file ?? 'a file'} to ${group}`,
      });
    }
  }
  if (config.metrics) {
    // The agent's default namespace.
    // @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
    const namespace = config.metrics.namespace ?? 'CWAgent';
    needs.push({
      role: INSTANCE_ROLE,
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': namespace },
      why: `the CloudWatch agent publishes the instance's metrics in ${namespace}`,
    });
  }
  return needs;
}

/** `cfn-signal --stack S`: SignalResource on the stack, its ID as the assembly resolves it when it is this one. */
function signalNeeds(workload: Workload, script: string): Need[] {
  const { scope } = workload;
  const signals = script.split('\n').filter((line) => /\bcfn-signal\b/.test(line));
  return signals.flatMap((line) => {
    const stack = /--stack\s+(\S+)/.exec(line)?.[1];
    if (stack === undefined) return [];
    const region = /--region\s+(\S+)/.exec(line)?.[1] ?? scope.stack.region;
    const { partition, account } = scope.stack;
    const need: Need = {
      role: INSTANCE_ROLE,
      action: 'cloudformation:SignalResource',
      resource:
        stack === scope.stack.stackName && region === scope.stack.region
          ? resolveString(scope, { Ref: 'AWS::StackId' })
          : `arn:${partition}:cloudformation:${region}:${account}:stack/${stack}/*`,
      why: `cfn-signal in the user data tells CloudFormation the instance is up, on ${stack}`,
    };
    return [need];
  });
}

/** The CodeDeploy application and group of every deployment group over one of these Auto Scaling groups. */
function deploymentGroupsOver(
  workload: Workload,
  groups: readonly string[],
): { application: string; group: string }[] {
  const found: { application: string; group: string }[] = [];
  for (const stack of workload.stage.stacks) {
    const scope = { assembly: workload.scope.assembly, stack };
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const located = { scope, logicalId, resource };
      const props = resource.Properties ?? {};
      // CloudFormation's group, or a custom resource that keeps one (the blue/green group, which
      // names the group CloudFormation made, CodeDeploy's first to copy).
      const over =
        resource.Type === 'AWS::CodeDeploy::DeploymentGroup'
          ? ((property(located, 'AutoScalingGroups') ?? []) as unknown[]).map(String)
          : resource.Type.startsWith('Custom::') && props.DeploymentGroupName !== undefined
            ? [String(property(located, 'AutoScalingGroupName'))]
            : [];
      if (over.some((g) => groups.includes(g))) {
        found.push({
          application: String(property(located, 'ApplicationName')),
          group: String(property(located, 'DeploymentGroupName')),
        });
      }
    }
  }
  return found;
}

interface PipelineAction {
  readonly ActionTypeId?: { readonly Provider?: string };
  readonly Configuration?: Record<string, unknown>;
  readonly Region?: string;
}

/**
 * Where the revisions of a deployment group are: the artifact store (of the action's region) of every
 * pipeline whose CodeDeploy action deploys to it.
 */
function revisionBuckets(assembly: AssemblyModel, application: string, group: string): string[] {
  const buckets: string[] = [];
  for (const pipeline of resourcesOfType(assembly, 'AWS::CodePipeline::Pipeline')) {
    const stages = (pipeline.resource.Properties?.Stages ?? []) as { Actions?: PipelineAction[] }[];
    for (const action of stages.flatMap((s) => s.Actions ?? [])) {
      const configuration = action.Configuration ?? {};
      if (
        action.ActionTypeId?.Provider !== 'CodeDeploy' ||
        resolve(pipeline.scope, configuration.ApplicationName) !== application ||
        resolve(pipeline.scope, configuration.DeploymentGroupName) !== group
      ) {
        continue;
      }
      const region =
        action.Region === undefined
          ? pipeline.scope.stack.region
          : resolveString(pipeline.scope, action.Region);
      const store = (property(pipeline, 'ArtifactStore') ??
        (
          property(pipeline, 'ArtifactStores') as { Region?: string; ArtifactStore?: unknown }[] | undefined
        )?.find((s) => s.Region === region)?.ArtifactStore) as { Location?: string } | undefined;
      if (store?.Location) buckets.push(store.Location);
    }
  }
  return [...new Set(buckets)];
}

/**
 * What the CodeDeploy agent does as the instances: download each revision a pipeline deploys to their
 * group, from its artifact store (through S3 with the store's key). A revision named by its version
 * (the release ledger's, which `rollback --release N` deploys again) is read with GetObjectVersion.
 */
function codeDeployAgentNeeds(workload: Workload, groups: readonly string[]): Need[] {
  const { assembly } = workload.scope;
  const needs: Need[] = [];
  for (const { application, group } of deploymentGroupsOver(workload, groups)) {
    for (const bucket of revisionBuckets(assembly, application, group)) {
      const objects = `arn:${workload.scope.stack.partition}:s3:::${bucket}/*`;
      const why = `the CodeDeploy agent downloads the revisions ${group} deploys from ${bucket}`;
      for (const action of ['s3:GetObject', 's3:GetObjectVersion']) {
        needs.push({ role: INSTANCE_ROLE, action, resource: objects, why });
      }
      needs.push(
        ...keyNeeds(assembly, objects, INSTANCE_ROLE, ['kms:Decrypt'], `${why}, encrypted with that key`),
      );
    }
  }
  return needs;
}

/**
 * What AWS's agents on the instances do with their role, as the assembly configures them: the
 * CodeDeploy agent's downloads of the revisions, the CloudWatch agent's logs and metrics (its
 * configuration in the user data), `cfn-signal` (the user data's).
 */
export function instanceRuntimeNeeds(workload: Workload): Need[] {
  const script = userDataOf(workload.scope, workload.resource);
  const groups = autoScalingGroupsOf(workload.scope, workload.logicalId, workload.name).map((g) =>
    reference(g),
  );
  return [
    ...cloudWatchAgentNeeds(workload, script),
    ...signalNeeds(workload, script),
    ...codeDeployAgentNeeds(workload, groups),
  ];
}
