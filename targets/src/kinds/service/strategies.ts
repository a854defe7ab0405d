import { TRAFFIC_WORDS, type StrategyTraits } from '../strategy';

/**
 * Ways a service ships a new task definition, chosen per environment (see the README's
 * "Container delivery" for the trade-offs):
 *
 * - `codedeploy-blue-green`: the seeds' path. CodeDeploy owns the service (deployment controller
 *   CODE_DEPLOY), starts the green task set, opens the test listener to it, checks it, then moves
 *   production traffic (all at once, linear or canary) and keeps the blue set for a while.
 * - `ecs-blue-green`, `ecs-linear`, `ecs-canary`: Amazon ECS's own deployments (controller ECS) with
 *   the same two target groups and test listener, a lifecycle hook that checks the green side
 *   before production traffic moves, a bake time, and rollback on the service's alarms.
 * - `rolling`: ECS rolling update with the deployment circuit breaker and rollback (seed 002's
 *   imagedefinitions.json path).
 */
export const SERVICE_DEPLOYMENTS = [
  'codedeploy-blue-green',
  'ecs-blue-green',
  'ecs-linear',
  'ecs-canary',
  'rolling',
] as const;

/** A service deployment strategy. */
export type ServiceStrategy = (typeof SERVICE_DEPLOYMENTS)[number];

/** How CodeDeploy moves production traffic to the green task set. */
export const SERVICE_TRAFFIC = ['all-at-once', 'linear', 'canary'] as const;

/** A CodeDeploy traffic choice for services. */
export type ServiceTraffic = (typeof SERVICE_TRAFFIC)[number];

/** CodeDeploy's predefined ECS configurations, by the profile's traffic choice. */
export const ECS_DEPLOYMENT_CONFIGS: Readonly<Record<ServiceTraffic, string>> = {
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
  linear: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  canary: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
};

/** The profile's service deployment settings a strategy's traits read. */
export interface ServiceDeploymentSettings {
  readonly traffic: ServiceTraffic;
  readonly blueRetentionMinutes: number;
  readonly bakeMinutes: number;
  readonly stepPercent: number;
  readonly stepMinutes: number;
}

/** What a service strategy is, besides the traits every kind's strategies have. */
export interface ServiceStrategyTraits extends StrategyTraits<ServiceDeploymentSettings> {
  /** Two target groups and a test listener: the green side is checked before traffic moves. */
  readonly blueGreen: boolean;
  /** Amazon ECS's own deployment strategy, for the deployments it runs with lifecycle stages. */
  readonly ecsNative?: 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  /**
   * Who invokes the green check (the function that checks the green side through the test
   * listener before production traffic moves): CodeDeploy, as the appspec's AfterAllowTestTraffic
   * hook (the check reports back to CodeDeploy), or Amazon ECS, as the service's
   * POST_TEST_TRAFFIC_SHIFT lifecycle hook. Undefined without a test listener.
   */
  readonly greenCheck?: 'codedeploy-hook' | 'ecs-hook';
  /**
   * Who invokes the canary gate (the function that waits for the environment's canary to pass a
   * run that started after production traffic moved): CodeDeploy, as the appspec's
   * AfterAllowTraffic hook (the gate reports back to CodeDeploy), or Amazon ECS, as the service's
   * POST_PRODUCTION_TRAFFIC_SHIFT lifecycle hook. Undefined for `rolling`: an ECS rolling update has
   * no hook after traffic moves; its circuit breaker and deployment alarms decide alone.
   */
  readonly canaryGate?: 'codedeploy-hook' | 'ecs-hook';
  /**
   * How production traffic moves between the blue and green target groups: CodeDeploy rewrites the
   * listeners' default actions; Amazon ECS rewrites the weights of a listener rule. Undefined
   * without a green side.
   */
  readonly trafficShift?: 'default-actions' | 'rule-weights';
}

const BLUE_GREEN_LISTENERS = ['production', 'test'] as const;

/** One of Amazon ECS's own blue/green, linear or canary deployments. */
function ecsNative(
  ecsNativeStrategy: NonNullable<ServiceStrategyTraits['ecsNative']>,
  words: (d: ServiceDeploymentSettings) => string,
): ServiceStrategyTraits {
  return {
    controller: 'ECS',
    blueGreen: true,
    ecsNative: ecsNativeStrategy,
    greenCheck: 'ecs-hook',
    canaryGate: 'ecs-hook',
    trafficShift: 'rule-weights',
    listeners: BLUE_GREEN_LISTENERS,
    deploymentConfig: () => undefined,
    pipelineAction: 'ecs',
    cliController: 'ecs',
    words: (d) => `${words(d)}, bake ${d.bakeMinutes} min`,
  };
}

/** Every strategy's traits, in one table: the stacks, pipelines, plan and CLI read them here. */
export const SERVICE_STRATEGIES: Readonly<Record<ServiceStrategy, ServiceStrategyTraits>> = {
  'codedeploy-blue-green': {
    controller: 'CODE_DEPLOY',
    blueGreen: true,
    greenCheck: 'codedeploy-hook',
    canaryGate: 'codedeploy-hook',
    trafficShift: 'default-actions',
    listeners: BLUE_GREEN_LISTENERS,
    deploymentConfig: (d) => ECS_DEPLOYMENT_CONFIGS[d.traffic],
    pipelineAction: 'codedeploy-ecs',
    cliController: 'codedeploy',
    words: (d) =>
      `CodeDeploy blue/green, traffic ${TRAFFIC_WORDS[d.traffic]}, blue kept ${d.blueRetentionMinutes} min`,
  },
  'ecs-blue-green': ecsNative('BLUE_GREEN', () => 'Amazon ECS blue/green'),
  'ecs-linear': ecsNative(
    'LINEAR',
    (d) => `Amazon ECS linear, ${d.stepPercent} % every ${d.stepMinutes} min`,
  ),
  'ecs-canary': ecsNative('CANARY', (d) => `Amazon ECS canary, ${d.stepPercent} % for ${d.stepMinutes} min`),
  rolling: {
    controller: 'ECS',
    blueGreen: false,
    listeners: ['production'],
    deploymentConfig: () => undefined,
    pipelineAction: 'ecs',
    cliController: 'ecs',
    words: () => 'ECS rolling update, circuit breaker with rollback',
  },
};

/** Whether CodeDeploy owns a strategy's deployments (deployment controller CODE_DEPLOY). */
export function deployedByCodeDeploy(strategy: ServiceStrategy): boolean {
  return SERVICE_STRATEGIES[strategy].controller === 'CODE_DEPLOY';
}

/** The strategies Amazon ECS runs with lifecycle stages (green side, test listener, hooks). */
export const NATIVE_BLUE_GREEN: readonly ServiceStrategy[] = SERVICE_DEPLOYMENTS.filter(
  (s) => SERVICE_STRATEGIES[s].ecsNative !== undefined,
);
