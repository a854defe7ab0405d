import { z } from 'zod';
import { DeliveryError, describeError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { now as realNow, sleep as realSleep } from '../time.js';
import type { PipelineJobClients, PipelineJobOutcome } from './job.js';
import { pipelineJobSchema } from './job.js';
import { readJson } from './read-json.js';
import { recordStepRelease } from './record-release.js';
import { mask, report } from './report.js';
import type { StepContext, StepOutcome } from './step.js';
import type { UserParameters } from './steps.js';
import { stepNamed, userParametersSchema } from './steps.js';

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

/**
 * Runs one invocation of the delivery step of a CodePipeline Lambda-invoke action and reports it.
 *
 * `job` is `event['CodePipeline.job']`, validated here together with its UserParameters, whose `step`
 * names the entry of the step table (`pipelineSteps`) to run: `create-appspec` and `deploy` for a
 * function, `ensure-service` and `record-service-image` for a service. A step that outlasts the
 * invocation's `pollBudgetMs` hands CodePipeline a continuation token and resumes from it when invoked
 * again; a step that made something live records it in the ledger its parameters name. Every
 * invocation makes exactly one PutJobSuccessResult or PutJobFailureResult call: any failure becomes the
 * job's one-line failure message (with the artifact credentials masked). It throws only when the job
 * has no id or that call fails.
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
    // An empty UserParameters is as good as none.
    const parameters = readJson(
      parsed.data.data.actionConfiguration.configuration.UserParameters || undefined,
      userParametersSchema,
      { name: 'UserParameters', missing: 'the action has no UserParameters: set them to the step JSON' },
    );
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

/** Runs the step `parameters` name, then records what it made live when they name a ledger. */
async function runStep(context: StepContext, parameters: UserParameters): Promise<StepOutcome> {
  const step = stepNamed(parameters.step);
  const outcome = await step.run(context, parameters);
  const { ledger } = parameters;
  if (outcome.result !== 'succeeded' || !ledger) {
    return outcome;
  }
  const change = step.released?.(outcome, ledger.name);
  if (!change) return outcome;
  const judged = (await step.judged?.(context, outcome, ledger.table)) ?? {};
  const noted = judged.note ? { ...outcome, summary: `${outcome.summary}; ${judged.note}` } : outcome;
  return recordStepRelease(
    context,
    ledger,
    noted,
    judged.canary ? { ...change, canary: judged.canary } : change,
  );
}
