/**
 * `deploy ec2 <app> --env E --revision <zip>`: what the service pipeline's `DeployEc2` and `RecordEc2`
 * actions do with the EC2 revision, from one command (the GitHub workflow's path): check the zip holds
 * `appspec.yml` at its root, refuse while the application's CodeDeploy group has a deployment in
 * flight, upload the zip to the environment's artifact bucket (`ec2/<app>/<commit or SHA-256>.zip`),
 * deploy it through the group (in place or blue/green, its configuration, alarms and rollback
 * settings) and follow it to its end (blue/green: until the green fleet serves). The run records the
 * deployment and the revision in the ledger, as `deploy service`'s does, with the SBOM (`--sbom`,
 * stored just before: `../sbom`).
 */
import { basename } from 'node:path';
import { sbomUri } from '@ias/delivery';
import { EC2_STYLE_TRAITS, type Ec2Target } from '@ias/targets';
import { listInProgress } from '../aws/codedeploy';
import { dryRun, planned, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { EXIT, OpsError, unsafe } from '../errors';
import { following, goesOn, type Waits } from '../follow';
import { runSteps } from '../progress';
import { plannedSbomPut, readGivenSbom, storeSbomSteps, type SbomOutcome } from '../sbom';
import { ec2In } from '../kinds/ec2';
import {
  createFleetDeployment,
  deployRevision,
  fleetFollowMs,
  getDeploymentGroup,
  plannedFollow,
  readDeploymentGroup,
  revisionWords,
  type FleetDeploymentRun,
  type FleetEntry,
  type FleetRevision,
} from '../kinds/ec2/deployment';
import {
  plannedBucket,
  plannedUpload,
  readRevisionBundle,
  revisionKey,
  uploadRevision,
} from '../kinds/ec2/upload';

/** Arguments of `deploy ec2`. */
export interface DeployEc2Args {
  /** The application's folder name under app/services. */
  readonly app: string;
  readonly env: string | undefined;
  /** Path of the revision: a zip holding `appspec.yml` at its root. */
  readonly revision: string;
  /** Path of the bundle's CycloneDX SBOM, stored once deployed. @default - none stored */
  readonly sbom?: string;
  /**
   * The commit the revision was built from, which names it in the bucket and names the SBOM
   * (required with `sbom`). @default - the revision is named by its SHA-256
   */
  readonly commit?: string;
}

/** What `deploy ec2` did, once the deployment succeeded; with `--sbom`, where the SBOM went. */
export interface DeployEc2Result extends SbomOutcome {
  readonly environment: string;
  /** The application's name, as the ledger records it. */
  readonly app: string;
  readonly deploymentGroup: string;
  readonly deploymentId: string;
  /** `succeeded`, or `serving` once a blue/green deployment's green fleet serves (the blue one is kept for the profile's wait). */
  readonly outcome: 'succeeded' | 'serving';
  /** What the fleet runs now (recorded in the ledger). */
  readonly live: FleetEntry;
  readonly summary: string;
}

/**
 * Fails (exit 1) when the application's deployment group does not exist, and refuses (exit 4) while a
 * deployment holds it: CodeDeploy would refuse ours after the upload.
 */
async function assertDeployable(aws: AwsClients, target: Ec2Target, env: string): Promise<void> {
  if ((await readDeploymentGroup(aws, target)) === undefined) {
    throw new OpsError(
      `${target.app} is not deployed in ${env} (no deployment group ${target.application} / ${target.deploymentGroup}): deploy the infrastructure first`,
      EXIT.failed,
    );
  }
  const id = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
  if (id !== undefined) {
    throw unsafe(
      `deployment ${id} of ${target.deploymentGroup} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${id} --env ${env}"), then deploy again`,
    );
  }
}

/** How a deployment that did not go live ends the command: rolled back exit 3, otherwise exit 1. */
function notDeployed(target: Ec2Target, run: FleetDeploymentRun): OpsError {
  return run.state.status === 'rolled-back'
    ? new OpsError(
        `${target.app}: ${run.state.summary}; the fleet runs the revision it ran before`,
        EXIT.rolledBack,
      )
    : new OpsError(`${target.app}: ${run.state.summary}`, EXIT.failed);
}

/** `deploy ec2`: the revision zip to the application's fleet, through its CodeDeploy group. */
export async function deployEc2(
  ctx: OpsContext,
  args: DeployEc2Args,
  waits: Waits = {},
): Promise<DeployEc2Result | DryRunResult> {
  const { env, target } = ec2In(ctx, args.env, args.app);
  const bundle = readRevisionBundle(args.revision);
  const key = revisionKey(target.app, bundle, args.commit);
  const sbom = readGivenSbom(args.app, args.sbom, args.commit);
  const settings = env.profile.ec2.deployment;
  const description = `ias-ops deploy ec2 ${key}`.slice(0, 256);
  if (ctx.dryRun) {
    return dryRun(
      planned('codedeploy', getDeploymentGroup(target)),
      planned('codedeploy', listInProgress(target)),
      plannedUpload(env, key, bundle),
      planned(
        'codedeploy',
        createFleetDeployment(
          target,
          {
            bucket: plannedBucket(env),
            key,
            bundleType: 'zip',
            version: '<VersionId from PutObject>',
            eTag: '<ETag from PutObject>',
          },
          description,
        ),
      ),
      plannedFollow('<the deployment CreateDeployment started>'),
      ...(sbom ? [plannedSbomPut(env, sbom)] : []),
    );
  }
  const aws = await ctx.awsFor(env);
  const follow = following(waits, goesOn(env.name));
  let revision: FleetRevision | undefined;
  let run: FleetDeploymentRun | undefined;
  let stored: SbomOutcome = {};
  await runSteps(ctx, [
    {
      title: `${target.deploymentGroup} exists, with no deployment in progress`,
      task: () => assertDeployable(aws, target, env.name),
    },
    {
      title: `upload ${basename(args.revision)} as ${key} in the artifact bucket`,
      task: async (report) => {
        revision = await uploadRevision(aws, env, key, bundle);
        report(`uploaded ${revisionWords(revision)}`);
      },
    },
    {
      title: `deploy it through ${target.application} / ${target.deploymentGroup} (${target.style ?? '?'})`,
      task: async (report) => {
        run = await deployRevision(aws, target, revision as FleetRevision, {
          ...follow(report, fleetFollowMs(settings)),
          description,
          onStart: (id) => report(`started deployment ${id}`),
        });
        if (run.live === undefined) throw notDeployed(target, run);
      },
    },
    ...storeSbomSteps(aws, env, sbom, (outcome) => (stored = outcome)),
  ]);
  const done = run as FleetDeploymentRun | undefined;
  if (done?.live === undefined) throw new OpsError('the deployment was not followed to its end', EXIT.failed);
  const { live, state } = done;
  const outcome = state.status === 'serving' ? 'serving' : 'succeeded';
  return {
    environment: env.name,
    app: target.app,
    deploymentGroup: target.deploymentGroup,
    deploymentId: done.deploymentId,
    outcome,
    live,
    summary: `${target.app}: ${revisionWords(live.revision)} deployed ${EC2_STYLE_TRAITS[settings.style].words(settings)} (${state.summary})${stored.sbom ? `; SBOM at ${sbomUri(stored.sbom)}` : ''}`,
    ...stored,
  };
}

/** Text of `deploy ec2`: the summary. */
export function formatDeployEc2(r: DeployEc2Result): string {
  return r.summary;
}
