import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { configurationSnapshot, recordRelease, type ReleaseChange } from './ledger.js';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { parseAppSpec } from './appspec.js';
import { looksLikeZip, readArtifact, unzipTextFiles, writeArtifact, zipTextFiles } from './artifacts.js';
import { checkDeployment, settled, startDeployment, stopTimedOutDeployment } from './deployment.js';
import { imageDetailSchema } from './ecs/appspec.js';
import type { ServiceReleaseClients } from './ecs/service-release.js';
import {
  followServiceUpdate,
  recordServiceImage,
  ssmParameterNameSchema,
  stackNameSchema,
  startServiceDelivery,
} from './ecs/service-release.js';
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

/**
 * The role the step assumes in the environment's account, when that is not the pipeline's
 * (`<prefix>-<env>-delivery`, which trusts only the pipelines' roles). Absent: the step's own role.
 */
const roleArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,128}$/, 'must be an IAM role ARN')
  .optional();

/**
 * Where a successful deployment is recorded (see ledger.ts): the environment's ledger table, the
 * name it is recorded under (the function or service), its configuration path and the commit.
 */
const ledgerSchema = z
  .object({
    table: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
    name: z.string().min(1).max(140),
    configurationPath: z.string().regex(/^\/([\w.-]+\/)+$/, 'must be a path such as /ias/dev/'),
    commit: z.string().max(64).optional(),
  })
  .optional();

const common = {
  roleArn: roleArnSchema,
  ledger: ledgerSchema,
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an environment name such as dev'),
  functionName: functionNameSchema,
  alias: aliasNameSchema,
};

// The container service steps name the service's stack and its image parameter, not a function.
const service = {
  roleArn: roleArnSchema,
  ledger: ledgerSchema,
  environment: common.environment,
  stackName: stackNameSchema,
  imageParameter: ssmParameterNameSchema,
};

/**
 * The action's UserParameters (JSON): which step to run, on which function or service. Fields a step
 * does not use are ignored, so one parameter object can serve several actions.
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
  z.object({
    step: z.literal('ensure-service'),
    ...service,
    timeoutMinutes: z.number().int().min(1).max(120).default(30),
  }),
  z.object({
    step: z.literal('record-service-image'),
    ...service,
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

// The ensure-service step's continuation token: the stack update to keep following.
const serviceContinuationSchema = z.object({
  stackId: z.string().min(1),
  requestToken: z.string().min(1),
  startedAt: z.number().int().nonnegative(),
  imageUri: z.string().min(1),
});

type ServiceContinuation = z.infer<typeof serviceContinuationSchema>;

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
  /**
   * Updates a service's stack on its first delivery (ensure-service).
   * @default - none: the ensure-service step fails, saying the client is missing
   */
  readonly cloudformation?: CloudFormationClient;
  /**
   * Reads and writes a service's image parameter (ensure-service, record-service-image).
   * @default - none: those steps fail, saying the client is missing
   */
  readonly ssm?: SSMClient;
  /**
   * The clients that act in an environment's account through the role a step names (`roleArn`);
   * CodePipeline and the artifacts stay with the function's own credentials.
   * @default - none: a step naming a role fails, saying so
   */
  readonly forRole?: (
    roleArn: string,
  ) => Pick<PipelineJobClients, 'lambda' | 'codedeploy' | 'cloudformation' | 'ssm' | 'dynamodb' | 'secrets'>;
  /**
   * Records successful deployments in the environment's ledger (with `ssm` and `secrets`, which
   * snapshot the configuration in use).
   * @default - none: a step naming a ledger fails, saying the client is missing
   */
  readonly dynamodb?: DynamoDBClient;
  /** Lists the environment's secrets and their current versions, for the ledger. */
  readonly secrets?: SecretsManagerClient;
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
 * `timeoutMinutes`. Step `ensure-service` reads `imageDetail.json` from input artifact 0 (the container
 * build output) and delivers that image to a service that never had one (see `startServiceDelivery`),
 * following the stack update across invocations like `deploy`; step `record-service-image` writes that
 * image to the service's image parameter after its deployment succeeded. Every invocation makes exactly
 * one PutJobSuccessResult or PutJobFailureResult
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
    const parameters = readUserParameters(parsed.data);
    const context: StepContext = {
      clients: parameters.roleArn ? { ...clients, ...clientsFor(clients, parameters.roleArn) } : clients,
      job: parsed.data,
      pollBudgetMs: options.pollBudgetMs ?? 60_000,
      pollMs: options.pollMs ?? 10_000,
      sleep: options.sleep ?? realSleep,
      now: options.now ?? realNow,
    };
    const step = await runStep(context, parameters);
    outcome = { ...step, jobId: jobId.data.id };
  } catch (error) {
    outcome = { result: 'failed', jobId: jobId.data.id, message: describeError(error) };
  }
  outcome = mask(outcome, job);
  await report(clients.codepipeline, outcome);
  return outcome;
}

