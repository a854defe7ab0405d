import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseAppSpec } from './appspec.js';
import { looksLikeZip, readArtifact, unzipTextFiles, writeArtifact, zipTextFiles } from './artifacts.js';
import { checkDeployment, settled, startDeployment, stopTimedOutDeployment } from './deployment.js';
import { DeliveryError, describeError, oneLine } from './errors.js';
import { aliasNameSchema, describeIssues, functionNameSchema, versionSchema } from './names.js';
import type { Release } from './release.js';
import { prepareRelease } from './release.js';
import { now as realNow, sleep as realSleep } from './time.js';

const s3LocationSchema = z.object({ bucketName: z.string().min(1), objectKey: z.string().min(1) });

const artifactSchema = z.object({
  name: z.string().optional(),
  location: z.object({ type: z.string().optional(), s3Location: s3LocationSchema }),
});

/** The temporary credentials CodePipeline gives a job to read and write its artifacts. */
export const artifactCredentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1),
});

/** The temporary credentials CodePipeline gives a job to read and write its artifacts. */
export type ArtifactCredentials = z.infer<typeof artifactCredentialsSchema>;

/** A CodePipeline Lambda-invoke job (`event['CodePipeline.job']`), the fields this step reads. */
export const pipelineJobSchema = z.object({
  id: z.string().min(1),
  data: z.object({
    actionConfiguration: z.object({
      configuration: z.object({ UserParameters: z.string().optional() }),
    }),
    inputArtifacts: z.array(artifactSchema),
    outputArtifacts: z.array(artifactSchema),
    artifactCredentials: artifactCredentialsSchema,
    encryptionKey: z.object({ id: z.string().min(1), type: z.string() }).optional(),
    continuationToken: z.string().optional(),
  }),
});

/** A CodePipeline Lambda-invoke job (`event['CodePipeline.job']`), the fields this step reads. */
export type PipelineJob = z.infer<typeof pipelineJobSchema>;

const common = {
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an environment name such as dev'),
  functionName: functionNameSchema,
  alias: aliasNameSchema,
};

/**
 * The action's UserParameters (JSON): which step to run, on which function. Fields a step does not
 * use are ignored, so one parameter object can serve both actions.
 */
export const userParametersSchema = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('create-appspec'),
    ...common,
    hooks: z
      .object({
        beforeAllowTraffic: functionNameSchema.optional(),
        afterAllowTraffic: functionNameSchema.optional(),
      })
      .optional(),
  }),
  z.object({
    step: z.literal('deploy'),
    ...common,
    application: z.string().min(1).max(100),
    deploymentGroup: z.string().min(1).max(100),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
  }),
]);

/** The action's UserParameters, validated. */
export type UserParameters = z.infer<typeof userParametersSchema>;

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

/** The SDK clients a pipeline job uses. */
export interface PipelineJobClients {
  /** Updates and publishes the function (create-appspec). */
  readonly lambda: LambdaClient;
  /** Starts and follows the deployment (deploy). */
  readonly codedeploy: CodeDeployClient;
  /** Reports the job's result. */
  readonly codepipeline: CodePipelineClient;
  /** Builds the S3 client that reads and writes the job's artifacts with the job's artifact credentials. */
  readonly artifactS3: (credentials: ArtifactCredentials) => S3Client;
}

