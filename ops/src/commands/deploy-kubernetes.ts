/**
 * `deploy kubernetes <app> --env E --image <repo>@sha256:…`: what the pipeline's (and the GitHub
 * workflow's) Kubernetes delivery does once the image is pushed, from one command: refuse while another
 * build of the application's deploy project runs, start it with `ACTION=deploy` and `IMAGE`, follow the
 * build to its end (the switch rolls the idle color out, tests it, moves the users by the profile's
 * steps and bakes, and keeps the old color for its retention time), then read what it exported. The run
 * records the release in the ledger, as `deploy service`'s does, with the image's SBOM (`--sbom`,
 * stored just before: `../sbom`) and, when the canary judge judged the switch, its last look (which
 * the build kept in the ledger table under its build ID; a look that cannot be read is a warning).
 */
import { sbomUri } from '@ias/delivery';
import {
  canaryLookQuery,
  latestCanaryLook,
  summarizeCanaryLook,
  type CanaryLookSummary,
} from '@ias/delivery/canary';
import { ledgerTableName } from '@ias/targets';
import { dryRun, planned, type DryRunResult, type OpsContext } from '../context';
import { badInput, EXIT, OpsError, unsafe } from '../errors';
import { following, goesOn, type Waits } from '../follow';
import { runSteps } from '../progress';
import { plannedSbomPut, readGivenSbom, storeSbomSteps, type SbomOutcome } from '../sbom';
import {
  buildInProgress,
  getBuilds,
  listBuilds,
  BUILDS_LOOKED_AT,
  type BuildOutcome,
} from '../aws/codebuild';
import { kubernetesIn } from '../kinds/kubernetes';
import { buildFollowMs, plannedRun, runBuild, type BuildRun } from '../kinds/kubernetes/build';
import type { ApplicationEntry } from '../kinds/kubernetes/history';

/** Arguments of `deploy kubernetes`. */
export interface DeployKubernetesArgs {
  /** The application's folder name under app/services. */
  readonly app: string;
  readonly env: string | undefined;
  /** The image to run, by digest: `<registry>/<repository>@sha256:<64 hex>`. */
  readonly image: string;
  /** Path of the image's CycloneDX SBOM, stored once deployed. @default - none stored */
  readonly sbom?: string;
  /** The commit the image was built from, which names the SBOM (required with `sbom`). @default - none */
  readonly commit?: string;
}

/** What `deploy kubernetes` did, once the switch succeeded; with `--sbom`, where the SBOM went. */
export interface DeployKubernetesResult extends SbomOutcome {
  readonly environment: string;
  /** The application's name, as the ledger records it. */
  readonly application: string;
  readonly deployProject: string;
  /** The build that ran the switch. */
  readonly build: string;
  readonly outcome: Extract<BuildOutcome, 'succeeded'>;
  /** What serves now (recorded in the ledger). */
  readonly live: ApplicationEntry;
  /**
   * The canary judge's last look at the build (recorded in the ledger with the release).
   * @default - absent: the switch was not judged, or its look could not be read
   */
  readonly canary?: CanaryLookSummary;
  readonly summary: string;
}

/** An image by digest, as the switch takes it. */
const IMAGE_BY_DIGEST = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;

/** The image argument: an image by digest (the manifests pin images by digest only). */
export function parseDigestImage(image: string): string {
  if (!IMAGE_BY_DIGEST.test(image)) {
    throw badInput(
      `--image must be an image by digest, <registry>/<repository>@sha256:<64 hex> (got "${image}"): the Kubernetes manifests run images by digest only`,
    );
  }
  return image;
}

/**
 * How a build that did not succeed ends the command: rolled back exit 3 (users are back on the color
 * that served), otherwise exit 1.
 */
