/**
 * A Kubernetes application's two workloads, found through its deploy project (the CodeBuild project
 * that runs delivery/src/kinds/kubernetes/deploy-cli.ts over the deploy file of its source):
 *
 * - the project itself: the deploy file must be one the CLI reads, and name what the stage holds
 *   (the cluster, the alarms, the SSM parameters); its role needs an access entry on the cluster, and
 *   its network the Kubernetes API's port;
 * - the pods that deploy starts (kubernetes-pods.ts), as the delivery's own renderer makes them
 *   from that file.
 */
import {
  type DeployFile,
  deployFileSchema,
  type KubernetesObject,
  renderColor,
  renderShared,
  REVIEW_IMAGE_DIGEST,
} from '@ias/delivery';
import { attribute, property, resourcesOfType, resourceWhere, type Located } from './facts';
import { kubernetesPods } from './kubernetes-pods';
import { knownParameterValue } from './resolve';
import { sourceJson } from './sources';
import type { Workload, WorkloadConnection, WorkloadProblem } from './workloads';

/** The resource of the workload's stage of a type whose property resolves to `value`. */
function inStage(workload: Workload, type: string, name: string, value: string): Located | undefined {
  return resourceWhere(workload.scope.assembly, type, name, value, workload.stage.stacks);
}

/** The recording of a Kubernetes application's deploy project. */
export const KUBERNETES_DEPLOY = 'kubernetes:deploy';

/**
 * The recording of a deploy the canary judge judges (load balancer, metrics, looks kept): a deploy
 * project is held to it too where its deploy file has the judge (`canary`).
 */
export const KUBERNETES_DEPLOY_JUDGED = 'kubernetes:deploy-judged';

/** The deploy file in the project's source (infra/lib/kinds/kubernetes/deploy-project.ts). */
export const DEPLOY_FILE = 'deploy.json';

/** What reading a deploy project found, and the pods its deploy file describes. */
export interface KubernetesWorkloads {
  /** The deploy project, with what is wrong with its deploy file and the connection to the cluster. */
  readonly project: Workload;
  /** The application's pods, when the deploy file renders. */
  readonly pods?: Workload;
}