/** Options of {@link runPipelineJob}. */
export interface PipelineJobOptions {
  /**
   * How long one invocation of the deploy step follows the deployment before it hands CodePipeline a
   * continuation token, in ms (keep it well under the step function's timeout).
   * @default 60000
   */
  readonly pollBudgetMs?: number;
  /**
   * Pause between two deployment status reads, in ms.
   * @default 10000
   */
  readonly pollMs?: number;
  /**
   * Waits `ms` milliseconds (also used by the release's update polling).
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The current time in ms.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** What a pipeline job reported to CodePipeline. */
export type PipelineJobOutcome =
  | {
      /** The action succeeded. */
      readonly result: 'succeeded';
      readonly jobId: string;
      readonly summary: string;
      readonly outputVariables?: Readonly<Record<string, string>>;
    }
  | {
      /** The deployment still runs: CodePipeline calls again with the continuation token. */
      readonly result: 'in-progress';
      readonly jobId: string;
      readonly summary: string;
      readonly continuationToken: string;
    }
  | {
      /** The action failed with `message`. */
      readonly result: 'failed';
      readonly jobId: string;
      readonly message: string;
    };

type StepOutcome =
  | Omit<Extract<PipelineJobOutcome, { result: 'succeeded' }>, 'jobId'>
  | Omit<Extract<PipelineJobOutcome, { result: 'in-progress' }>, 'jobId'>;

/** Everything a step needs. */
interface StepContext {
  readonly clients: PipelineJobClients;
  readonly job: PipelineJob;
  readonly pollBudgetMs: number;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * Runs one invocation of the delivery step of a CodePipeline Lambda-invoke action and reports it.
 *
 * `job` is `event['CodePipeline.job']`, validated here together with its UserParameters. Step
 * `create-appspec` publishes the build output (input artifact 0, the deployment package) as a new
 * version and writes `appspec.yml` and `release.json` to output artifact 0. Step `deploy` starts the
 * CodeDeploy deployment of that appspec and follows it for `pollBudgetMs`, then hands CodePipeline a
 * continuation token; later invocations resume the same deployment, and stop it with rollback past
 * `timeoutMinutes`. Every invocation makes exactly one PutJobSuccessResult or PutJobFailureResult
 * call: any failure becomes the job's one-line failure message (with the artifact credentials masked).
 * It throws only when the job has no id or that call fails.
 */
export async function runPipelineJob(
  clients: PipelineJobClients,
  job: unknown,
  options: PipelineJobOptions = {},
): Promise<PipelineJobOutcome> {
  const jobId = z.object({ id: z.string().min(1) }).safeParse(job);
  if (!jobId.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the CodePipeline event has no job id: is this function invoked by CodePipeline?',
    );
  }
  let outcome: PipelineJobOutcome;
  try {
    const parsed = pipelineJobSchema.safeParse(job);
    if (!parsed.success) {
      throw new DeliveryError('BAD_INPUT', `invalid CodePipeline job: ${describeIssues(parsed.error)}`);
    }
    const context: StepContext = {
      clients,
      job: parsed.data,
      pollBudgetMs: options.pollBudgetMs ?? 60_000,
      pollMs: options.pollMs ?? 10_000,
      sleep: options.sleep ?? realSleep,
      now: options.now ?? realNow,
    };
    const parameters = readUserParameters(parsed.data);
    const step =
      parameters.step === 'create-appspec'
        ? await createAppSpec(context, parameters)
        : await deploy(context, parameters);
    outcome = { ...step, jobId: jobId.data.id };
  } catch (error) {
    outcome = { result: 'failed', jobId: jobId.data.id, message: describeError(error) };
  }
  outcome = mask(outcome, job);
  await report(clients.codepipeline, outcome);
  return outcome;
}

function readUserParameters(job: PipelineJob): UserParameters {
  const text = job.data.actionConfiguration.configuration.UserParameters;
  if (!text) {
    throw new DeliveryError('BAD_INPUT', 'the action has no UserParameters: set them to the step JSON');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `UserParameters is not JSON: ${(error as Error).message}`);
  }
  const parsed = userParametersSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `invalid UserParameters: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

async function createAppSpec(
  context: StepContext,
  parameters: Extract<UserParameters, { step: 'create-appspec' }>,
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
      `input artifact ${input.name ?? '0'} is not a zip: it must be the deployment package`,
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

async function deploy(
  context: StepContext,
  parameters: Extract<UserParameters, { step: 'deploy' }>,
): Promise<StepOutcome> {
  const timeoutMs = parameters.timeoutMinutes * 60_000;
  const token = context.job.data.continuationToken;
  if (token) {
    return follow(context, readContinuation(token), timeoutMs);
  }
  const { job } = context;
  const [input] = job.data.inputArtifacts;
  if (!input) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the deploy step needs one input artifact (the create-appspec output)',
    );
  }
  const s3 = context.clients.artifactS3(job.data.artifactCredentials);
  const what = `input artifact ${input.name ?? '0'}`;
  const files = unzipTextFiles(await readArtifact(s3, input.location.s3Location), what);
  const record = readReleaseRecord(files['release.json'], what);
  if (record.functionName !== parameters.functionName || record.alias !== parameters.alias) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${what} is a release of ${record.functionName}:${record.alias}, not of ${parameters.functionName}:${parameters.alias}: wire the deploy action to the right create-appspec output`,
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
    throw new DeliveryError('BAD_INPUT', `${what}: appspec.yml and release.json describe different releases`);
  }
  const deploymentId = await startDeployment({
    codedeploy: context.clients.codedeploy,
    application: parameters.application,
    deploymentGroup: parameters.deploymentGroup,
    appSpec,
    description: `version ${record.targetVersion} of ${record.functionName} (CodePipeline job ${job.id})`,
  });
  return follow(
    context,
    { deploymentId, startedAt: context.now(), alias: record.alias, targetVersion: record.targetVersion },
    timeoutMs,
  );
}

