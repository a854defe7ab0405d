/**
 * The Lambda function kind's pipeline steps: `create-appspec` publishes the build output as a new
 * version and writes the release's appspec; `deploy` deploys that appspec with CodeDeploy.
 */
import { z } from 'zod';
import { DeliveryError } from '../../errors.js';
import { aliasNameSchema, functionNameSchema, versionSchema } from '../../schemas.js';
import { looksLikeZip, readArtifact, writeArtifact, zipTextFiles } from '../../pipeline/artifacts.js';
import { readJson } from '../../pipeline/read-json.js';
import type { StepContext, StepOutcome } from '../../pipeline/step.js';
import {
  artifactName,
  inProgress,
  pipelineStep,
  readContinuation,
  readInputFiles,
  stepParameters,
} from '../../pipeline/step.js';
import { parseAppSpec } from './appspec.js';
import { checkDeployment, settled, startDeployment, stopTimedOutDeployment } from './deployment.js';
import type { Release } from './release.js';
import { prepareRelease } from './release.js';

/** The UserParameters fields of every function step: the function and the alias it is released under. */
const functionParameters = {
  ...stepParameters,
  functionName: functionNameSchema,
  alias: aliasNameSchema,
};

const createAppSpecParameters = z.object({
  step: z.literal('create-appspec'),
  ...functionParameters,
  hooks: z
    .object({
      beforeAllowTraffic: functionNameSchema.optional(),
      afterAllowTraffic: functionNameSchema.optional(),
    })
    .optional(),
});

const deployParameters = z.object({
  step: z.literal('deploy'),
  ...functionParameters,
  application: z.string().min(1).max(100),
  deploymentGroup: z.string().min(1).max(100),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
});

/** `release.json` of the create-appspec step's output artifact: the release without its appspec. */
export const releaseRecordSchema = z.object({
  functionName: functionNameSchema,
  alias: aliasNameSchema,
  currentVersion: versionSchema,
  targetVersion: versionSchema,
  codeSha256: z.string(),
  unchanged: z.boolean(),
});

/** `release.json` of the create-appspec step's output artifact. */
export type ReleaseRecord = z.infer<typeof releaseRecordSchema>;

// The deploy step's continuation token: the deployment to keep following, and when it started (ms).
const continuationSchema = z.object({
  deploymentId: z.string().regex(/^d-[A-Z0-9]+$/),
  startedAt: z.number().int().nonnegative(),
  alias: z.string().optional(),
  targetVersion: z.string().optional(),
});

type Continuation = z.infer<typeof continuationSchema>;

/**
 * Publishes the build output (input artifact 0, the deployment package) as a new version and writes
 * `appspec.yml` and `release.json` to output artifact 0.
 */
async function createAppSpec(
  context: StepContext,
  parameters: z.output<typeof createAppSpecParameters>,
): Promise<StepOutcome> {
  const { job } = context;
  const [input] = job.data.inputArtifacts;
  const [output] = job.data.outputArtifacts;
  if (!input || !output) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the create-appspec step needs one input artifact (the build output) and one output artifact',
    );
  }
  const s3 = context.clients.artifactS3(job.data.artifactCredentials);
  const zip = await readArtifact(s3, input.location.s3Location);
  if (!looksLikeZip(zip)) {
    throw new DeliveryError(
      'BAD_INPUT',
      `input ${artifactName(input)} is not a zip: it must be the deployment package`,
    );
  }
  const release = await prepareRelease({
    lambda: context.clients.lambda,
    functionName: parameters.functionName,
    alias: parameters.alias,
    zip,
    hooks: parameters.hooks,
    description: `CodePipeline job ${job.id}`,
    sleep: context.sleep,
  });
  const record: ReleaseRecord = {
    functionName: release.functionName,
    alias: release.alias,
    currentVersion: release.currentVersion,
    targetVersion: release.targetVersion,
    codeSha256: release.codeSha256,
    unchanged: release.unchanged,
  };
  await writeArtifact(
    s3,
    output.location.s3Location,
    zipTextFiles({ 'appspec.yml': release.appSpec, 'release.json': `${JSON.stringify(record, null, 2)}\n` }),
    job.data.encryptionKey,
  );
  return {
    result: 'succeeded',
    summary: releaseSummary(release),
    outputVariables: { CurrentVersion: release.currentVersion, TargetVersion: release.targetVersion },
  };
}

