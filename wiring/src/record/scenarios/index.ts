/** Every scenario, each one run of a workload's code; a workload's recording is the union of its runs. */
import type { Scenario } from '../scenario';
import { greenCheckScenarios } from './green-check';
import { pipelineStepScenarios } from './pipeline-step';
import { trafficHookScenarios } from './traffic-hook';

/** The scenarios `npm run record -w @ias/wiring` runs. */
export const SCENARIOS: readonly Scenario[] = [
  ...pipelineStepScenarios,
  ...trafficHookScenarios,
  ...greenCheckScenarios,
];
