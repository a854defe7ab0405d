import type { FunctionDefinition } from '../config/functions';
import type { ServiceDefinition } from '../config/services';
import type { EnvironmentConfig } from '../config/load';
import { codeDeployNames } from '@ias/delivery/src/names';
import { Naming } from '../config/naming';
import type { LAMBDA_DEPLOYMENTS } from '../config/profile-schema';
import type { SERVICE_TRAFFIC } from '../config/service-profile-schema';

/** The names of an environment's traffic hooks, known to every function's stack without a reference. */
export function trafficHookNames(naming: Naming) {
  return {
    /** CodeDeploy's BeforeAllowTraffic hook. */
    preTraffic: naming.name('pre-traffic-hook'),
    /** CodeDeploy's AfterAllowTraffic hook. */
    postTraffic: naming.name('post-traffic-hook'),
    /** The role both run with; each function's stack grants it what it needs on that function. */
    role: naming.name('traffic-hooks'),
    /** SSM path under which each function's smoke event is stored, by function name. */
    smokeEventsPath: naming.path('smoke-events') + '/',
  };
}

/** Days the pipelines' build and step logs are kept. */
export const PIPELINE_LOG_RETENTION = 30;

/** The pipelines' own names: the stage `<prefix>-delivery` and its shared resources. */
export function deliveryNaming(prefix: string): Naming {
  return new Naming(prefix, 'delivery');
}

/**
 * Seed 003's names for one function's pipeline, with `${ProjectName}` = `<prefix>-<function>`:
 * `-pipeline`, `-build`, `-artifact-store` (plus account and region, for a globally unique bucket).
 */
export function pipelineNames(prefix: string, functionName: string) {
  const project = `${prefix}-${functionName}`;
  return {
    project,
    pipeline: `${project}-pipeline`,
    stack: `${project}-pipeline`,
    build: `${project}-build`,
    check: `${project}-check`,
    steps: `${project}-pipeline-steps`,
    artifactStore: `${project}-artifact-store`,
  };
}

/**
 * The bucket of a pipeline's artifact store: seed 003's `${ProjectName}-artifact-store`, made
 * globally unique by the tooling account (the pipelines live in one region, so the region is not
 * needed, and leaving it out keeps room for the prefix and the name within S3's 63 characters).
 */
export function artifactStoreBucketName(artifactStore: string, account: string): string {
  return `${artifactStore}-${account}`;
}

/** S3's limit on a bucket name. */
const BUCKET_NAME_MAX = 63;

/**
 * Why a function's or service's pipeline names cannot be built with a prefix, one line each (empty
 * when they can): its artifact store bucket, the longest name, must fit S3's limit.
 */
export function pipelineNameProblems(prefix: string, names: readonly string[]): string[] {
  const room =
    BUCKET_NAME_MAX - artifactStoreBucketName(pipelineNames(prefix, '').artifactStore, '123456789012').length;
  return names
    .filter((name) => name.length > room)
    .map(
      (name) =>
        `${name}: ${artifactStoreBucketName(pipelineNames(prefix, name).artifactStore, '<account>')} would be ${artifactStoreBucketName(pipelineNames(prefix, name).artifactStore, '123456789012').length} characters, over S3's ${BUCKET_NAME_MAX}: with the prefix "${prefix}", a function or service name may have at most ${room} characters`,
    );
}

/** The CodeDeploy name of the deployment configuration a profile chooses. */
export function deploymentConfigName(choice: (typeof LAMBDA_DEPLOYMENTS)[number], naming: Naming): string {
  switch (choice) {
    case 'all-at-once':
      return 'CodeDeployDefault.LambdaAllAtOnce';
    case 'linear':
      return 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute';
    case 'canary':
      return 'CodeDeployDefault.LambdaCanary10Percent5Minutes';
    case 'linear-25-every-10-minutes':
      return naming.name('lambda-linear-25-every-10-minutes');
  }
}

/**
 * Everything a pipeline needs to know of a function in one environment, by name; `roleArn` when the
 * environment is in another account than the pipelines (`toolingAccount`).
 */
export function functionTarget(
  env: EnvironmentConfig,
  definition: FunctionDefinition,
  toolingAccount?: string,
) {
  const naming = new Naming(env.prefix, env.name);
  const functionName = naming.name(definition.name);
  const hooks = trafficHookNames(naming);
  return {
    environment: env.name,
    functionName,
    alias: 'live',
    stackName: naming.stackName(`fn-${definition.name}`),
    ...codeDeployNames(functionName),
    deploymentConfig: deploymentConfigName(env.profile.lambda.deployment, naming),
    hooks: { beforeAllowTraffic: hooks.preTraffic, afterAllowTraffic: hooks.postTraffic },
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** A function's target in one environment. */
export type FunctionTarget = ReturnType<typeof functionTarget>;

/** CodeDeploy's predefined ECS configurations, by the profile's traffic choice. */
export const ECS_DEPLOYMENT_CONFIGS: Readonly<Record<(typeof SERVICE_TRAFFIC)[number], string>> = {
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
  linear: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  canary: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
};

/**
 * Everything a pipeline (and the plan) needs to know of a container service in one environment;
 * `roleArn` when the environment is in another account than the pipelines (`toolingAccount`).
 */
export function serviceTarget(
  env: EnvironmentConfig,
  definition: ServiceDefinition,
  toolingAccount?: string,
) {
  const naming = new Naming(env.prefix, env.name);
  const serviceName = naming.name(definition.name);
  const { deployment } = env.profile.service;
  return {
    environment: env.name,
    serviceName,
    clusterName: naming.name('cluster'),
    family: serviceName,
    containerName: definition.name,
    containerPort: definition.manifest.containerPort,
    repositoryName: serviceName,
    stackName: naming.stackName(`svc-${definition.name}`),
    /** SSM parameter holding the image the service runs (`none` until its first delivery). */
    imageParameter: naming.path('services', definition.name, 'image'),
    strategy: deployment.strategy,
    ...codeDeployNames(serviceName),
    /** CodeDeploy's configuration for the profile's traffic choice (codedeploy-blue-green). */
    deploymentConfig: ECS_DEPLOYMENT_CONFIGS[deployment.traffic],
    greenCheck: naming.name(`${definition.name}-green-check`),
    /** The environment's account, when the profile names one. */
    account: env.profile.account,
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** A service's target in one environment. */
export type ServiceTarget = ReturnType<typeof serviceTarget>;

/**
 * The role a pipeline's steps assume to act in an environment's account, `<prefix>-<env>-delivery`,
 * when that account is not the pipelines' (the tooling account); undefined when they share one.
 */
export function crossAccountRoleArn(
  env: EnvironmentConfig,
  toolingAccount: string | undefined,
): string | undefined {
  const account = env.profile.account;
  if (account === undefined || account === toolingAccount) {
    return undefined;
  }
  return `arn:aws:iam::${account}:role/${deliveryRoleName(new Naming(env.prefix, env.name))}`;
}

/** The name of an environment's delivery role (see {@link crossAccountRoleArn}). */
export function deliveryRoleName(naming: Naming): string {
  return naming.name('delivery');
}
