import { App } from 'aws-cdk-lib';
import { addPolicyGates } from './aspects/policy-gates';
import type { ProjectConfig } from './config/load';
import { EnvironmentStage } from './environment-stage';
import { DeliveryStage } from './delivery-stage';
import { buildGovernanceStack, type GovernanceStack } from './governance';
import { workloadsOf } from './kinds';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Where the cloud assembly is written. @default - the CDK default (the CLI's `cdk.out`) */
  readonly outdir?: string;
  /** Context for the App (cdk.json's feature flags). @default - none besides the CLI's */
  readonly context?: Record<string, unknown>;
  /**
   * Register cdk-nag and the Control Tower guard rules on the app; they check the stacks of every
   * environment in one pass (one guard run for all templates instead of one per stage). Without
   * them, aws-cdk-lib's built-in CloudFormation validation is off too: a synth that only needs a
   * template (the pipeline's function check, whose revision the gates already passed) does not pay
   * for starting its engine (3.4 s) and validating every template.
   * @default true
   */
  readonly policyGates?: boolean;
  /**
   * With the policy gates, run the Control Tower guard rules too (most of a synth's time). Only a
   * test that already checked the same resources with them turns them off.
   * @default true
   */
  readonly guardRules?: boolean;
}

/** The CDK app and the environments it holds. */
export interface BuiltApp {
  /** The app. */
  readonly app: App;
  /** One stage per environment, in promotion order. */
  readonly stages: readonly EnvironmentStage[];
  /** The application pipelines, when the configuration has delivery settings. */
  readonly delivery?: DeliveryStage;
  /** The organization's guardrails (management account), when turned on. */
  readonly governance?: GovernanceStack;
}

/**
 * Builds the whole infrastructure layer: one {@link EnvironmentStage} per environment, and the
 * {@link DeliveryStage} with the application pipelines, under the policy gates.
 */
export function buildApp(config: ProjectConfig, options: BuildAppOptions = {}): BuiltApp {
  const app = new App({
    outdir: options.outdir,
    context: options.context,
    builtinCloudFormationValidation: options.policyGates ?? true,
  });
  // GitHub Actions' OIDC provider: one per account, held by the first stack of the project there.
  const providerAccounts = new Set<string>();
  if (config.delivery?.account) providerAccounts.add(config.delivery.account);
  const stages = config.environments.map((env) => {
    const account = env.profile.account;
    const github =
      config.delivery && account !== undefined
        ? {
            ...workloadsOf(config),
            repository: config.delivery.source.repository,
            createProvider: !providerAccounts.has(account),
          }
        : undefined;
    if (account !== undefined) providerAccounts.add(account);
    return new EnvironmentStage(app, `${config.prefix}-${env.name}`, {
      config: env,
      ...workloadsOf(config),
      toolingAccount: config.delivery?.account,
      pipelineRegion: config.delivery?.region,
      github,
      governance: config.governance,
    });
  });
  const delivery = config.delivery
    ? new DeliveryStage(app, `${config.prefix}-delivery`, {
        prefix: config.prefix,
        delivery: config.delivery,
        environments: config.environments,
        ...workloadsOf(config),
        environmentStages: stages,
      })
    : undefined;
  const governance = config.governance
    ? buildGovernanceStack(app, config.governance, config.prefix)
    : undefined;
  if (options.policyGates ?? true) {
    addPolicyGates(app, { guardRules: options.guardRules });
  }
  return { app, stages, delivery, governance };
}
