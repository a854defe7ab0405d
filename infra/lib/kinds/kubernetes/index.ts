import { Aws, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CLUSTER_STACK_ID, kubernetesStackId, kubernetesTarget, type Naming } from '@ias/targets';
import type { WorkloadKind, Workloads } from '../kind';
import { KubernetesApplicationStack } from './application-stack';
import { KubernetesClusterStack } from './cluster-stack';
import { deployProjectStatement } from './pipeline-action';
import { kubernetesDeployWords, kubernetesPlanLines } from './plan';
import { kubernetesReviewFiles } from './review';

const appsOf = (workloads: Workloads) => workloads.kubernetes ?? [];

/**
 * Kubernetes applications on the environment's EKS cluster (seed 004 §4–6): where the profile turns
 * Kubernetes on and a service folder holds a `kubernetes.json`, the cluster stack `eks` and one
 * stack per application (`k8s-<name>`: its pods' role, the database's door, its monitoring and its
 * deploy project) after the config stack. They run the image the service's pipeline builds (build
 * once): the service's pipeline deploys them too; the kind has no pipeline of its own.
 */
export const KUBERNETES_WORKLOAD: WorkloadKind<KubernetesApplicationStack> = {
  id: 'kubernetes',
  workloadsKey: 'kubernetes',
  definitions: appsOf,
  after: 'configuration',
  // The service's repository: built once by its pipeline.
  imageRepositories: () => [],
  parameters: (workloads, naming) =>
    Object.fromEntries(
      appsOf(workloads).map((app) => [
        `kubernetes/${app.name}/image`,
        {
          value: 'none',
          description: `Image ${naming.name(app.name)} runs on the cluster, written by its deploy (none: not delivered yet)`,
        },
      ]),
    ),

  addStacks(stage, workloads, env) {
    const apps = appsOf(workloads);
    const { config, naming } = env;
    if (apps.length === 0 || !config.profile.kubernetes.enabled) return new Map();
    const cluster = new KubernetesClusterStack(stage, CLUSTER_STACK_ID, {
      config,
      naming,
      stackName: naming.stackName(CLUSTER_STACK_ID),
      description: `${naming.base}: EKS cluster (Auto Mode), add-ons, access entries`,
      vpc: env.network.vpc,
      encryptionKey: env.foundation.key,
      // As the personas' AWS access goes: the developer administers (dev); QA and the operator read
      // (the operator changes prod through the pipelines and ias-ops, not kubectl).
      viewers: personaRoleArns(
        stage,
        naming,
        (env.personas ?? []).filter((p) => p !== 'developer'),
      ),
      administrators: personaRoleArns(
        stage,
        naming,
        (env.personas ?? []).filter((p) => p === 'developer'),
      ),
    });
    return new Map(
      apps.map((definition) => {
        const target = kubernetesTarget(config, definition);
        const stack = new KubernetesApplicationStack(stage, kubernetesStackId(definition.name), {
          config,
          naming,
          stackName: target.stackName,
          description: `${naming.base}: Kubernetes application ${definition.name} on ${target.clusterName}: pods' role, database access, monitoring, deploy project`,
          definition,
          eks: cluster.eks,
          database: env.data.database,
          alarmTopic: env.observability.alarmTopic,
          vpc: env.network.vpc,
          encryptionKey: env.foundation.key,
        });
        stack.addStackDependency(env.after);
        stack.addStackDependency(cluster);
        return [definition.name, stack];
      }),
    );
  },

  // The service's pipeline deploys it, with the image it built.
  ownPipelines: false,
  addPipelines: () => new Map(),

  deliveryAccess(stack, env, workloads) {
    const targets = appsOf(workloads).map((a) => kubernetesTarget(env, a));
    const enabled = env.profile.kubernetes.enabled && targets.length > 0;
    return {
      pipelineRoles: [],
      steps: enabled ? [deployProjectStatement(stack, targets)] : [],
      deploy: [],
      deployAcknowledgements: [],
      stackNames: enabled ? targets.map((t) => t.stackName) : [],
      acknowledgements: [],
    };
  },

  githubDeploy(stack, env, workloads) {
    const targets = appsOf(workloads).map((a) => kubernetesTarget(env, a));
    if (!env.profile.kubernetes.enabled || targets.length === 0) return { statements: [] };
    return {
      statements: [
        deployProjectStatement(stack, targets),
        // ias-ops refuses to start a deploy while one is in flight, which it lists first.
        new iam.PolicyStatement({
          actions: ['codebuild:ListBuildsForProject'],
          resources: targets.map((t) =>
            stack.formatArn({ service: 'codebuild', resource: 'project', resourceName: t.deployProject }),
          ),
        }),
      ],
    };
  },

  reviewFiles: (env, workloads) => kubernetesReviewFiles(env, appsOf(workloads)),
  planLines: (env, workloads) => kubernetesPlanLines(env, appsOf(workloads)),
  planDeployWords: kubernetesDeployWords,
};

/** The ARNs of the environment's persona roles `<prefix>-<env>-<persona>` in its account. */
function personaRoleArns(scope: Stage, naming: Naming, personas: readonly string[]): string[] {
  const account = Stage.of(scope)?.account ?? Aws.ACCOUNT_ID;
  return personas.map((p) => `arn:${Aws.PARTITION}:iam::${account}:role/${naming.name(p)}`);
}
