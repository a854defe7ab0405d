/**
 * The ECS service kind's pipeline steps: `ensure-service` delivers the build's image to a service that
 * never had one; `record-service-image` writes the deployed image to the service's image parameter.
 */
import { z } from 'zod';
import { readJson } from '../../pipeline/read-json.js';
import type { StepContext, StepOutcome } from '../../pipeline/step.js';
import {
  inProgress,
  missingClients,
  pipelineStep,
  readContinuation,
  readInputFiles,
  stepParameters,
} from '../../pipeline/step.js';
import { imageDetailSchema } from './appspec.js';
import type { ServiceReleaseClients } from './service-release.js';
import {
  followServiceUpdate,
  recordServiceImage,
  ssmParameterNameSchema,
  stackNameSchema,
  startServiceDelivery,
} from './service-release.js';

// The container service steps name the service's stack and its image parameter, not a function.
const serviceParameters = {
  ...stepParameters,
  stackName: stackNameSchema,
  imageParameter: ssmParameterNameSchema,
};

const ensureServiceParameters = z.object({
  step: z.literal('ensure-service'),
  ...serviceParameters,
  timeoutMinutes: z.number().int().min(1).max(120).default(30),
});

type EnsureServiceParameters = z.output<typeof ensureServiceParameters>;

const recordServiceImageParameters = z.object({
  step: z.literal('record-service-image'),
  ...serviceParameters,
});

// The ensure-service step's continuation token: the stack update to keep following.
const serviceContinuationSchema = z.object({
  stackId: z.string().min(1),
  requestToken: z.string().min(1),
  startedAt: z.number().int().nonnegative(),
  imageUri: z.string().min(1),
});

type ServiceContinuation = z.infer<typeof serviceContinuationSchema>;

/** The clients of the container service steps; a missing one is a wiring error of the step function. */
function serviceClients(context: StepContext, step: string): ServiceReleaseClients {
  const { cloudformation, ssm } = context.clients;
  if (!cloudformation || !ssm) {
    throw missingClients(step, [cloudformation ? undefined : 'CloudFormation', ssm ? undefined : 'SSM']);
  }
  return { cloudformation, ssm };
}

/** The image URI of `imageDetail.json` in input artifact 0 (the container build's output). */
async function readImageUri(context: StepContext, step: string): Promise<string> {
  const { files, source } = await readInputFiles(
    context,
    `the ${step} step needs one input artifact (the container build output, with imageDetail.json)`,
  );
  return readJson(files['imageDetail.json'], imageDetailSchema, {
    name: 'imageDetail.json',
    source,
    missing: `${source} has no imageDetail.json: is it the container build's output?`,
  }).ImageURI;
}

/**
 * Reads `imageDetail.json` from input artifact 0 (the container build output) and delivers that image
 * to a service that never had one (see `startServiceDelivery`), following the stack update across
 * invocations like `deploy`.
 */
async function ensureService(
  context: StepContext,
  parameters: EnsureServiceParameters,
): Promise<StepOutcome> {
  const clients = serviceClients(context, 'ensure-service');
  const timeoutMs = parameters.timeoutMinutes * 60_000;
  const token = readContinuation(context, serviceContinuationSchema);
  if (token) {
    return followService(context, clients, parameters, token, timeoutMs);
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
  parameters: EnsureServiceParameters,
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
  return inProgress(
    `${parameters.stackName} is creating the service with its first image`,
    token,
    context.now() - token.startedAt,
    timeoutMs,
  );
}

function firstDelivered(stackName: string, imageUri: string): StepOutcome {
  return {
    result: 'succeeded',
    summary: `${stackName} now runs the service with its first image ${imageUri}`,
    outputVariables: { ImageUri: imageUri, Delivery: 'delivered-first' },
  };
}

/** Writes the image of `imageDetail.json` to the service's image parameter, after its deployment succeeded. */
async function recordImage(
  context: StepContext,
  parameters: z.output<typeof recordServiceImageParameters>,
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

/** The service kind's steps, in the step table. */
export const serviceSteps = [
  pipelineStep({ parameters: ensureServiceParameters, run: ensureService }),
  pipelineStep({
    parameters: recordServiceImageParameters,
    run: recordImage,
    released: (outcome, name) => {
      const image = outcome.outputVariables?.ImageUri;
      return image ? { services: { [name]: { image } } } : undefined;
    },
  }),
] as const;
