/**
 * `deploy lambda <function> --env E --zip <path> [--sbom <file> --commit <sha>]`: the pipeline's Lambda
 * delivery from an operator's machine, with the delivery workspace's own `deployFunction` (update the
 * code from the zip, publish a version, start the CodeDeploy deployment of the environment's group with
 * the traffic hooks, follow it), then the zip's SBOM stored beside the release it makes (`../sbom`).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DeliveryError, deployFunction, sbomUri, type DeployProgress } from '@ias/delivery';
import type { FunctionTarget } from '@ias/targets';
import { dryRun, functionIn, planned, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { badInput, EXIT, OpsError, unsafe } from '../errors';
import type { Waits } from '../follow';
import { listInProgress } from '../aws/codedeploy';
import { runSteps } from '../progress';
import { plannedSbomPut, readGivenSbom, storeGivenSbom, type SbomOutcome } from '../sbom';

export type { Waits } from '../follow';

/** Arguments of `deploy lambda`. */
export interface DeployLambdaArgs {
  /** The function's folder name under app/functions. */
  readonly function: string;
  readonly env: string | undefined;
  /** Path of the deployment package (a zip). */
  readonly zip: string;
  /** Path of the zip's CycloneDX SBOM, stored once deployed. @default - none stored */
  readonly sbom?: string;
  /** The commit the zip was built from, which names the SBOM (required with `sbom`). @default - none */
  readonly commit?: string;
}

/** What `deploy lambda` did; with `--sbom`, where the SBOM went (nowhere when nothing was deployed). */
export interface DeployLambdaResult extends SbomOutcome {
  readonly environment: string;
  readonly functionName: string;
  readonly alias: string;
  readonly application: string;
  readonly deploymentGroup: string;
  /** The version the alias pointed to before. */
  readonly currentVersion: string;
  /** The version published from the zip (the alias's version now). */
  readonly targetVersion: string;
  /** Absent when the zip was the code the alias already runs (nothing deployed). */
  readonly deploymentId: string | undefined;
  readonly outcome: 'succeeded' | 'unchanged';
  readonly summary: string;
}

/**
 * Reads the deployment package: it must exist and start with a zip signature (`PK\x03\x04`, or
 * `PK\x05\x06` for an empty archive).
 *
 * @throws OpsError (exit 2) naming the path
 */
export function readZip(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      code === 'ENOENT'
        ? `--zip ${path} does not exist: give the path of the function's deployment package (a .zip)`
        : `--zip ${path} cannot be read (${code ?? String(err)}): give the path of the function's deployment package (a .zip)`,
    );
  }
  const signature = bytes.subarray(0, 4).toString('latin1');
  if (signature !== 'PK\x03\x04' && signature !== 'PK\x05\x06') {
    throw badInput(
      `--zip ${path} is not a zip (no PK header): give the function's deployment package, as the build writes it`,
    );
  }
  return bytes;
}

/** Refuses (exit 4) while another deployment holds the group: CodeDeploy would refuse ours mid-way. */
async function assertGroupIdle(aws: AwsClients, target: FunctionTarget): Promise<void> {
  const listed = await aws.codedeploy.send(listInProgress(target));
  const id = listed.deployments?.[0];
  if (id !== undefined) {
    throw unsafe(
      `deployment ${id} of ${target.deploymentGroup} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${id} --env ${target.environment}"), then deploy again`,
    );
  }
}

/**
 * A delivery failure as an exit code: rolled back 3; mid-shift alias 4 (refused before any change);
 * any other (failed, timed out — CodeDeploy was told to stop it with rollback —, missing function) 1.
 */
export function deliveryExit(err: DeliveryError): OpsError {
  switch (err.code) {
    case 'ROLLED_BACK':
      return new OpsError(err.message, EXIT.rolledBack);
    case 'ALIAS_MID_SHIFT':
      return new OpsError(err.message, EXIT.unsafe);
    default:
      return new OpsError(err.message, EXIT.failed);
  }
}

function progressLine(progress: DeployProgress): string {
  switch (progress.step) {
    case 'released':
      return progress.release.unchanged
        ? `version ${progress.release.targetVersion} already is ${progress.release.alias}: nothing to deploy`
        : `published version ${progress.release.targetVersion} (${progress.release.alias} is on ${progress.release.currentVersion})`;
    case 'started':
      return `started deployment ${progress.deploymentId}`;
    case 'running':
    case 'succeeded':
      return progress.state.summary;
  }
}

