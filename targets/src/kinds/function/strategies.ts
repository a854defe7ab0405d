import type { Naming } from '../../naming';
import { TRAFFIC_WORDS, type StrategyTraits } from '../strategy';

/**
 * Ways a function's alias `live` moves to a new version: CodeDeploy's fixed shifts (`all-at-once`,
 * `linear`, `canary`, seed 003's `linear-25-every-10-minutes`), or `judged`: the pipeline's own
 * `judged-deploy` step shifts the alias through the profile's weights (`lambda.judgedSteps`), each
 * step baked and judged by the canary judge, and moves on only when the judge lets it.
 */
export const LAMBDA_DEPLOYMENTS = [
  'all-at-once',
  'linear',
  'canary',
  'linear-25-every-10-minutes',
  'judged',
] as const;

/** A function deployment strategy. */
export type LambdaStrategy = (typeof LAMBDA_DEPLOYMENTS)[number];

/** Seed 003's own configuration: time-based linear, 25 % every 10 minutes, one per environment. */
export const SEED_LINEAR_CONFIG = {
  strategy: 'linear-25-every-10-minutes',
  percentage: 25,
  intervalMinutes: 10,
} as const;

/** The new version's weights of a judged deployment when the profile names none (`lambda.judgedSteps`). */
export const DEFAULT_JUDGED_STEPS: readonly number[] = [10, 50, 100];

/**
 * Minutes a judged step can take beyond its bake: the partial minute of its shift, the minute
 * CloudWatch is still filling, and up to a minute between two looks. The delivery step checks its
 * time-out with the same count ({@link judgedBakesMinutes}).
 */
export const JUDGED_STEP_OVERHEAD_MINUTES = 3;

/**
 * The longest time-out a judged deployment is given, in minutes. CodePipeline fails a Lambda invoke
 * action after 24 hours whatever its continuation tokens say, which would leave the alias split: an
 * hour less leaves the step its own time-out, and the minute it takes to put the alias back, first.
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html
 */
export const JUDGED_MAX_TIMEOUT_MINUTES = 23 * 60;

/** The minutes a judged deployment's bakes take at most: each step below 100 bakes, plus its overhead. */
export function judgedBakesMinutes(steps: readonly number[], bakeMinutes: number): number {
  return steps.filter((weight) => weight < 100).length * (bakeMinutes + JUDGED_STEP_OVERHEAD_MINUTES);
}

/**
 * The time-out a judged deployment runs under, from its first shift, in minutes: twice its bakes (as
 * the delivery step's own default: CodePipeline's re-invocations and a CLI's minute ticks come late
 * now and then), at most {@link JUDGED_MAX_TIMEOUT_MINUTES}, never less than the bakes (the profile
 * refuses steps and a bake whose bakes do not fit under that bound).
 */
export function judgedTimeoutMinutes(steps: readonly number[], bakeMinutes: number): number {
  const bakes = judgedBakesMinutes(steps, bakeMinutes);
  return Math.min(2 * bakes, Math.max(bakes, JUDGED_MAX_TIMEOUT_MINUTES));
}

/**
 * The CodeDeploy name of the deployment configuration of a function's deployment group under the
 * profile's choice. Under `judged` the group stays (ops's in-flight checks read it, and switching
 * strategies never replaces it) but no deployment of the pipeline or of `ias-ops` goes through it:
 * all at once, the configuration of a CodeDeploy deployment made by hand, which the judged step
 * never reads.
 */
export function deploymentConfigName(choice: LambdaStrategy, naming: Naming): string {
  switch (choice) {
    case 'all-at-once':
    case 'judged':
      return 'CodeDeployDefault.LambdaAllAtOnce';
    case 'linear':
      return 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute';
    case 'canary':
      return 'CodeDeployDefault.LambdaCanary10Percent5Minutes';
    case 'linear-25-every-10-minutes':
      return naming.name(`lambda-${SEED_LINEAR_CONFIG.strategy}`);
  }
}

/** A strategy CodeDeploy runs on the alias `live`, started by the Lambda pipeline's own steps. */
function shiftedByCodeDeploy(words: string): StrategyTraits<LambdaStrategy> {
  return {
    controller: 'CODE_DEPLOY',
    deploymentConfig: deploymentConfigName,
    listeners: [],
    pipelineAction: 'lambda-steps',
    cliController: 'codedeploy',
    words: () => words,
  };
}

/**
 * The judged strategy: the pipeline's `judged-deploy` step (and `ias-ops deploy lambda`) moves the
 * alias itself, so
 * - `controller: 'PIPELINE'`: no CodeDeploy deployment, so the function's group is not registered with
 *   the CodeDeploy canary watcher (the step judges each step itself) and the pipeline's deploy action
 *   runs `judged-deploy` instead of `deploy`;
 * - `deploymentConfig` undefined: that controller applies no CodeDeploy configuration (the group's
 *   own, {@link deploymentConfigName}, is never read by it);
 * - `pipelineAction: 'lambda-steps'`: still a Lambda invoke of the function's steps function;
 * - `cliController: 'codedeploy'`: the function's deployment group stays, and `ias-ops deployments`,
 *   `lambda shift|promote|rollback` and `rollback --release` still check it for a deployment in flight
 *   (a judged shift in flight is not a CodeDeploy deployment: it shows as the alias's routing).
 */
const JUDGED: StrategyTraits<LambdaStrategy> = {
  controller: 'PIPELINE',
  deploymentConfig: () => undefined,
  listeners: [],
  pipelineAction: 'lambda-steps',
  cliController: 'codedeploy',
  words: () =>
    'judged: the pipeline shifts the alias through lambda.judgedSteps, each step baked and judged by the canary judge, back on a fail, an alarm or the time-out',
};

/** Every function strategy, in one table: the stacks, pipelines, plan and CLI read them here. */
export const LAMBDA_STRATEGIES: Readonly<Record<LambdaStrategy, StrategyTraits<LambdaStrategy>>> = {
  'all-at-once': shiftedByCodeDeploy(TRAFFIC_WORDS['all-at-once']),
  linear: shiftedByCodeDeploy(TRAFFIC_WORDS.linear),
  canary: shiftedByCodeDeploy(TRAFFIC_WORDS.canary),
  'linear-25-every-10-minutes': shiftedByCodeDeploy(
    `seed 003's linear, ${SEED_LINEAR_CONFIG.percentage} % every ${SEED_LINEAR_CONFIG.intervalMinutes} minutes`,
  ),
  judged: JUDGED,
};
