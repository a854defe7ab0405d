/** Every scenario, each one run of a workload's code; a workload's recording is the union of its runs. */
import type { Scenario } from '../scenario';

/**
 * The scenario modules, each under the prefix of its scenarios' ids (`fn:allocate-order` is `fn`),
 * loaded when asked for: a scenario's own process (run-scenario.ts) loads its module alone. Loading
 * them all cost each of the 22 scenario processes about a second (1.3 s against 0.4 s for the
 * traffic hook's).
 */
const MODULES: Readonly<Record<string, () => Promise<readonly Scenario[]>>> = {
  'pipeline-step': async () => (await import('./pipeline-step.js')).pipelineStepScenarios,
  'traffic-hook': async () => (await import('./traffic-hook.js')).trafficHookScenarios,
  'green-check': async () => (await import('./green-check.js')).greenCheckScenarios,
  'canary-gate': async () => (await import('./canary-gate.js')).canaryGateScenarios,
  'canary-watcher': async () => (await import('./canary-watcher.js')).canaryWatcherScenarios,
  fn: async () => (await import('./functions.js')).functionScenarios,
  'check-function': async () => (await import('./check-function.js')).checkFunctionScenarios,
  svc: async () => [(await import('./inventory-api.js')).inventoryApiScenario],
  'db-roles': async () => [(await import('./db-roles.js')).dbRolesScenario],
  kubernetes: async () => (await import('./kubernetes-deploy.js')).kubernetesDeployScenarios,
  'ec2-deployment-group': async () => (await import('./ec2-deployment-group.js')).ec2DeploymentGroupScenarios,
  ec2: async () => (await import('./ec2-instance.js')).ec2InstanceScenarios,
};

/** The scenarios `npm run record -w @ias/wiring` runs, in recording order. */
export async function allScenarios(): Promise<Scenario[]> {
  const loaded = await Promise.all(Object.values(MODULES).map((load) => load()));
  return loaded.flat();
}

/** The scenario `id`, loading only its module; undefined when there is none. */
export async function scenarioById(id: string): Promise<Scenario | undefined> {
  const load = MODULES[id.split(':')[0] ?? ''];
  return load ? (await load()).find((s) => s.id === id) : undefined;
}
