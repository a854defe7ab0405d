/**
 * The contract of one pipeline step (what a kind contributes to the step table: its UserParameters
 * schema and its run function) and the helpers steps share: the parameters every step takes, input
 * artifacts, continuation tokens and missing clients.
 */
import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import type { CanaryLookSummary } from '../canary/evidence.js';
import { sbomLocationSchema, type ReleaseChange } from '../ledger.js';
import type { Clock } from '../time.js';
import { readArtifact, unzipTextFiles } from './artifacts.js';
import type { PipelineJob, PipelineJobClients, PipelineJobOutcome } from './job.js';
import { readJson } from './read-json.js';

/**
 * What one run of a step reports: the job's outcome before it is given the job id. A step fails by
 * throwing, except one that decided against going on with a message longer than an error keeps (the
 * supply-chain gate's findings): it reports `failed` itself.
 */
export type StepOutcome =
  | Omit<Extract<PipelineJobOutcome, { result: 'succeeded' }>, 'jobId'>
  | Omit<Extract<PipelineJobOutcome, { result: 'in-progress' }>, 'jobId'>
  | Omit<Extract<PipelineJobOutcome, { result: 'failed' }>, 'jobId'>;

/** A step's successful outcome. */
export type StepSucceeded = Extract<StepOutcome, { result: 'succeeded' }>;

/** Everything a step needs. */
export interface StepContext extends Clock {
  /** The clients, already those of the step's `roleArn` when it names one. */
  readonly clients: PipelineJobClients;
  readonly job: PipelineJob;
  /** How long one invocation follows a deployment before it hands back a continuation token, in ms. */
  readonly pollBudgetMs: number;
  /** Pause between two status reads, in ms. */
  readonly pollMs: number;
}

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
 * name it is recorded under (the function or service), its configuration path, the commit and the
 * artifact's SBOM.
 */
const ledgerSchema = z
  .object({
    table: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
    name: z.string().min(1).max(140),
    // eslint-disable-next-line security/detect-unsafe-regex -- each repetition ends with a / its class excludes: one way to match
    configurationPath: z.string().regex(/^\/([\w.-]+\/)+$/, 'must be a path such as /ias/dev/'),
    commit: z.string().max(64).optional(),
    /**
     * The SBOM of the artifact deployed, as the stage's supply-chain gate stored it (its output
     * variables `SbomBucket` and `SbomKey`). @default - none recorded
     */
    sbom: sbomLocationSchema.optional(),
  })
  .optional();

/** The UserParameters fields every step takes, whatever its kind: spread them into a step's schema. */
export const stepParameters = {
  roleArn: roleArnSchema,
  ledger: ledgerSchema,
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an environment name such as dev'),
};

/** Where a successful deployment is recorded: a step's `ledger` parameter. */
export type StepLedger = NonNullable<z.output<typeof ledgerSchema>>;

/** The UserParameters schema of one step: an object whose `step` is the step's name. */
export type StepParametersSchema = z.ZodObject<
  { step: z.ZodLiteral<string>; ledger: typeof ledgerSchema; roleArn: typeof roleArnSchema } & z.ZodRawShape
>;

/** One entry of the step table: a step a pipeline action names in its UserParameters. */
export interface PipelineStep<S extends StepParametersSchema = StepParametersSchema> {
  /** The step's UserParameters (`step` is its name). Fields a step does not use are ignored. */
  readonly parameters: S;
  /**
   * Runs one invocation of the step. A method, not a function property, so that a table of steps
   * with different parameters is a list of `PipelineStep` (methods compare their parameters bivariantly).
   */
  run(context: StepContext, parameters: z.output<S>): Promise<StepOutcome>;
  /**
   * What a successful run made live, recorded in the ledger under `name` when the step names one.
   * @default - the step records nothing
   */
  released?(
    outcome: StepSucceeded,
    name: string,
  ): Pick<ReleaseChange, 'functions' | 'services' | 'applications' | 'fleets'> | undefined;
  /**
   * What the canary judge last saw of the deployment a successful run made, which its release then
   * carries (`ReleaseChange.canary`), read from the ledger `table` where the judge keeps its looks;
   * called only when {@link released} records something. Never throws: a look that cannot be read is
   * a `note` the step's summary takes, and the release is recorded without it.
   * @default - the step's deployments are judged by no one that keeps its looks
   */
  judged?(context: StepContext, outcome: StepSucceeded, table: string): Promise<StepCanary>;
}

/** What {@link PipelineStep.judged} found: the last look, or why it could not be read. */
export interface StepCanary {
  /** The last look's summary. @default - none: the deployment was not judged */
  readonly canary?: CanaryLookSummary;
  /** Why the look could not be read, for the step's summary. @default - nothing to say */
  readonly note?: string;
}

/** A step, its `run` typed by its parameters. */
export function pipelineStep<S extends StepParametersSchema>(step: PipelineStep<S>): PipelineStep<S> {
  return step;
}

/** The error of a step whose step function lacks the `missing` clients. */
export function missingClients(step: string, missing: readonly (string | undefined)[]): DeliveryError {
  return new DeliveryError(
    'BAD_INPUT',
    `the ${step} step needs the ${missing.filter(Boolean).join(' and ')} client, which this step function was not given: add it to the function's clients`,
  );
}

/** How messages name input or output artifact `artifact` (its name, else its position 0). */
export function artifactName(artifact: { readonly name?: string | undefined }): string {
  return `artifact ${artifact.name ?? '0'}`;
}

/**
 * The text files of input artifact 0 and how messages name it; throws `BAD_INPUT` with `missing` when
 * the job has no input artifact.
 */
export async function readInputFiles(
  context: StepContext,
  missing: string,
): Promise<{ readonly files: Record<string, string>; readonly source: string }> {
  const { job } = context;
  const [input] = job.data.inputArtifacts;
  if (!input) {
    throw new DeliveryError('BAD_INPUT', missing);
  }
  const s3 = context.clients.artifactS3(job.data.artifactCredentials);
  const source = `input ${artifactName(input)}`;
  return { files: unzipTextFiles(await readArtifact(s3, input.location.s3Location), source), source };
}

/**
 * The continuation token CodePipeline handed back (what an earlier invocation of this step returned
 * with `in-progress`), read as `schema`; undefined on a step's first invocation.
 */
export function readContinuation<S extends z.ZodType>(
  context: StepContext,
  schema: S,
): z.output<S> | undefined {
  const token = context.job.data.continuationToken;
  return token
    ? readJson(token, schema, {
        name: 'continuation token',
        unreadable: 'the continuation token is not one this step wrote: retry the stage',
      })
    : undefined;
}

/** An `in-progress` outcome, `elapsedMs` into `timeoutMs`: CodePipeline invokes the step again with `token`. */
export function inProgress(
  summary: string,
  token: object,
  elapsedMs: number,
  timeoutMs: number,
): StepOutcome {
  return {
    result: 'in-progress',
    summary: `${summary} (${Math.floor(elapsedMs / 60_000)} of ${Math.round(timeoutMs / 60_000)} min)`,
    continuationToken: JSON.stringify(token),
  };
}