function clientsFor(clients: PipelineJobClients, roleArn: string) {
  if (!clients.forRole) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the step names the role ${roleArn}, but this function cannot assume roles (no forRole clients)`,
    );
  }
  return clients.forRole(roleArn);
}

async function runStep(context: StepContext, parameters: UserParameters): Promise<StepOutcome> {
  switch (parameters.step) {
    case 'create-appspec':
      return createAppSpec(context, parameters);
    case 'deploy': {
      const outcome = await deploy(context, parameters);
      const version = outcome.result === 'succeeded' ? outcome.outputVariables?.TargetVersion : undefined;
      return outcome.result === 'succeeded' && version && parameters.ledger
        ? withRelease(context, parameters.ledger, outcome, {
            functions: { [parameters.ledger.name]: version },
          })
        : outcome;
    }
    case 'ensure-service':
      return ensureService(context, parameters);
    case 'record-service-image': {
      const outcome = await recordImage(context, parameters);
      const image = outcome.result === 'succeeded' ? outcome.outputVariables?.ImageUri : undefined;
      return outcome.result === 'succeeded' && image && parameters.ledger
        ? withRelease(context, parameters.ledger, outcome, {
            services: { [parameters.ledger.name]: { image } },
          })
        : outcome;
    }
  }
}

/** Records what the step made live as the environment's next release. */
async function withRelease(
  context: StepContext,
  ledger: NonNullable<UserParameters['ledger']>,
  outcome: Extract<StepOutcome, { result: 'succeeded' }>,
  change: Pick<ReleaseChange, 'functions' | 'services'>,
): Promise<StepOutcome> {
  const { dynamodb, ssm, secrets } = context.clients;
  if (!dynamodb || !ssm || !secrets) {
    throw missingClients('ledger', [
      dynamodb ? undefined : 'DynamoDB',
      ssm ? undefined : 'SSM',
      secrets ? undefined : 'Secrets Manager',
    ]);
  }
  const configuration = await configurationSnapshot({ ssm, secrets }, ledger.configurationPath);
  const release = await recordRelease(dynamodb, ledger.table, {
    by: `CodePipeline job ${context.job.id}`,
    source: 'pipeline',
    commit: ledger.commit,
    summary: outcome.summary,
    ...change,
    configuration,
  });
  return {
    ...outcome,
    summary: `${outcome.summary}; release ${release.number} in ${ledger.table}`,
    outputVariables: { ...outcome.outputVariables, Release: String(release.number) },
  };
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
      return {
        result: 'in-progress',
        summary: `deployment ${deploymentId} in progress (${Math.floor(elapsed / 60_000)} of ${Math.round(timeoutMs / 60_000)} min)`,
        continuationToken: JSON.stringify(token),
      };
    }
    await context.sleep(context.pollMs);
  }
}

/** The clients of the container service steps; a missing one is a wiring error of the step function. */
function serviceClients(context: StepContext, step: string): ServiceReleaseClients {
  const { cloudformation, ssm } = context.clients;
  if (!cloudformation || !ssm) {
    throw missingClients(step, [cloudformation ? undefined : 'CloudFormation', ssm ? undefined : 'SSM']);
  }
  return { cloudformation, ssm };
}

function missingClients(step: string, missing: readonly (string | undefined)[]): DeliveryError {
  return new DeliveryError(
    'BAD_INPUT',
    `the ${step} step needs the ${missing.filter(Boolean).join(' and ')} client, which this step function was not given: add it to the function's clients`,
  );
}

