/**
 * The Lambda function kind's pipeline steps: `create-appspec` publishes the build output as a new
 * version and writes the release's appspec; `deploy` deploys that appspec with CodeDeploy;
 * `judged-deploy` shifts the alias itself in steps, each judged by the canary judge (judged.ts).
 */
import { z } from 'zod';
import { DeliveryError, oneLine } from '../../errors.js';
import { aliasNameSchema, functionNameSchema, versionSchema } from '../../schemas.js';
import { looksLikeZip, readArtifact, writeArtifact, zipTextFiles } from '../../pipeline/artifacts.js';
import { canaryAnalysisSchema } from '../../canary/index.js';
import { readJson } from '../../pipeline/read-json.js';
import type { StepContext, StepOutcome, StepSucceeded } from '../../pipeline/step.js';
import {
  artifactName,
  inProgress,
  missingClients,
  pipelineStep,
  readContinuation,
  readInputFiles,
  stepParameters,
} from '../../pipeline/step.js';
import { lastLookOf } from '../../pipeline/judged.js';
import { parseAppSpec } from './appspec.js';
import { checkDeployment, settled, startDeployment, stopTimedOutDeployment } from './deployment.js';
import {
  type CanaryJudge,
  type JudgedMinute,
  type JudgedShift,
  beginJudgedShift,
  canaryJudge,
  followJudged,
  JUDGED_LOOK_MS,
  judgedAlarmsSchema,
  judgedPlan,
  judgedShiftSchema,
  judgedStepsSchema,
  judgedTimeoutSchema,
} from './judged.js';
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

const judgedDeployParameters = z.object({
  step: z.literal('judged-deploy'),
  ...functionParameters,
  /** The new version's weights in percent, rising, ending at 100, e.g. [10, 50, 100]. */
  steps: judgedStepsSchema,
  /** How each step below 100 is judged: each bakes `bakeMinutes` of its own. */
  analysis: canaryAnalysisSchema,
  /** From the first shift; past it the alias goes back. At least the bakes' time. */
  timeoutMinutes: judgedTimeoutSchema,
  /** CloudWatch alarms that roll the deployment back when one is in ALARM. @default - none */
  alarms: judgedAlarmsSchema.optional(),
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
  const { files, source, record } = await readRelease(context, parameters);
  if (record.unchanged) {
    return nothingToDeploy(record);
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

/**
 * The create-appspec output (input artifact 0): its files, how messages name it, and its
 * release.json, which must be a release of the step's function and alias.
 */
async function readRelease(
  context: StepContext,
  parameters: { readonly step: string; readonly functionName: string; readonly alias: string },
): Promise<{ files: Record<string, string>; source: string; record: ReleaseRecord }> {
  const { files, source } = await readInputFiles(
    context,
    `the ${parameters.step} step needs one input artifact (the create-appspec output)`,
  );
  const record = readJson(files['release.json'], releaseRecordSchema, {
    name: 'release.json',
    source,
    missing: `${source} has no release.json: is it the output of the create-appspec step?`,
  });
  if (record.functionName !== parameters.functionName || record.alias !== parameters.alias) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source} is a release of ${record.functionName}:${record.alias}, not of ${parameters.functionName}:${parameters.alias}: wire the ${parameters.step} action to the right create-appspec output`,
    );
  }
  return { files, source, record };
}

function nothingToDeploy(record: ReleaseRecord): StepOutcome {
  return {
    result: 'succeeded',
    summary: `nothing to deploy: ${record.functionName} version ${record.targetVersion} is already ${record.alias}`,
  };
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
        // The deployment's ID too: the canary watcher keeps its looks under it.
        outputVariables: token.targetVersion
          ? { TargetVersion: token.targetVersion, DeploymentId: deploymentId }
          : { DeploymentId: deploymentId },
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

/**
 * Shifts the alias of the create-appspec output's release in the parameters' steps, judged once a
 * minute (judged.ts), for this invocation's budget, then hands CodePipeline a continuation token
 * (the {@link JudgedShift}); later invocations resume it. Succeeds with the alias on the new version
 * alone; fails with the alias back on the current one.
 */
async function judgedDeploy(
  context: StepContext,
  parameters: z.output<typeof judgedDeployParameters>,
  judge: CanaryJudge,
): Promise<StepOutcome> {
  const plan = judgedPlan(parameters, 'UserParameters');
  const { lambda, cloudwatch } = context.clients;
  if (!cloudwatch) {
    throw missingClients('judged-deploy', ['CloudWatch']);
  }
  const dependencies = { lambda, cloudwatch, now: context.now, judge };
  const invoked = context.now();
  const token = readContinuation(context, judgedShiftSchema);
  let start: JudgedMinute | JudgedShift;
  if (token) {
    if (token.functionName !== parameters.functionName || token.alias !== parameters.alias) {
      throw new DeliveryError(
        'BAD_INPUT',
        `the continuation token follows ${token.functionName}:${token.alias}, not ${parameters.functionName}:${parameters.alias}: retry the stage`,
      );
    }
    start = token;
  } else {
    const { record } = await readRelease(context, parameters);
    if (record.unchanged) {
      return nothingToDeploy(record);
    }
    start = await beginJudgedShift(dependencies, plan, record);
  }
  const last = await followJudged(dependencies, plan, start, {
    sleep: context.sleep,
    goOn: () => context.now() - invoked + JUDGED_LOOK_MS <= context.pollBudgetMs,
  });
  if (last.status !== 'promoted' || !last.look) {
    const elapsed = context.now() - last.shift.startedAt;
    return inProgress(last.summary, last.shift, elapsed, plan.timeoutMs);
  }
  const { look, shift } = last;
  return {
    result: 'succeeded',
    summary: oneLine(
      `judged deployment succeeded: ${shift.alias} → version ${shift.targetVersion} of ${shift.functionName} over ${plan.steps.join(' → ')} %; last look: ${look.reason}`,
      1_000,
    ),
    outputVariables: {
      TargetVersion: shift.targetVersion,
      CanaryVerdict: look.judgement.verdict,
      CanaryAction: look.action,
      CanaryLook: `${look.look}/${look.looks}`,
      CanaryReason: oneLine(look.reason, 900),
    },
  };
}

/** What a function step made live: the version its `TargetVersion` output names. */
function releasedFunction(outcome: StepSucceeded, name: string) {
  const version = outcome.outputVariables?.TargetVersion;
  return version ? { functions: { [name]: version } } : undefined;
}

/**
 * The judged-deploy step, judging with `judge`.
 * @param judge - @default {@link canaryJudge} (tests pass a fake one)
 */
export function judgedDeployStep(judge: CanaryJudge = canaryJudge) {
  return pipelineStep({
    parameters: judgedDeployParameters,
    run: (context, parameters) => judgedDeploy(context, parameters, judge),
    released: releasedFunction,
  });
}

/** The function kind's steps, in the step table. */
export const functionSteps = [
  pipelineStep({ parameters: createAppSpecParameters, run: createAppSpec }),
  pipelineStep({
    parameters: deployParameters,
    run: deploy,
    released: releasedFunction,
    // The canary watcher's last look at the CodeDeploy deployment, when it judged it.
    judged: lastLookOf((outcome) => outcome.outputVariables?.DeploymentId),
  }),
  judgedDeployStep(),
] as const;
