import { Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { environmentArtifactBucketName, Naming } from '@ias/targets';
import type { EnvironmentConfig } from '../config/load';

/** The action's name: the first of every `Deploy-<env>` stage. */
export const SUPPLY_CHAIN_GATE_ACTION = 'SupplyChainGate';

/** The source action's variable the gate names the stored SBOM by: the commit built. */
export const SOURCE_COMMIT = '#{SourceVariables.CommitId}';

/** What the gate decides on besides the artifact: the environment, and for a service its image. */
export interface SupplyChainGateTarget {
  /** The environment's name, as the steps know it. */
  readonly environment: string;
  /** The workload the artifact is: the SBOM of what passes is stored under its name. */
  readonly workload: string;
  /**
   * The environment's ECR repository: the gate also decides on the scan of the artifact's image.
   * @default - none: only the bundle's npm audit (a function)
   */
  readonly repository?: string;
  /**
   * The environment's delivery role, when it is in another account: the scan is read and the SBOM
   * stored through it.
   * @default - the steps function's own role
   */
  readonly roleArn?: string;
  /**
   * The environment's account, when it is not the pipeline's.
   * @default - the pipeline stack's account
   */
  readonly account?: string;
}

/** The variables namespace of an environment's gate, whose `SbomBucket` and `SbomKey` say where it stored the SBOM. */
export function supplyChainNamespace(env: EnvironmentConfig): string {
  return `SupplyChain-${env.name}`;
}

/**
 * Where the environment's gate stored the SBOM of what passed, as the stage's later actions read it
 * (the gate's output variables): the ledger parameter `sbom` of the step that records the release.
 */
export function gatedSbomLocation(env: EnvironmentConfig): { bucket: string; key: string } {
  const namespace = supplyChainNamespace(env);
  return { bucket: `#{${namespace}.SbomBucket}`, key: `#{${namespace}.SbomKey}` };
}

/**
 * The `SupplyChainGate` action (runOrder 1) of an environment's deploy stage: the steps function's
 * `supply-chain-gate` step on `input` (the build output carrying `supply-chain/audit.json`,
 * `supply-chain/exceptions.json` and `supply-chain/sbom.cdx.json`, and for a service
 * `imageDetail.json`), stopping the stage on any finding at or above the environment's
 * `supplyChain.failOn`. What passes has its SBOM stored in the environment's artifact bucket under
 * `sbom/<workload>/<commit>.cdx.json` (see {@link gatedSbomLocation}).
 */
export function supplyChainGate(
  steps: lambda.IFunction,
  input: codepipeline.Artifact,
  env: EnvironmentConfig,
  target: SupplyChainGateTarget,
): actions.LambdaInvokeAction {
  const stack = Stack.of(steps);
  const bucket = environmentArtifactBucketName(
    new Naming(env.prefix, env.name),
    target.account ?? stack.account,
    env.profile.region,
  );
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
      sbom: { bucket, workload: target.workload, commit: SOURCE_COMMIT },
    },
    variablesNamespace: supplyChainNamespace(env),
    runOrder: 1,
  });
}
