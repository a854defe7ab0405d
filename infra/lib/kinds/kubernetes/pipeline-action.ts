import type { Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { kubernetesTarget, type KubernetesTarget } from '@ias/targets';
import type { KubernetesDefinition } from '../../config/kubernetes';
import type { KubernetesProfile } from '../../config/kubernetes-profile-schema';
import type { EnvironmentConfig } from '../../config/load';
import { ledgerParameters } from '../../pipelines/workload-pipeline-stack';

/** Minutes a deploy may take besides its bakes and retention: rollout, tests, scaling. */
const DEPLOY_OVERHEAD_MINUTES = 30;

/** The longest a Kubernetes deploy may run in an environment: its project's time-out and the step's. */
export function kubernetesDeployMinutes(profile: KubernetesProfile): number {
  const { deployment } = profile;
  return Math.min(
    DEPLOY_OVERHEAD_MINUTES +
      deployment.steps.length * deployment.bakeMinutes +
      deployment.oldColorRetentionMinutes,
    480,
  );
}

/** The Kubernetes application of `service` in `env`, where the profile runs it. */
export function kubernetesAppOf(
  env: EnvironmentConfig,
  service: string,
  apps: readonly KubernetesDefinition[],
): KubernetesTarget | undefined {
  const app = apps.find((a) => a.name === service);
  return app && env.profile.kubernetes.enabled ? kubernetesTarget(env, app) : undefined;
}

/**
 * The `DeployKubernetes` action of a service pipeline's `Deploy-<env>` stage: after the service's own
 * deployment, the same image (`input`'s imageDetail.json) goes to the environment's cluster through
 * the application's deploy project (the steps' `kubernetes-deploy`), whose outcome the release records.
 */
export function kubernetesDeployAction(
  steps: lambda.IFunction,
  input: codepipeline.Artifact,
  env: EnvironmentConfig,
  target: KubernetesTarget,
  runOrder: number,
): actions.LambdaInvokeAction {
  return new actions.LambdaInvokeAction({
    actionName: 'DeployKubernetes',
    lambda: steps,
    inputs: [input],
    userParameters: {
      step: 'kubernetes-deploy',
      environment: target.environment,
      project: target.deployProject,
      timeoutMinutes: kubernetesDeployMinutes(env.profile.kubernetes),
      roleArn: target.roleArn,
      // Recorded under the application's name, as ias-ops reads and records it.
      ledger: ledgerParameters(env, target.app),
    },
    runOrder,
  });
}

/** Starting and following these applications' deploy projects, and nothing else of CodeBuild. */
export function deployProjectStatement(
  stack: Stack,
  targets: readonly KubernetesTarget[],
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
    resources: targets.map((t) =>
      stack.formatArn({ service: 'codebuild', resource: 'project', resourceName: t.deployProject }),
    ),
  });
}