/** The image URI of `imageDetail.json` in input artifact 0 (the container build's output). */
async function readImageUri(context: StepContext, step: string): Promise<string> {
  const { job } = context;
  const [input] = job.data.inputArtifacts;
  if (!input) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the ${step} step needs one input artifact (the container build output, with imageDetail.json)`,
    );
  }
  const s3 = context.clients.artifactS3(job.data.artifactCredentials);
  const what = `input artifact ${input.name ?? '0'}`;
  const files = unzipTextFiles(await readArtifact(s3, input.location.s3Location), what);
  const text = files['imageDetail.json'];
  if (text === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${what} has no imageDetail.json: is it the container build's output?`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeliveryError('BAD_INPUT', `${what}: imageDetail.json is not JSON`);
  }
  const parsed = imageDetailSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${what}: invalid imageDetail.json: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data.ImageURI;
}

async function ensureService(
  context: StepContext,
  parameters: Extract<UserParameters, { step: 'ensure-service' }>,
): Promise<StepOutcome> {
  const clients = serviceClients(context, 'ensure-service');
  const timeoutMs = parameters.timeoutMinutes * 60_000;
  const token = context.job.data.continuationToken;
  if (token) {
    return followService(context, clients, parameters, readServiceContinuation(token), timeoutMs);
  }
  const imageUri = await readImageUri(context, 'ensure-service');
  const startedAt = context.now();
  const start = await startServiceDelivery(
    clients,
    { stackName: parameters.stackName, imageParameter: parameters.imageParameter, imageUri },
    { now: context.now },
  );
  if (start.action === 'already-delivered') {
    return {
      result: 'succeeded',
      summary: `${parameters.stackName} already runs a delivered image (${start.previousImage}): the deployment brings ${imageUri}`,
      outputVariables: { ImageUri: imageUri, Delivery: 'already-delivered' },
    };
  }
  if (!start.update) {
    return firstDelivered(parameters.stackName, imageUri);
  }
  return followService(
    context,
    clients,
    parameters,
    { stackId: start.update.stackId, requestToken: start.update.requestToken, startedAt, imageUri },
    timeoutMs,
  );
}

/** Follows the first delivery's stack update for this invocation's budget. */
async function followService(
  context: StepContext,
  clients: ServiceReleaseClients,
  parameters: Extract<UserParameters, { step: 'ensure-service' }>,
  token: ServiceContinuation,
  timeoutMs: number,
): Promise<StepOutcome> {
  const progress = await followServiceUpdate(
    clients,
    {
      stackName: parameters.stackName,
      stackId: token.stackId,
      requestToken: token.requestToken,
      imageParameter: parameters.imageParameter,
    },
    {
      deadline: token.startedAt + timeoutMs,
      timeoutMs,
      budgetMs: context.pollBudgetMs,
      pollMs: context.pollMs,
      sleep: context.sleep,
      now: context.now,
    },
  );
  if (progress === 'complete') {
    return firstDelivered(parameters.stackName, token.imageUri);
  }
  const elapsed = context.now() - token.startedAt;
  return {
    result: 'in-progress',
    summary: `${parameters.stackName} is creating the service with its first image (${Math.floor(elapsed / 60_000)} of ${Math.round(timeoutMs / 60_000)} min)`,
    continuationToken: JSON.stringify(token),
  };
}

function firstDelivered(stackName: string, imageUri: string): StepOutcome {
  return {
    result: 'succeeded',
    summary: `${stackName} now runs the service with its first image ${imageUri}`,
    outputVariables: { ImageUri: imageUri, Delivery: 'delivered-first' },
  };
}

function readServiceContinuation(token: string): ServiceContinuation {
  let json: unknown;
  try {
    json = JSON.parse(token);
  } catch {
    json = undefined;
  }
  const parsed = serviceContinuationSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the continuation token is not one this step wrote: retry the stage',
    );
  }
  return parsed.data;
}

async function recordImage(
  context: StepContext,
  parameters: Extract<UserParameters, { step: 'record-service-image' }>,
): Promise<StepOutcome> {
  const { ssm } = context.clients;
  if (!ssm) {
    throw missingClients('record-service-image', ['SSM']);
  }
  const imageUri = await readImageUri(context, 'record-service-image');
  await recordServiceImage(ssm, { imageParameter: parameters.imageParameter, imageUri });
  return {
    result: 'succeeded',
    summary: `recorded ${imageUri} in ${parameters.imageParameter}: infrastructure deploys of ${parameters.stackName} keep it`,
    outputVariables: { ImageUri: imageUri },
  };
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
