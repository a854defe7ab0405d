import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { EnvironmentConfig } from '../config/load';

/** The action's name: the first of every `Deploy-<env>` stage. */
export const SUPPLY_CHAIN_GATE_ACTION = 'SupplyChainGate';

/** What the gate decides on besides the artifact: the environment, and for a service its image. */
export interface SupplyChainGateTarget {
  /** The environment's name, as the steps know it. */
  readonly environment: string;
  /**
   * The environment's ECR repository: the gate also decides on the scan of the artifact's image.
   * @default - none: only the bundle's npm audit (a function)
   */
  readonly repository?: string;
  /**
   * The environment's delivery role, when it is in another account: the scan is read through it.
   * @default - the steps function's own role
   */
  readonly roleArn?: string;
}

/**
 * The `SupplyChainGate` action (runOrder 1) of an environment's deploy stage: the steps function's
 * `supply-chain-gate` step on `input` (the build output carrying `supply-chain/audit.json` and
 * `supply-chain/exceptions.json`, and for a service `imageDetail.json`), stopping the stage on any
 * finding at or above the environment's `supplyChain.failOn`.
 */
export function supplyChainGate(
  steps: lambda.IFunction,
  input: codepipeline.Artifact,
  env: EnvironmentConfig,
  target: SupplyChainGateTarget,
): actions.LambdaInvokeAction {
  return new actions.LambdaInvokeAction({
    actionName: SUPPLY_CHAIN_GATE_ACTION,
    lambda: steps,
    inputs: [input],
    userParameters: {
      step: 'supply-chain-gate',
      environment: target.environment,
      failOn: env.profile.supplyChain.failOn,
      repository: target.repository,
      roleArn: target.roleArn,
    },
    runOrder: 1,
  });
}