/** The deploy project and the pods of the application its deploy file names. */
export function kubernetesWorkloads(project: Workload): KubernetesWorkloads {
  const problems: WorkloadProblem[] = [];
  const connects: WorkloadConnection[] = [];
  const stops = (fails: string, missing: string, check: WorkloadProblem['check'] = 'configuration') =>
    problems.push({ check, fails: `every deploy stops: ${fails}`, missing });
  let recordings = project.recordings;
  const done = (pods?: Workload): KubernetesWorkloads => ({
    project: { ...project, recordings, settingsFrom: `${DEPLOY_FILE} in its source`, problems, connects },
    pods,
  });

  const read = sourceJson(project, DEPLOY_FILE);
  if ('problem' in read) {
    stops(read.problem, `${DEPLOY_FILE} in its source (infra/lib/kinds/kubernetes/deploy-project.ts)`);
    return done();
  }
  const parsed = deployFileSchema.safeParse(read.value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    stops(`${DEPLOY_FILE} is refused (${issues.join('; ')})`, 'a deploy file the deploy CLI reads');
    return done();
  }
  const file = parsed.data;
  const { stack } = project.scope;
  // The deploy file decides which calls the project makes: the canary judge's only where it judges.
  if (file.canary) recordings = [...recordings, KUBERNETES_DEPLOY_JUDGED];
  const clusterName = file.target.clusterName;

  // The buildspec passes these as --env and --app, which must name the file's application.
  for (const [variable, expected] of [
    ['ENVIRONMENT', file.environment],
    ['APP', file.target.app],
  ] as const) {
    const given = project.environment[variable];
    if (given !== undefined && given !== expected) {
      stops(
        `${variable}=${given} names another application than ${DEPLOY_FILE}'s (${expected})`,
        `the environment variable ${variable}=${expected}`,
      );
    }
  }
  const region = file.region ?? stack.region;
  if (region !== stack.region) {
    stops(
      `it looks for the cluster, the alarms and the parameters in ${region}; the stage is in ${stack.region}`,
      `region ${stack.region} in ${DEPLOY_FILE}`,
    );
  }
  for (const alarm of file.alarms) {
    if (
      !inStage(project, 'AWS::CloudWatch::Alarm', 'AlarmName', alarm) &&
      !inStage(project, 'AWS::CloudWatch::CompositeAlarm', 'AlarmName', alarm)
    ) {
      stops(`the alarm ${alarm} it watches does not exist`, `the alarm ${alarm}`);
    }
  }
  for (const [setting, parameter] of Object.entries(file.parameters)) {
    if (knownParameterValue(project.scope, parameter) === undefined) {
      stops(
        `the parameter ${parameter} it reads for ${setting} does not exist`,
        `the SSM parameter ${parameter}`,
      );
    }
  }
  const cluster = inStage(project, 'AWS::EKS::Cluster', 'Name', clusterName);
  if (!cluster) {
    stops(
      `there is no EKS cluster ${clusterName} in ${project.stage.stageId}`,
      `the EKS cluster ${clusterName}`,
    );
    return done();
  }
  const clusterGroup = attribute(cluster, 'ClusterSecurityGroupId');
  const vpcConfig = (property(cluster, 'ResourcesVpcConfig') ?? {}) as {
    SecurityGroupIds?: string[];
    SubnetIds?: string[];
  };
  // The API server's interfaces carry the cluster security group and the groups given to EKS.
  connects.push({
    name: `the Kubernetes API of ${clusterName}`,
    groups: [clusterGroup, ...(vpcConfig.SecurityGroupIds ?? [])],
    port: 443,
  });
  const projectRole = project.roles[0];
  if (projectRole && !hasAccessEntry(project, clusterName, projectRole.arn)) {
    stops(
      `${clusterName} refuses its Kubernetes calls (401 Unauthorized)`,
      `an EKS access entry for ${projectRole.name} on ${clusterName}, with an access policy`,
      'permissions',
    );
  }

  const rendered = render(project, file);
  if ('problem' in rendered) {
    stops(`the manifests do not render: ${rendered.problem}`, `a deploy file the manifests render from`);
    return done();
  }
  return done(
    kubernetesPods(project, file, rendered.objects, cluster, {
      securityGroups: [clusterGroup],
      subnets: (vpcConfig.SubnetIds ?? []).map(String),
    }),
  );
}

/** Whether an access entry on the cluster admits the principal with at least one access policy. */
function hasAccessEntry(workload: Workload, clusterName: string, principal: string): boolean {
  return resourcesOfType(workload.scope.assembly, 'AWS::EKS::AccessEntry', workload.stage.stacks).some(
    (entry) =>
      property(entry, 'ClusterName') === clusterName &&
      property(entry, 'PrincipalArn') === principal &&
      ((property(entry, 'AccessPolicies') ?? []) as unknown[]).length > 0,
  );
}

/**
 * The objects a deploy applies, as the delivery renders them from the deploy file: its settings
 * with each SSM parameter's value as the assembly sets it, the image a placeholder of its repository.
 */
function render(project: Workload, file: DeployFile): { objects: KubernetesObject[] } | { problem: string } {
  const { account, region } = project.scope.stack;
  const config = {
    ...file.input.config,
    ...Object.fromEntries(
      Object.entries(file.parameters).map(([setting, parameter]) => [
        setting,
        knownParameterValue(project.scope, parameter) ?? `<from ${parameter}>`,
      ]),
    ),
  };
  const input = { ...file.input, target: file.target, config, servingColor: 'blue' as const };
  const image = `${account}.dkr.ecr.${region}.amazonaws.com/${file.target.repositoryName}@${REVIEW_IMAGE_DIGEST}`;
  try {
    return { objects: [...renderShared(input), ...renderColor(input, 'green', image)] };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
