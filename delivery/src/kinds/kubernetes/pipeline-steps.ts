/**
 * The Kubernetes kind's pipeline step, `kubernetes-deploy`: in the service's pipeline, after the
 * service's own deployment, the same image (imageDetail.json of the environment's artifact) goes to
 * the environment's cluster through the application's deploy project, `<prefix>-<env>-<app>-k8s-deploy`
 * (CodeBuild in the VPC: the cluster's endpoint is private). The step starts a build with
 * `ACTION=deploy` and `IMAGE`, follows it across invocations, and reads what the build exported
 * (`RESULT`, `COLOR`, `IMAGE`, `REVISION`; the build succeeds whenever the deploy reached an outcome,
 * which `RESULT` carries): succeeded, the release records the color now serving, its image and the
 * manifest revision, with the canary judge's last look at the build when it judged the switch (kept
 * under the build's ID: `canary-evidence.ts`); rolled back or failed, the action fails saying so (and
 * why, from `REASON`: the alarm, or the canary judge's reason).
 */
import {
  BatchGetBuildsCommand,
  type Build,
  type CodeBuildClient,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { z } from 'zod';
import { DeliveryError } from '../../errors.js';
import { readJson } from '../../pipeline/read-json.js';
import { lastLookOf } from '../../pipeline/judged.js';
import type { StepContext, StepOutcome } from '../../pipeline/step.js';
import {
  inProgress,
  missingClients,
  pipelineStep,
  readContinuation,
  readInputFiles,
  stepParameters,
} from '../../pipeline/step.js';
import { imageDetailSchema } from '../service/appspec.js';

const kubernetesDeployParameters = z.object({
  step: z.literal('kubernetes-deploy'),
  ...stepParameters,
  /** The application's deploy project. */
  project: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'must be a CodeBuild project name'),
  /** How long the deploy may take, its bakes and the old color's retention included, in minutes. */
  timeoutMinutes: z.number().int().min(1).max(480),
});

type KubernetesDeployParameters = z.output<typeof kubernetesDeployParameters>;

// The step's continuation token: the build to keep following.
const buildContinuationSchema = z.object({
  buildId: z.string().min(1),
  startedAt: z.number().int().nonnegative(),
  image: z.string().min(1),
});

/** The variables a finished deploy build exported, by name. */
function exported(build: Build): Record<string, string> {
  return Object.fromEntries(
    (build.exportedEnvironmentVariables ?? []).flatMap((v) => (v.name ? [[v.name, v.value ?? '']] : [])),
  );
}

function codebuildOf(context: StepContext): CodeBuildClient {
  const { codebuild } = context.clients;
  if (!codebuild) {
    throw missingClients('kubernetes-deploy', ['CodeBuild']);
  }
  return codebuild;
}

/** Starts the deploy build of the artifact's image, or follows the one an earlier invocation started. */
async function kubernetesDeploy(
  context: StepContext,
  parameters: KubernetesDeployParameters,
): Promise<StepOutcome> {
  const codebuild = codebuildOf(context);
  const timeoutMs = parameters.timeoutMinutes * 60_000;
  let token = readContinuation(context, buildContinuationSchema);
  if (!token) {
    const { files, source } = await readInputFiles(
      context,
      'the kubernetes-deploy step needs one input artifact (the container build output, with imageDetail.json)',
    );
    const image = readJson(files['imageDetail.json'], imageDetailSchema, {
      name: 'imageDetail.json',
      source,
      missing: `${source} has no imageDetail.json: is it the container build's output?`,
    }).ImageURI;
    const started = await codebuild.send(
      new StartBuildCommand({
        projectName: parameters.project,
        environmentVariablesOverride: [
          { name: 'ACTION', value: 'deploy', type: 'PLAINTEXT' },
          { name: 'IMAGE', value: image, type: 'PLAINTEXT' },
        ],
      }),
    );
    const buildId = started.build?.id;
    if (!buildId) {
      throw new DeliveryError('DEPLOYMENT_FAILED', `${parameters.project} started no build`);
    }
    token = { buildId, startedAt: context.now(), image };
  }
  const deadline = Math.min(token.startedAt + timeoutMs, context.now() + context.pollBudgetMs);
  for (;;) {
    const found = await codebuild.send(new BatchGetBuildsCommand({ ids: [token.buildId] }));
    const build = found.builds?.[0];
    if (!build) {
      throw new DeliveryError('DEPLOYMENT_FAILED', `${parameters.project}: build ${token.buildId} is gone`);
    }
    if (build.buildStatus && build.buildStatus !== 'IN_PROGRESS') {
      return finished(parameters, token.buildId, build);
    }
    if (context.now() + context.pollMs > deadline) break;
    await context.sleep(context.pollMs);
  }
  if (context.now() >= token.startedAt + timeoutMs) {
    throw new DeliveryError(
      'TIMED_OUT',
      `${parameters.project}: build ${token.buildId} still running after ${parameters.timeoutMinutes} min; it goes on: follow it with ias-ops deployments`,
    );
  }
  return inProgress(
    `${parameters.environment}: ${parameters.project} deploying ${token.image} (build ${token.buildId})`,
    token,
    context.now() - token.startedAt,
    timeoutMs,
  );
}

/** The outcome of a finished build, from its status and what it exported. */
function finished(parameters: KubernetesDeployParameters, buildId: string, build: Build): StepOutcome {
  const vars = exported(build);
  const result = vars['RESULT'] ?? '';
  if (build.buildStatus === 'SUCCEEDED' && result === 'succeeded') {
    return {
      result: 'succeeded',
      summary: `${parameters.environment}: ${vars['COLOR']} serves ${vars['IMAGE']} (revision ${vars['REVISION']}; build ${buildId})`,
      outputVariables: {
        Color: vars['COLOR'] ?? '',
        ImageUri: vars['IMAGE'] ?? '',
        Revision: vars['REVISION'] ?? '',
        Build: buildId,
      },
    };
  }
  // REASON says who switched back (an alarm, the canary judge); builds before it was exported say nothing.
  const why = vars['REASON'] ? ` (${vars['REASON']})` : '';
  const what =
    // COLOR is the color tried: the build exports it whatever the outcome.
    result === 'rolled-back'
      ? `rolled back${why}: users are back on the color that served before ${vars['COLOR'] || 'the new one'}`
      : `failed (${build.buildStatus ?? 'no status'}${result ? `, ${result}` : ''}); users stay on the color that served`;
  return {
    result: 'failed',
    message: `${parameters.environment}: ${parameters.project} ${what}; see build ${buildId}'s log`,
  };
}

/**
 * The canary judge's last look at the build that switched (its `Build` output variable), read from the
 * ledger table; a look that cannot be read is a note, never a failure: the switch is done.
 */
const judgedBuild = lastLookOf((outcome) => outcome.outputVariables?.['Build'], 'build');

/** The Kubernetes kind's steps, in the step table. */
export const kubernetesSteps = [
  pipelineStep({
    parameters: kubernetesDeployParameters,
    run: kubernetesDeploy,
    released: (outcome, name) => {
      const v = outcome.outputVariables ?? {};
      const [color, image, revision] = [v['Color'], v['ImageUri'], v['Revision']];
      return color === 'blue' || color === 'green'
        ? image && revision
          ? { applications: { [name]: { color, image, revision } } }
          : undefined
        : undefined;
    },
    judged: judgedBuild,
  }),
] as const;
