import { LAMBDA_STRATEGIES } from '@ias/targets';
import type { FunctionDefinition } from '../../config/functions';
import type { EnvironmentConfig } from '../../config/load';

/** How a function's pipeline deploys to an environment, in the plan's words. */
export function functionDeployWords(env: EnvironmentConfig): string {
  const { deployment } = env.profile.lambda;
  return LAMBDA_STRATEGIES[deployment].words(deployment);
}

/** The functions of an environment in its section of the plan. */
export function functionPlanLines(
  env: EnvironmentConfig,
  functions: readonly FunctionDefinition[],
): string[] {
  if (functions.length === 0) {
    return [];
  }
  const l = env.profile.lambda;
  const by = LAMBDA_STRATEGIES[l.deployment].controller === 'CODE_DEPLOY' ? 'CodeDeploy ' : '';
  return [
    `  functions: ${functions.map((f) => `${env.prefix}-${env.name}-${f.name} (${f.manifest.trigger.type})`).join(', ')}`,
    `    alias live shifted by ${by}${functionDeployWords(env)}; rolls back on failure, on stop, and on alarm: errors ≥ ${l.errorsPerMinute}/min, throttles ≥ ${l.throttlesPerMinute}/min, p99 duration ≥ ${l.p99DurationPercentOfTimeout} % of the timeout`,
    `    alarms: ${functions.map((f) => `${env.prefix}-${env.name}-${f.name}-{errors,throttles,duration}`).join(', ')}`,
    `    hooks: ${env.prefix}-${env.name}-pre-traffic-hook (invokes the new version with its smoke event), ${env.prefix}-${env.name}-post-traffic-hook (invokes the alias, checks the alarms)`,
  ];
}
