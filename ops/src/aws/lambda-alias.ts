/** A function's alias `live`: read it, check a version, point it, and refuse while CodeDeploy moves it. */
import {
  GetAliasCommand,
  GetFunctionCommand,
  UpdateAliasCommand,
  type AliasConfiguration,
} from '@aws-sdk/client-lambda';
import type { FunctionTarget } from '@ias/targets';
import type { AwsClients } from '../context';
import { errorName, EXIT, OpsError, unsafe } from '../errors';
import { listInProgress } from './codedeploy';

/** Refuses while CodeDeploy moves the alias: a manual change would fight the deployment. */
export async function assertNoDeploymentInFlight(clients: AwsClients, target: FunctionTarget): Promise<void> {
  const listed = await clients.codedeploy.send(listInProgress(target));
  const id = listed.deployments?.[0];
  if (id !== undefined) {
    throw unsafe(
      `deployment ${id} of ${target.deploymentGroup} is in progress and moves ${target.functionName}:${target.alias}; wait for it to end or stop it first`,
    );
  }
}

/** Refuses (exit 4) a version the function does not have. */
export async function assertVersionExists(clients: AwsClients, target: FunctionTarget, version: string) {
  try {
    await clients.lambda.send(
      new GetFunctionCommand({ FunctionName: target.functionName, Qualifier: version }),
    );
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw unsafe(
        `version ${version} of ${target.functionName} does not exist: publish one with "ias-ops lambda publish" and use the version it prints`,
      );
    }
    throw err;
  }
}

/** The alias `live`; exit 1 when the function or alias is not deployed. */
export async function getLive(clients: AwsClients, target: FunctionTarget): Promise<AliasConfiguration> {
  try {
    return await clients.lambda.send(getAlias(target));
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw new OpsError(
        `${target.functionName}:${target.alias} not found in this account and region: deploy the environment (stack ${target.stackName}) first`,
        EXIT.failed,
      );
    }
    throw err;
  }
}

export function getAlias(target: FunctionTarget) {
  return new GetAliasCommand({ FunctionName: target.functionName, Name: target.alias });
}

/** The alias pointed at `version` alone: an empty weights map clears the routing configuration. */
export function pointAt(target: FunctionTarget, version: string, weights: Record<string, number> = {}) {
  return new UpdateAliasCommand({
    FunctionName: target.functionName,
    Name: target.alias,
    FunctionVersion: version,
    RoutingConfig: { AdditionalVersionWeights: weights },
  });
}

/** The alias's additional version weights (a shift in progress), as a fresh object. */
export function routing(alias: AliasConfiguration): Record<string, number> {
  return { ...(alias.RoutingConfig?.AdditionalVersionWeights ?? {}) };
}
