import { Logger } from '@aws-lambda-powertools/logger';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { SyntheticsClient } from '@aws-sdk/client-synthetics';
import type { Context } from 'aws-lambda';
import type { EcsHookResponse } from '../lifecycle-hook.js';
import { readCanaryGateConfig, runCanaryGateHook } from '../kinds/service/canary-gate.js';

// Read once at load: a misconfigured gate fails on its first invocation with a clear message.
// CANARY_NAME and CANARY_GATE_DEADLINE_SECONDS, both required.
const config = readCanaryGateConfig(process.env);
const logger = new Logger({ serviceName: 'delivery-canary-gate' });
const dependencies = { synthetics: new SyntheticsClient({}), codedeploy: new CodeDeployClient({}) };

/**
 * The canary gate of a container service's deployment: once production traffic has moved to the new
 * tasks, waits for the environment's canary to finish a run that started after the move, and lets the
 * deployment go on only if that run passed. Serves a CodeDeploy ECS lifecycle hook (AfterAllowTraffic:
 * waits, reports to CodeDeploy, returns `{ status, reason }`) and an Amazon ECS deployment lifecycle
 * hook (POST_PRODUCTION_TRAFFIC_SHIFT: returns `{ hookStatus }` to ECS, IN_PROGRESS while it waits).
 */
export const handler = async (
  event: unknown,
  context?: Context,
): Promise<EcsHookResponse | { status: 'Succeeded' | 'Failed'; reason: string }> => {
  if (context) {
    logger.addContext(context);
  }
  const outcome = await runCanaryGateHook(dependencies, event, config);
  const { decision } = outcome;
  const details =
    outcome.source === 'codedeploy'
      ? { source: outcome.source, deploymentId: outcome.deploymentId, detail: decision.detail }
      : { source: outcome.source, lifecycleStage: outcome.lifecycleStage, detail: decision.detail };
  switch (decision.outcome) {
    case 'PASSED':
      logger.info('canary gate passed', details);
      break;
    case 'NO_CANARY':
      logger.info('canary gate passed: no canary, nothing to wait for', details);
      break;
    case 'WAITING':
      logger.info('canary gate waiting', details);
      break;
    default:
      logger.warn(`canary gate failed (${decision.outcome})`, details);
  }
  // Amazon ECS reads exactly `hookStatus` (and callBackDelay, hookDetails); CodeDeploy was told already.
  return outcome.source === 'ecs' ? outcome.response : { status: outcome.status, reason: decision.detail };
};
