import { codeDeployNames } from '../../codedeploy';
import type { TargetEnvironment } from '../../environment';
import { trafficHookNames } from '../../hooks';
import { Naming } from '../../naming';
import { crossAccountRoleArn } from '../../pipelines';
import { deploymentConfigName } from './strategies';

/** The folder under the repository root that holds one folder per function. */
export const FUNCTIONS_FOLDER = 'app/functions';

/** The file that makes a folder under app/functions a delivered function. */
export const FUNCTION_MANIFEST_FILE = 'function.json';

/** The stack of a function in its environment's stage: construct id `fn-<name>`. */
export function functionStackId(name: string): string {
  return `fn-${name}`;
}

/**
 * The alarms on a function's alias `live` that stop and roll back its deployments: its CodeDeploy
 * group's, and those the judged step watches (`<function>-errors`, `-throttles`, `-duration`).
 */
export function functionAlarmNames(functionName: string) {
  return {
    errors: `${functionName}-errors`,
    throttles: `${functionName}-throttles`,
    duration: `${functionName}-duration`,
  } as const;
}

/**
 * Everything a pipeline needs to know of a function in one environment, by name; `roleArn` when the
 * environment is in another account than the pipelines (`toolingAccount`).
 */
export function functionTarget(
  env: TargetEnvironment,
  definition: { readonly name: string },
  toolingAccount?: string,
) {
  const naming = new Naming(env.prefix, env.name);
  const functionName = naming.name(definition.name);
  const hooks = trafficHookNames(naming);
  const { deployment } = env.profile.lambda;
  return {
    environment: env.name,
    functionName,
    alias: 'live',
    stackName: naming.stackName(functionStackId(definition.name)),
    ...codeDeployNames(functionName),
    deploymentConfig: deploymentConfigName(deployment, naming),
    /** The profile's strategy (`LAMBDA_STRATEGIES`): `judged` deploys through the judged step. */
    strategy: deployment,
    /** The alarms that roll a deployment back, by name. */
    alarms: Object.values(functionAlarmNames(functionName)),
    hooks: { beforeAllowTraffic: hooks.preTraffic, afterAllowTraffic: hooks.postTraffic },
    /** The environment's account, when the profile names one. */
    account: env.profile.account,
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** A function's target in one environment. */
export type FunctionTarget = ReturnType<typeof functionTarget>;