function releaseSummary(release: Release): string {
  return release.unchanged
    ? `${release.functionName} unchanged: version ${release.targetVersion} is already ${release.alias}`
    : `published version ${release.targetVersion} of ${release.functionName} (${release.alias} is on ${release.currentVersion})`;
}

/**
 * Starts the CodeDeploy deployment of the create-appspec output's appspec and follows it for the
 * invocation's budget, then hands CodePipeline a continuation token; later invocations resume the same
 * deployment, and stop it with rollback past `timeoutMinutes`.
 */
async function deploy(
  context: StepContext,
  parameters: z.output<typeof deployParameters>,
): Promise<StepOutcome> {
  const timeoutMs = parameters.timeoutMinutes * 60_000;
  const token = readContinuation(context, continuationSchema);
  if (token) {
    return follow(context, token, timeoutMs);
  }
  const { files, source } = await readInputFiles(
    context,
    'the deploy step needs one input artifact (the create-appspec output)',
  );
  const record = readJson(files['release.json'], releaseRecordSchema, {
    name: 'release.json',
    source,
    missing: `${source} has no release.json: is it the output of the create-appspec step?`,
  });
  if (record.functionName !== parameters.functionName || record.alias !== parameters.alias) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source} is a release of ${record.functionName}:${record.alias}, not of ${parameters.functionName}:${parameters.alias}: wire the deploy action to the right create-appspec output`,
    );
  }
  if (record.unchanged) {
    return {
      result: 'succeeded',
      summary: `nothing to deploy: ${record.functionName} version ${record.targetVersion} is already ${record.alias}`,
    };
  }
  const appSpec = files['appspec.yml'] ?? '';
  const spec = parseAppSpec(appSpec);
  if (spec.functionName !== record.functionName || spec.targetVersion !== record.targetVersion) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source}: appspec.yml and release.json describe different releases`,
    );
  }
  const deploymentId = await startDeployment({
    codedeploy: context.clients.codedeploy,
    application: parameters.application,
    deploymentGroup: parameters.deploymentGroup,
    appSpec,
    description: `version ${record.targetVersion} of ${record.functionName} (CodePipeline job ${context.job.id})`,
  });
  return follow(
    context,
    { deploymentId, startedAt: context.now(), alias: record.alias, targetVersion: record.targetVersion },
    timeoutMs,
  );
}

/** Follows the deployment for this invocation's budget; stops it with rollback past the time-out. */
async function follow(context: StepContext, token: Continuation, timeoutMs: number): Promise<StepOutcome> {
  const { deploymentId } = token;
  const codedeploy = context.clients.codedeploy;
  const invoked = context.now();
  for (;;) {
    const state = settled(await checkDeployment({ codedeploy, deploymentId }));
    if (state.status === 'succeeded') {
      const shift =
        token.alias && token.targetVersion ? `: ${token.alias} → version ${token.targetVersion}` : '';
      return {
        result: 'succeeded',
        summary: `deployment ${deploymentId} succeeded${shift}`,
        outputVariables: token.targetVersion ? { TargetVersion: token.targetVersion } : undefined,
      };
    }
    const elapsed = context.now() - token.startedAt;
    if (elapsed >= timeoutMs) {
      throw await stopTimedOutDeployment({ codedeploy, deploymentId, timeoutMs });
    }
    if (context.now() - invoked + context.pollMs > context.pollBudgetMs) {
      return inProgress(`deployment ${deploymentId} in progress`, token, elapsed, timeoutMs);
    }
    await context.sleep(context.pollMs);
  }
}

/** The function kind's steps, in the step table. */
export const functionSteps = [
  pipelineStep({ parameters: createAppSpecParameters, run: createAppSpec }),
  pipelineStep({
    parameters: deployParameters,
    run: deploy,
    released: (outcome, name) => {
      const version = outcome.outputVariables?.TargetVersion;
      return version ? { functions: { [name]: version } } : undefined;
    },
  }),
] as const;
