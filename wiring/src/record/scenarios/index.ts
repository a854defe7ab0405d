/** Every scenario, each one run of a workload's code; a workload's recording is the union of its runs. */
import type { Scenario } from '../scenario';
import { checkFunctionScenarios } from './check-function';
import { dbRolesScenario } from './db-roles';
import { functionScenarios } from './functions';
import { greenCheckScenarios } from './green-check';
import { inventoryApiScenario } from './inventory-api';
import { pipelineStepScenarios } from './pipeline-step';
import { trafficHookScenarios } from './traffic-hook';

/** The scenarios `npm run record -w @ias/wiring` runs. */
export const SCENARIOS: readonly Scenario[] = [
  ...pipelineStepScenarios,
  ...trafficHookScenarios,
  ...greenCheckScenarios,
  ...functionScenarios,
  ...checkFunctionScenarios,
  inventoryApiScenario,
  dbRolesScenario,
];
