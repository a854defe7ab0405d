/** `delivery:traffic-hook`: a Lambda deployment's pre- and post-traffic hooks, on a CodeDeploy event. */
import { FIXTURE_DEPLOYMENT, type Scenario } from '../scenario';
import { responder } from '../respond';

const SOURCE = 'wiring/src/record/scenarios/traffic-hook.ts';

// The deployment's function: the hook learns it from CodeDeploy, so the check reads it from the
// deployment groups whose hooks name this function.
const { alias, ...versions } = FIXTURE_DEPLOYMENT;
const TARGET = { functionName: 'wiring-fixture-target-function', functionAlias: alias, ...versions };

function hookScenario(phase: 'pre-traffic' | 'post-traffic'): Scenario {
  return {
    workload: 'delivery:traffic-hook',
    id: `traffic-hook:${phase}`,
    source: SOURCE,
    env: { HOOK_PHASE: phase, SMOKE_EVENTS_PATH: '/wiring-fixture/smoke-events/' },
    tokens: {
      [TARGET.functionName]: '${event:functionName}',
      [TARGET.functionAlias]: '${event:functionAlias}',
      [TARGET.targetVersion]: '${event:functionVersion}',
    },
    respond: responder({
      'CodeDeploy ListDeploymentTargets': { targetIds: [TARGET.functionName] },
      'CodeDeploy GetDeploymentTarget': {
        deploymentTarget: { lambdaTarget: { lambdaFunctionInfo: TARGET } },
      },
      'SSM GetParameter': { Parameter: { Value: '{"smoke":true}' } },
      'Lambda Invoke': { StatusCode: 200, Payload: new TextEncoder().encode('{"status":"ok"}') },
      'CloudWatch DescribeAlarms': { MetricAlarms: [], CompositeAlarms: [] },
      'CodeDeploy PutLifecycleEventHookExecutionStatus': { lifecycleEventHookExecutionId: 'wiring-hook' },
    }),
    async run() {
      const { handler } = await import('@ias/delivery/handlers/traffic-hook');
      const result = await handler({
        DeploymentId: 'd-WIRING01',
        LifecycleEventHookExecutionId: 'wiring-hook',
      });
      if (result.status !== 'Succeeded') throw new Error(`the ${phase} hook failed: ${result.reason}`);
    },
  };
}

/** Both phases: pre-traffic invokes the target version, post-traffic the alias and reads alarms. */
export const trafficHookScenarios: readonly Scenario[] = [
  hookScenario('pre-traffic'),
  hookScenario('post-traffic'),
];
