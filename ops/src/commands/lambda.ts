/**
 * `lambda publish|shift|promote|rollback`: seed 000's raw `aws lambda publish-version` and
 * `update-alias --routing-config` procedures on the alias `live`, with the checks that make them safe.
 */
import {
  GetFunctionCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
} from '@aws-sdk/client-lambda';
import type { FunctionTarget } from '@ias/targets';
import { dryRun, functionIn, planned, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { badInput, errorName, OpsError, EXIT, unsafe } from '../errors';
import { listInProgress } from '../aws/codedeploy';
import {
  assertNoDeploymentInFlight,
  assertVersionExists,
  getAlias,
  getLive,
  pointAt,
  routing,
} from '../aws/lambda-alias';

/** The arguments every `lambda` command takes. */
export interface LambdaArgs {
  /** The function's folder name under app/functions. */
  readonly function: string;
  /** The environment. */
  readonly env: string | undefined;
}

/** What a `lambda` command did to the alias `live`. */
export interface AliasResult {
  readonly environment: string;
  readonly functionName: string;
  readonly alias: string;
  /** The version that receives the rest of the traffic after the command. */
  readonly version: string;
  /** Versions receiving a share of the traffic besides `version`, by weight (0–1). */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  /** False when the alias already was as asked (no UpdateAlias was made). */
  readonly changed: boolean;
  /** One line saying what happened. */
  readonly summary: string;
}

/** What `lambda publish` published. */
export interface PublishResult {
  readonly environment: string;
  readonly functionName: string;
  readonly version: string;
  readonly summary: string;
}

function resolve(ctx: OpsContext, args: LambdaArgs) {
  const { env, target } = functionIn(ctx, args.env, args.function);
  return { env, target, clients: () => ctx.awsFor(env) };
}

/** A version argument: a published version number, never `$LATEST`. */
export function parseVersion(value: string, option = '--to'): string {
  if (!/^[1-9]\d*$/.test(value)) {
    throw badInput(`${option} must be a published version number such as 7 (got "${value}")`);
  }
  return value;
}

/** A weight argument: whole percent, 1 to 99 (0 is `rollback`, 100 is `promote`). */
export function parseWeight(value: string): number {
  const weight = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(weight >= 1 && weight <= 99)) {
    throw badInput(
      `--weight must be a whole percent from 1 to 99 (got "${value}"); use "lambda promote" to send all traffic`,
    );
  }
  return weight;
}

function aliasResult(
  target: FunctionTarget,
  version: string,
  weights: Record<string, number>,
  changed: boolean,
  summary: string,
): AliasResult {
  return {
    environment: target.environment,
    functionName: target.functionName,
    alias: target.alias,
    version,
    additionalVersionWeights: weights,
    changed,
    summary,
  };
}

/** `lambda publish`: PublishVersion of the function's current code. */
export async function publish(ctx: OpsContext, args: LambdaArgs): Promise<PublishResult | DryRunResult> {
  const { target, clients } = resolve(ctx, args);
  const command = new PublishVersionCommand({ FunctionName: target.functionName });
  if (ctx.dryRun) {
    return dryRun(planned('lambda', command));
  }
  try {
    const published = await (await clients()).lambda.send(command);
    const version = published.Version ?? '?';
    return {
      environment: target.environment,
      functionName: target.functionName,
      version,
      summary: `published ${target.functionName} version ${version}`,
    };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw new OpsError(
        `${target.functionName} not found in this account and region: deploy the environment (stack ${target.stackName}) first`,
        EXIT.failed,
      );
    }
    throw err;
  }
}

/** Arguments of `lambda shift`. */
export interface ShiftArgs extends LambdaArgs {
  readonly to: string;
  readonly weight: string;
}

/**
 * `lambda shift`: sends `weight` percent of the alias's traffic to version `to`, the rest staying on its
 * current version (seed 000's `update-alias --routing-config AdditionalVersionWeights={"2"=0.1}`).
 * Refuses (exit 4) a version that does not exist or is already the alias's, and while a deployment runs.
 */
