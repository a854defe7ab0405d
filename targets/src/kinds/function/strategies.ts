import type { Naming } from '../../naming';
import { TRAFFIC_WORDS, type StrategyTraits } from '../strategy';

/** Ways CodeDeploy shifts a function alias to a new version. */
export const LAMBDA_DEPLOYMENTS = ['all-at-once', 'linear', 'canary', 'linear-25-every-10-minutes'] as const;

/** A function deployment strategy. */
export type LambdaStrategy = (typeof LAMBDA_DEPLOYMENTS)[number];

/** Seed 003's own configuration: time-based linear, 25 % every 10 minutes, one per environment. */
export const SEED_LINEAR_CONFIG = {
  strategy: 'linear-25-every-10-minutes',
  percentage: 25,
  intervalMinutes: 10,
} as const;

/** The CodeDeploy name of the deployment configuration a profile chooses. */
export function deploymentConfigName(choice: LambdaStrategy, naming: Naming): string {
  switch (choice) {
    case 'all-at-once':
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

/** Every function strategy, in one table: the stacks, pipelines, plan and CLI read them here. */
export const LAMBDA_STRATEGIES: Readonly<Record<LambdaStrategy, StrategyTraits<LambdaStrategy>>> = {
  'all-at-once': shiftedByCodeDeploy(TRAFFIC_WORDS['all-at-once']),
  linear: shiftedByCodeDeploy(TRAFFIC_WORDS.linear),
  canary: shiftedByCodeDeploy(TRAFFIC_WORDS.canary),
  'linear-25-every-10-minutes': shiftedByCodeDeploy(
    `seed 003's linear, ${SEED_LINEAR_CONFIG.percentage} % every ${SEED_LINEAR_CONFIG.intervalMinutes} minutes`,
  ),
};