function readReleaseRecord(text: string | undefined, what: string): ReleaseRecord {
  if (text === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${what} has no release.json: is it the output of the create-appspec step?`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeliveryError('BAD_INPUT', `${what}: release.json is not JSON`);
  }
  const parsed = releaseRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `${what}: invalid release.json: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function readContinuation(token: string): Continuation {
  let json: unknown;
  try {
    json = JSON.parse(token);
  } catch {
    json = undefined;
  }
  const parsed = continuationSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the continuation token is not one this step wrote: retry the stage',
    );
  }
  return parsed.data;
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
      return { result: 'succeeded', summary: `deployment ${deploymentId} succeeded${shift}` };
    }
    const elapsed = context.now() - token.startedAt;
    if (elapsed >= timeoutMs) {
      throw await stopTimedOutDeployment({ codedeploy, deploymentId, timeoutMs });
    }
    if (context.now() - invoked + context.pollMs > context.pollBudgetMs) {
      return {
        result: 'in-progress',
        summary: `deployment ${deploymentId} in progress (${Math.floor(elapsed / 60_000)} of ${Math.round(timeoutMs / 60_000)} min)`,
        continuationToken: JSON.stringify(token),
      };
    }
    await context.sleep(context.pollMs);
  }
}

/** Replaces any artifact credential that found its way into a message with `***`. */
function mask(outcome: PipelineJobOutcome, job: unknown): PipelineJobOutcome {
  const credentials = z
    .object({ data: z.object({ artifactCredentials: z.record(z.string(), z.unknown()) }) })
    .safeParse(job);
  const secrets = credentials.success
    ? Object.values(credentials.data.data.artifactCredentials).filter(
        (value): value is string => typeof value === 'string' && value.length >= 8,
      )
    : [];
  const clean = (text: string): string =>
    secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
  return outcome.result === 'failed'
    ? { ...outcome, message: clean(outcome.message) }
    : { ...outcome, summary: clean(outcome.summary) };
}

async function report(codepipeline: CodePipelineClient, outcome: PipelineJobOutcome): Promise<void> {
  const { jobId } = outcome;
  switch (outcome.result) {
    case 'failed':
      await codepipeline.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: { type: 'JobFailed', message: oneLine(outcome.message, 4_000) },
        }),
      );
      return;
    case 'in-progress':
      await codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          continuationToken: outcome.continuationToken,
          executionDetails: { summary: oneLine(outcome.summary, 2_000) },
        }),
      );
      return;
    case 'succeeded':
      await codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          executionDetails: { summary: oneLine(outcome.summary, 2_000) },
          outputVariables: outcome.outputVariables ? { ...outcome.outputVariables } : undefined,
        }),
      );
  }
}