export async function shift(ctx: OpsContext, args: ShiftArgs): Promise<AliasResult | DryRunResult> {
  const { target, clients } = resolve(ctx, args);
  const to = parseVersion(args.to);
  const weight = parseWeight(args.weight);
  const weights = { [to]: weight / 100 };
  if (ctx.dryRun) {
    return dryRun(
      planned('codedeploy', listInProgress(target)),
      planned('lambda', new GetFunctionCommand({ FunctionName: target.functionName, Qualifier: to })),
      planned('lambda', getAlias(target)),
      planned('lambda', pointAt(target, '<FunctionVersion from GetAlias>', weights)),
    );
  }
  const aws = await clients();
  await assertNoDeploymentInFlight(aws, target);
  await assertVersionExists(aws, target, to);
  const live = await getLive(aws, target);
  const current = live.FunctionVersion ?? '';
  if (current === to) {
    throw unsafe(
      `version ${to} already is ${target.functionName}:${target.alias}'s version: shift to a newer version, or roll back`,
    );
  }
  await aws.lambda.send(pointAt(target, current, weights));
  return aliasResult(
    target,
    current,
    weights,
    true,
    `${target.functionName}:${target.alias}: ${weight} % to version ${to}, ${100 - weight} % on version ${current}`,
  );
}

/** Arguments of `lambda promote`. */
export interface PromoteArgs extends LambdaArgs {
  readonly to: string;
}

/** `lambda promote`: sends all the alias's traffic to version `to` and clears any routing. */
export async function promote(ctx: OpsContext, args: PromoteArgs): Promise<AliasResult | DryRunResult> {
  const { target, clients } = resolve(ctx, args);
  const to = parseVersion(args.to);
  if (ctx.dryRun) {
    return dryRun(
      planned('codedeploy', listInProgress(target)),
      planned('lambda', new GetFunctionCommand({ FunctionName: target.functionName, Qualifier: to })),
      planned('lambda', getAlias(target)),
      planned('lambda', pointAt(target, to)),
    );
  }
  const aws = await clients();
  await assertNoDeploymentInFlight(aws, target);
  await assertVersionExists(aws, target, to);
  const live = await getLive(aws, target);
  if (live.FunctionVersion === to && Object.keys(routing(live)).length === 0) {
    return aliasResult(
      target,
      to,
      {},
      false,
      `${target.functionName}:${target.alias} already sends all traffic to version ${to}`,
    );
  }
  await aws.lambda.send(pointAt(target, to));
  return aliasResult(
    target,
    to,
    {},
    true,
    `${target.functionName}:${target.alias}: all traffic to version ${to}`,
  );
}

/** Every published version number of the function (not `$LATEST`), following the pages. */
async function publishedVersions(aws: AwsClients, target: FunctionTarget): Promise<number[]> {
  const versions: number[] = [];
  let marker: string | undefined;
  do {
    const page = await aws.lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: target.functionName, Marker: marker }),
    );
    for (const v of page.Versions ?? []) {
      if (v.Version !== undefined && /^\d+$/.test(v.Version)) {
        versions.push(Number(v.Version));
      }
    }
    marker = page.NextMarker;
  } while (marker !== undefined);
  return versions;
}

/**
 * `lambda rollback`: sends all traffic back to the previous version. A shift in progress (the alias has a
 * routing configuration) is cleared back to the alias's version; otherwise the alias goes to the highest
 * published version below its own. Refuses (exit 4) at the first version and while a deployment runs.
 */
export async function rollback(ctx: OpsContext, args: LambdaArgs): Promise<AliasResult | DryRunResult> {
  const { target, clients } = resolve(ctx, args);
  if (ctx.dryRun) {
    return dryRun(
      planned('codedeploy', listInProgress(target)),
      planned('lambda', getAlias(target)),
      planned('lambda', new ListVersionsByFunctionCommand({ FunctionName: target.functionName })),
      planned('lambda', pointAt(target, '<FunctionVersion from GetAlias, or the version below it>')),
    );
  }
  const aws = await clients();
  await assertNoDeploymentInFlight(aws, target);
  const live = await getLive(aws, target);
  const current = live.FunctionVersion ?? '';
  const shifted = Object.keys(routing(live));
  if (shifted.length > 0) {
    await aws.lambda.send(pointAt(target, current));
    return aliasResult(
      target,
      current,
      {},
      true,
      `${target.functionName}:${target.alias}: shift to version ${shifted.join(', ')} cleared, all traffic on version ${current}`,
    );
  }
  const below = (await publishedVersions(aws, target)).filter((v) => v < Number(current));
  if (!/^\d+$/.test(current) || below.length === 0) {
    throw unsafe(
      `${target.functionName}:${target.alias} is already at the first version (${current}): there is no previous version to roll back to`,
    );
  }
  const previous = String(Math.max(...below));
  await aws.lambda.send(pointAt(target, previous));
  return aliasResult(
    target,
    previous,
    {},
    true,
    `${target.functionName}:${target.alias}: rolled back from version ${current} to ${previous}`,
  );
}

/** The text form of an alias result or a publish result: its summary. */
export function formatSummary(result: { readonly summary: string }): string {
  return result.summary;
}
