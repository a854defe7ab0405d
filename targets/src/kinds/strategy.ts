import type { Naming } from '../naming';

/**
 * What one deployment strategy of a workload kind is, for every layer that acts on it: the stacks
 * (controller, listeners), the pipelines (their deploy action), the CLI (its controller) and the plan
 * (its words). Each kind keeps one table of these, keyed by the strategy names its profile accepts.
 */
export interface StrategyTraits<Settings> {
  /**
   * Who runs the deployments: CodeDeploy, Amazon ECS's own deployment controller, or the pipeline's
   * own step, which shifts traffic itself (`PIPELINE`: the judged Lambda strategy's `judged-deploy`
   * step moves the alias; no CodeDeploy deployment is made, so nothing registers with the CodeDeploy
   * canary watcher).
   */
  readonly controller: 'CODE_DEPLOY' | 'ECS' | 'PIPELINE';
  /**
   * The deployment configuration the controller applies, by name (CodeDeploy's predefined ones, or the
   * environment's own); undefined where the controller takes its settings from the workload itself.
   */
  readonly deploymentConfig: (settings: Settings, naming: Naming) => string | undefined;
  /**
   * The listeners traffic moves through: `production` only, or a `test` listener too that reaches the
   * new version before production traffic does. Empty where traffic moves by alias (Lambda).
   */
  readonly listeners: readonly ('production' | 'test')[];
  /**
   * How the pipelines deploy it: the Lambda pipeline's own steps (`lambda-steps`), CodePipeline's
   * CodeDeploy-to-ECS action (`codedeploy-ecs`), or its Amazon ECS deploy action (`ecs`).
   */
  readonly pipelineAction: 'lambda-steps' | 'codedeploy-ecs' | 'ecs';
  /** Which controller `ias-ops` lists, continues, stops and rolls back deployments through. */
  readonly cliController: 'codedeploy' | 'ecs';
  /** How the plan names it, with the environment's settings. */
  readonly words: (settings: Settings) => string;
}

/** How CodeDeploy's predefined shifts read in the plan. */
export const TRAFFIC_WORDS: Readonly<Record<'all-at-once' | 'linear' | 'canary', string>> = {
  'all-at-once': 'all at once',
  linear: 'linear, 10 % every minute',
  canary: 'canary, 10 % for 5 minutes, then the rest',
};
