/**
 * The `judged` hook of a pipeline step (see `PipelineStep.judged`): the canary judge's last look at
 * the deployment a successful run made, read from the ledger table where the judge keeps its looks,
 * for the release to carry.
 */
import { latestCanaryLook, summarizeCanaryLook } from '../canary/evidence.js';
import { describeError } from '../errors.js';
import type { StepCanary, StepContext, StepSucceeded } from './step.js';

/**
 * A `judged` hook reading the last look kept under the deployment `deploymentOf` names in the
 * outcome (a CodeDeploy deployment ID, a CodeBuild build ID): none when it names none or nothing was
 * judged; a look that cannot be read is a note, never a failure (the deployment is done).
 *
 * @param what - the deployment in words, for the note (`deployment`, `build`)
 */
export function lastLookOf(
  deploymentOf: (outcome: StepSucceeded) => string | undefined,
  what = 'deployment',
): (context: StepContext, outcome: StepSucceeded, table: string) => Promise<StepCanary> {
  return async (context, outcome, table) => {
    const id = deploymentOf(outcome);
    const { dynamodb } = context.clients;
    if (!id || !dynamodb) return {};
    try {
      const look = await latestCanaryLook(dynamodb, table, id);
      return look ? { canary: summarizeCanaryLook(look) } : {};
    } catch (error) {
      return {
        note: `the canary judge's last look at ${what} ${id} could not be read (${describeError(error)})`,
      };
    }
  };
}
