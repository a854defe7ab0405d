/**
 * The step table: every step a pipeline action can name in its UserParameters, as the kinds contribute
 * them. A new kind adds its steps here, and the UserParameters schema follows.
 */
import { z } from 'zod';
import { ec2Steps } from '../kinds/ec2/pipeline-steps.js';
import { functionSteps } from '../kinds/function/pipeline-steps.js';
import { kubernetesSteps } from '../kinds/kubernetes/pipeline-steps.js';
import { serviceSteps } from '../kinds/service/pipeline-steps.js';
import type { PipelineStep } from './step.js';
import { sharedSteps } from './supply-chain-gate.js';

/** Every pipeline step: those every kind runs, then each kind's. */
export const pipelineSteps = [
  ...sharedSteps,
  ...functionSteps,
  ...serviceSteps,
  ...kubernetesSteps,
  ...ec2Steps,
] as const;

type ParametersOf<Steps extends readonly PipelineStep[]> = {
  readonly [Index in keyof Steps]: Steps[Index]['parameters'];
};

function parametersOf<const Steps extends readonly PipelineStep[]>(steps: Steps): ParametersOf<Steps> {
  // A mapped tuple type: TypeScript cannot type `map` over a tuple as one.
  return steps.map((step) => step.parameters) as unknown as ParametersOf<Steps>;
}

/**
 * The action's UserParameters (JSON): which step to run, on which function or service. Fields a step
 * does not use are ignored, so one parameter object can serve several actions.
 */
export const userParametersSchema = z.discriminatedUnion('step', parametersOf(pipelineSteps));

/** The action's UserParameters, validated. */
export type UserParameters = z.infer<typeof userParametersSchema>;

/** The table entry of step `name`. */
export function stepNamed(name: UserParameters['step']): PipelineStep {
  const found = pipelineSteps.find((step) => step.parameters.shape.step.value === name);
  if (!found) {
    // userParametersSchema admits only the table's names.
    throw new Error(`no step ${name} in the step table`);
  }
  return found;
}