export function notSwitched(app: string, run: BuildRun): OpsError {
  const { build } = run;
  const where = `build ${build.id} ended ${build.status}${build.logs ? `; its log: ${build.logs}` : ''}`;
  switch (run.outcome) {
    case 'rolled-back':
      // REASON says who: an alarm, or the canary judge (a build from before it was exported says nothing).
      return new OpsError(
        `${app}: ${build.exported.reason ? `switched back by ${build.exported.reason}` : 'the deployment was switched back (by an alarm or the canary judge)'}, users are on the color that served (${where})`,
        EXIT.rolledBack,
      );
    case 'stopped':
      return new OpsError(
        `${app}: the deployment was stopped before it ended; the switch leaves the routing as it was (${where})`,
        EXIT.failed,
      );
    case 'failed':
      return new OpsError(
        `${app}: the deployment did not go live; users stay on the color that served (${where})`,
        EXIT.failed,
      );
    case 'succeeded':
      return new OpsError(
        `${app}: ${where} succeeded, but did not export what serves now (COLOR, IMAGE, REVISION): the release is not recorded; "ias-ops status --env <env>" reads it after the next switch`,
        EXIT.failed,
      );
  }
}

/** `deploy kubernetes`: the image to the application, through its deploy project's switch. */
export async function deployKubernetes(
  ctx: OpsContext,
  args: DeployKubernetesArgs,
  waits: Waits = {},
): Promise<DeployKubernetesResult | DryRunResult> {
  const { env, target } = kubernetesIn(ctx, args.env, args.app);
  const image = parseDigestImage(args.image);
  const sbom = readGivenSbom(args.app, args.sbom, args.commit);
  const request = { action: 'deploy', image } as const;
  if (ctx.dryRun) {
    return dryRun(
      planned('codebuild', listBuilds(target.deployProject)),
      planned('codebuild', getBuilds([`<the latest ${BUILDS_LOOKED_AT} IDs, for one in progress>`])),
      ...plannedRun(target.deployProject, request),
      {
        service: 'dynamodb',
        command: 'Query',
        input: canaryLookQuery(ledgerTableName(env.prefix, env.name), '<the build StartBuild started>'),
      },
      ...(sbom ? [plannedSbomPut(env, sbom)] : []),
    );
  }
  const aws = await ctx.awsFor(env);
  let run: BuildRun | undefined;
  let stored: SbomOutcome = {};
  let canary: CanaryLookSummary | undefined;
  const follow = following(waits, goesOn(env.name));
  await runSteps(ctx, [
    {
      title: `no build of ${target.deployProject} in progress`,
      task: async () => {
        const running = await buildInProgress(aws, target.deployProject);
        if (running !== undefined) {
          throw unsafe(
            `build ${running.id} of ${target.deployProject} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${running.id} --env ${env.name}"), then deploy again`,
          );
        }
      },
    },
    {
      title: `deploy ${image} through ${target.deployProject} (${target.strategy ?? '?'})`,
      task: async (report) => {
        run = await runBuild(aws, target, request, {
          ...follow(report, buildFollowMs(env, request)),
          onStart: (id) => report(`started build ${id}`),
        });
        if (run.live === undefined) throw notSwitched(target.app, run);
      },
    },
    {
      title: "the canary judge's last look",
      task: async () => {
        const table = ledgerTableName(env.prefix, env.name);
        const id = (run as BuildRun).build.id;
        try {
          const look = await latestCanaryLook(aws.dynamodb, table, id);
          canary = look && summarizeCanaryLook(look);
        } catch (err) {
          // Written here, as `deployments list` does: the switch stands and the release is recorded without it.
          process.stderr.write(
            `warning: the canary judge's last look at build ${id} could not be read from ${table}; the release is recorded without it (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})\n`,
          );
        }
      },
    },
    ...storeSbomSteps(aws, env, sbom, (outcome) => (stored = outcome)),
  ]);
  const done = run as BuildRun | undefined;
  if (done?.live === undefined) throw new OpsError('the build was not followed to its end', EXIT.failed);
  const { live } = done;
  return {
    environment: env.name,
    application: target.app,
    deployProject: target.deployProject,
    build: done.build.id,
    outcome: 'succeeded',
    live,
    ...(canary ? { canary } : {}),
    summary: `${target.app}: ${live.color} serves ${live.image} (manifests ${live.revision}), switched by build ${done.build.id}${canary ? `; canary ${canary.verdict} at look ${canary.look} of ${canary.looks}` : ''}${stored.sbom ? `; SBOM at ${sbomUri(stored.sbom)}` : ''}`,
    ...stored,
  };
}

/** Text of `deploy kubernetes`: the summary. */
export function formatDeployKubernetes(r: DeployKubernetesResult): string {
  return r.summary;
}
