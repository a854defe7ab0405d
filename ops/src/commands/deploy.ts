/**
 * `deploy lambda <function> --env E --zip <path> [--sbom <file> --commit <sha>]`: the pipeline's Lambda
 * delivery from an operator's machine, with the delivery workspace's own `deployFunction` (update the
 * code from the zip, publish a version, start the CodeDeploy deployment of the environment's group with
 * the traffic hooks, follow it), or under the environment's `judged` strategy its `deployJudged`
 * (`./deploy-judged`: the alias shifted through the profile's steps, each judged by the canary judge),
 * then the zip's SBOM stored beside the release it makes (`../sbom`).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DeliveryError, deployFunction, sbomUri, type DeployProgress } from '@ias/delivery';
import { judgedLambdaSettings } from '@ias/infra/config';
import type { FunctionTarget } from '@ias/targets';
import { dryRun, functionIn, planned, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { badInput, EXIT, OpsError, unsafe } from '../errors';
import { listInProgress } from '../aws/codedeploy';
import { runSteps } from '../progress';
import { plannedSbomPut, readGivenSbom, storeGivenSbom, type SbomOutcome } from '../sbom';
import { deployJudgedZip, judgedDryRunCalls, type DeployWaits } from './deploy-judged';

export type { Waits } from '../follow';
export type { DeployWaits, SignalSource } from './deploy-judged';

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
  /**
   * The CodeDeploy deployment; absent when the zip was the code the alias already runs (nothing
   * deployed), and under the judged strategy (no CodeDeploy deployment).
   */
  readonly deploymentId: string | undefined;
  /** Under the judged strategy, once shifted: its steps, the look that ended the last one, its minutes. */
  readonly judged?: {
    readonly steps: readonly number[];
    readonly minutes: number;
    readonly look: {
      readonly look: number;
      readonly looks: number;
      readonly verdict: string;
      readonly reason: string;
    };
  };
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

/**
 * `deploy lambda`: the zip to the function's alias through its CodeDeploy group, or under the
 * environment's `judged` strategy through the judged steps (no CodeDeploy deployment).
 */
export async function deployLambda(
  ctx: OpsContext,
  args: DeployLambdaArgs,
  waits: DeployWaits = {},
): Promise<DeployLambdaResult | DryRunResult> {
  const { env, target } = functionIn(ctx, args.env, args.function);
  const zip = readZip(args.zip);
  const sbom = readGivenSbom(args.function, args.sbom, args.commit);
  const description = `ias-ops deploy lambda ${basename(args.zip)}`.slice(0, 256);
  const judged = judgedLambdaSettings(env.profile.lambda);
  if (ctx.dryRun) {
    const fn = target.functionName;
    const release = [
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
    ] as const;
    if (judged) {
      return dryRun(
        ...release,
        ...judgedDryRunCalls(target, judged),
        ...(sbom ? [plannedSbomPut(env, sbom)] : []),
      );
    }
    return dryRun(
      ...release,
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
  let outcome: {
    currentVersion: string;
    targetVersion: string;
    deploymentId: string | undefined;
    deployed: boolean;
    judged?: DeployLambdaResult['judged'];
  } = {
    currentVersion: '',
    targetVersion: '',
    deploymentId: undefined,
    deployed: false,
  };
  let stored: SbomOutcome = {};
  const runJudged = async (report: (line: string) => void, settings: NonNullable<typeof judged>) => {
    const { release, done } = await deployJudgedZip({
      aws,
      name: args.function,
      target,
      judged: settings,
      zip,
      description,
      waits,
      report,
    });
    outcome = {
      currentVersion: release.currentVersion,
      targetVersion: release.targetVersion,
      deploymentId: undefined,
      deployed: done !== undefined,
      judged: done && {
        steps: settings.steps,
        minutes: done.minutes,
        look: {
          look: done.look.look,
          looks: done.look.looks,
          verdict: done.look.judgement.verdict,
          reason: done.look.reason,
        },
      },
    };
  };
  await runSteps(
    ctx,
    [
      {
        // A CodeDeploy deployment made by hand would move the alias too: none may be in flight.
        title: `no other deployment in ${target.deploymentGroup}`,
        task: () => assertGroupIdle(aws, target),
      },
      {
        title: judged
          ? `deploy ${basename(args.zip)} to ${target.functionName}:${target.alias}, judged through ${judged.steps.join(' → ')} %`
          : `deploy ${basename(args.zip)} to ${target.functionName}:${target.alias}`,
        task: async (report) => {
          try {
            if (judged) {
              await runJudged(report, judged);
              return;
            }
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
              deployed: done.deploymentId !== undefined,
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
                if (!outcome.deployed) {
                  report('nothing deployed: no SBOM to store');
                  return;
                }
                stored = await storeGivenSbom(aws, env, sbom);
                report(stored.problem ?? `stored ${sbom.key}`);
              },
            },
          ]
        : []),
    ],
    // A judged shift puts the alias back on SIGINT itself: listr2 must not end the process first.
    { ownSignals: judged !== undefined },
  );
  const { deployed, judged: judgement, ...versions } = outcome;
  const how = judgement
    ? `judged through ${judgement.steps.join(' → ')} % in ${judgement.minutes} min (look ${judgement.look.look}/${judgement.look.looks}: ${judgement.look.verdict})`
    : `deployment ${outcome.deploymentId ?? ''} succeeded`;
  return {
    environment: env.name,
    functionName: target.functionName,
    alias: target.alias,
    application: target.application,
    deploymentGroup: target.deploymentGroup,
    ...versions,
    ...(judgement ? { judged: judgement } : {}),
    outcome: deployed ? 'succeeded' : 'unchanged',
    summary: deployed
      ? `${target.functionName}:${target.alias}: version ${outcome.currentVersion} → ${outcome.targetVersion}, ${how}${stored.sbom ? `; SBOM at ${sbomUri(stored.sbom)}` : ''}`
      : `${target.functionName}:${target.alias} already runs this code (version ${outcome.targetVersion}): nothing deployed`,
    ...stored,
  };
}