/** `deploy lambda`: the zip to the function's alias through its CodeDeploy group. */
export async function deployLambda(
  ctx: OpsContext,
  args: DeployLambdaArgs,
  waits: Waits = {},
): Promise<DeployLambdaResult | DryRunResult> {
  const { env, target } = functionIn(ctx, args.env, args.function);
  const zip = readZip(args.zip);
  const sbom = readGivenSbom(args.function, args.sbom, args.commit);
  const description = `ias-ops deploy lambda ${basename(args.zip)}`.slice(0, 256);
  if (ctx.dryRun) {
    const fn = target.functionName;
    return dryRun(
      planned('codedeploy', listInProgress(target)),
      { service: 'lambda', command: 'GetAlias', input: { FunctionName: fn, Name: target.alias } },
      {
        service: 'lambda',
        command: 'UpdateFunctionCode',
        input: { FunctionName: fn, ZipFile: `<${zip.length} bytes of ${args.zip}>` },
      },
      {
        service: 'lambda',
        command: 'PublishVersion',
        input: {
          FunctionName: fn,
          CodeSha256: '<CodeSha256 from UpdateFunctionCode>',
          Description: description,
        },
      },
      {
        service: 'codedeploy',
        command: 'CreateDeployment',
        input: {
          applicationName: target.application,
          deploymentGroupName: target.deploymentGroup,
          revision: {
            revisionType: 'AppSpecContent',
            appSpecContent: {
              content: `<appspec: ${fn}:${target.alias} from the GetAlias version to the PublishVersion version, hooks ${target.hooks.beforeAllowTraffic} and ${target.hooks.afterAllowTraffic}>`,
            },
          },
          description,
        },
      },
      {
        service: 'codedeploy',
        command: 'GetDeployment',
        input: { deploymentId: '<deploymentId from CreateDeployment, until it settles>' },
      },
      ...(sbom ? [plannedSbomPut(env, sbom)] : []),
    );
  }
  const aws = await ctx.awsFor(env);
  let outcome: { currentVersion: string; targetVersion: string; deploymentId: string | undefined } = {
    currentVersion: '',
    targetVersion: '',
    deploymentId: undefined,
  };
  let stored: SbomOutcome = {};
  await runSteps(ctx, [
    {
      title: `no other deployment in ${target.deploymentGroup}`,
      task: () => assertGroupIdle(aws, target),
    },
    {
      title: `deploy ${basename(args.zip)} to ${target.functionName}:${target.alias}`,
      task: async (report) => {
        try {
          const done = await deployFunction({
            lambda: aws.lambda,
            codedeploy: aws.codedeploy,
            functionName: target.functionName,
            alias: target.alias,
            application: target.application,
            deploymentGroup: target.deploymentGroup,
            zip,
            hooks: target.hooks,
            description,
            timeoutMs: (ctx.project.delivery?.deploymentTimeoutMinutes ?? 60) * 60_000,
            deploymentPollMs: waits.pollMs,
            sleep: waits.sleep,
            now: waits.now,
            onProgress: (progress) => report(progressLine(progress)),
          });
          outcome = {
            currentVersion: done.release.currentVersion,
            targetVersion: done.release.targetVersion,
            deploymentId: done.deploymentId,
          };
        } catch (err) {
          throw err instanceof DeliveryError ? deliveryExit(err) : err;
        }
      },
    },
    ...(sbom
      ? [
          {
            title: `store the SBOM at ${sbom.key} in the artifact bucket`,
            // Only beside a deployment: an unchanged zip makes no release to reference it.
            task: async (report: (line: string) => void) => {
              if (outcome.deploymentId === undefined) {
                report('nothing deployed: no SBOM to store');
                return;
              }
              stored = await storeGivenSbom(aws, env, sbom);
              report(stored.problem ?? `stored ${sbom.key}`);
            },
          },
        ]
      : []),
  ]);
  const unchanged = outcome.deploymentId === undefined;
  return {
    environment: env.name,
    functionName: target.functionName,
    alias: target.alias,
    application: target.application,
    deploymentGroup: target.deploymentGroup,
    ...outcome,
    outcome: unchanged ? 'unchanged' : 'succeeded',
    summary: unchanged
      ? `${target.functionName}:${target.alias} already runs this code (version ${outcome.targetVersion}): nothing deployed`
      : `${target.functionName}:${target.alias}: version ${outcome.currentVersion} → ${outcome.targetVersion}, deployment ${outcome.deploymentId ?? ''} succeeded${stored.sbom ? `; SBOM at ${sbomUri(stored.sbom)}` : ''}`,
    ...stored,
  };
}
