import { codeDeployNames } from '../../codedeploy';
import type { TargetEnvironment } from '../../environment';
import { Naming } from '../../naming';
import { crossAccountRoleArn } from '../../pipelines';
import { ECS_DEPLOYMENT_CONFIGS, SERVICE_STRATEGIES } from './strategies';

/** The folder under the repository root that holds one folder per container service. */
export const SERVICES_FOLDER = 'app/services';

/** The file that makes a folder under app/services a delivered container service. */
export const SERVICE_MANIFEST_FILE = 'service.json';

/** The stack of a service in its environment's stage: construct id `svc-<name>`. */
export function serviceStackId(name: string): string {
  return `svc-${name}`;
}

/** What a service's target reads of its definition. */
export interface ServiceTargetDefinition {
  readonly name: string;
  /** Its manifest: the port, and the canary script when the service ships the environment's canary. */
  readonly manifest: { readonly containerPort: number; readonly canary?: string };
}

/**
 * Everything a pipeline (and the plan) needs to know of a container service in one environment;
 * `roleArn` when the environment is in another account than the pipelines (`toolingAccount`).
 */
export function serviceTarget(
  env: TargetEnvironment,
  definition: ServiceTargetDefinition,
  toolingAccount?: string,
) {
  const naming = new Naming(env.prefix, env.name);
  const serviceName = naming.name(definition.name);
  const { deployment } = env.profile.service;
  const traits = SERVICE_STRATEGIES[deployment.strategy];
  const greenCheck = naming.name(`${definition.name}-green-check`);
  // Only where a hook runs after production traffic moves, and only for the service whose canary it is.
  const canaryGate =
    traits.canaryGate !== undefined && definition.manifest.canary !== undefined
      ? naming.name(`${definition.name}-canary-gate`)
      : undefined;
  return {
    environment: env.name,
    serviceName,
    clusterName: naming.name('cluster'),
    family: serviceName,
    containerName: definition.name,
    containerPort: definition.manifest.containerPort,
    repositoryName: serviceName,
    stackName: naming.stackName(serviceStackId(definition.name)),
    /** SSM parameter holding the image the service runs (`none` until its first delivery). */
    imageParameter: naming.path('services', definition.name, 'image'),
    strategy: deployment.strategy,
    ...codeDeployNames(serviceName),
    /** CodeDeploy's configuration for the profile's traffic choice (codedeploy-blue-green). */
    deploymentConfig: ECS_DEPLOYMENT_CONFIGS[deployment.traffic],
    greenCheck,
    /** The function that waits for the canary's verdict after production traffic moves (see the strategy's `canaryGate`). */
    canaryGate,
    /**
     * The hooks of the CodeDeploy appspec (codedeploy-blue-green): the green check after test traffic,
     * the canary gate after production traffic. Undefined when Amazon ECS runs the deployment.
     */
    hooks:
      traits.controller === 'CODE_DEPLOY'
        ? { afterAllowTestTraffic: greenCheck, ...(canaryGate ? { afterAllowTraffic: canaryGate } : {}) }
        : undefined,
    /** Whether Amazon Inspector scans the image (its findings then need inspector2:ListFindings too). */
    enhancedScanning: env.profile.supplyChain?.scanning === 'enhanced',
    /** The environment's account, when the profile names one. */
    account: env.profile.account,
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** A service's target in one environment. */
export type ServiceTarget = ReturnType<typeof serviceTarget>;
