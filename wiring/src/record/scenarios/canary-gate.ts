/**
 * A service's canary gate, on a CodeDeploy ECS hook event (`delivery:canary-gate:codedeploy`,
 * AfterAllowTraffic) and on an Amazon ECS lifecycle hook event (`delivery:canary-gate:ecs`,
 * POST_PRODUCTION_TRAFFIC_SHIFT): it reads the canary's runs, and reports to CodeDeploy only in the
 * first case. Which one a deployed gate receives depends on its environment's strategy, so each is a
 * recording of its own.
 */
import type { Scenario } from '../scenario';
import { responder } from '../respond';

const SOURCE = 'wiring/src/record/scenarios/canary-gate.ts';

const CODEDEPLOY_EVENT = { DeploymentId: 'd-WIRING03', LifecycleEventHookExecutionId: 'wiring-hook' };
const ECS_EVENT = {
  executionId: 'wiring-execution',
  lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT',
  resourceArn: 'arn:aws:ecs:eu-west-3:123456789012:service-deployment/wiring-cluster/wiring-service/abc',
  executionDetails: {
    serviceArn: 'arn:aws:ecs:eu-west-3:123456789012:service/wiring-cluster/wiring-service',
    targetServiceRevisionArn:
      'arn:aws:ecs:eu-west-3:123456789012:service-revision/wiring-cluster/wiring-service/1',
  },
};

function canaryGate(source: 'codedeploy' | 'ecs'): Scenario {
  return {
    workload: `delivery:canary-gate:${source}`,
    id: `canary-gate:${source}`,
    source: SOURCE,
    env: { CANARY_NAME: 'wiring-canary', CANARY_GATE_DEADLINE_SECONDS: '660' },
    respond: responder({
      // A run that started after the handler's start (traffic moved): the gate decides on the first look.
      'synthetics GetCanaryRuns': () => ({
        CanaryRuns: [
          {
            Id: 'wiring-run',
            Status: { State: 'PASSED' },
            Timeline: { Started: new Date(Date.now() + 60_000), Completed: new Date(Date.now() + 80_000) },
          },
        ],
      }),
      'CodeDeploy PutLifecycleEventHookExecutionStatus': { lifecycleEventHookExecutionId: 'wiring-hook' },
    }),
    async run() {
      const { handler } = await import('@ias/delivery/handlers/canary-gate');
      const result = await handler(source === 'ecs' ? ECS_EVENT : CODEDEPLOY_EVENT);
      const passed =
        'hookStatus' in result ? result.hookStatus === 'SUCCEEDED' : result.status === 'Succeeded';
      if (!passed) throw new Error(`the canary gate did not pass: ${JSON.stringify(result)}`);
    },
  };
}

/** The CodeDeploy hook path (reports its status) and the Amazon ECS hook path (answers ECS only). */
export const canaryGateScenarios: readonly Scenario[] = [canaryGate('codedeploy'), canaryGate('ecs')];
