import { Logger } from '@aws-lambda-powertools/logger';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { Context } from 'aws-lambda';
import type { EcsHookResponse } from '../lifecycle-hook.js';
import { readGreenCheckConfig, runGreenCheckHook } from '../kinds/service/green-check.js';

// Read once at load: a misconfigured hook fails on its first invocation with a clear message.
// GREEN_CHECK_URL (required), GREEN_CHECK_ATTEMPTS (5), GREEN_CHECK_CONSECUTIVE (3), GREEN_CHECK_INTERVAL_MS (5000).
const config = readGreenCheckConfig(process.env);
const logger = new Logger({ serviceName: 'delivery-green-check' });
const dependencies = { codedeploy: new CodeDeployClient({}) };

/**
 * The green check of a container service's blue/green deployment: GETs the green side through the
 * load balancer's test listener before production traffic moves. Serves a CodeDeploy ECS lifecycle
 * hook (AfterAllowTestTraffic: reports to CodeDeploy, returns `{ status, reason }`) and an Amazon ECS
 * deployment lifecycle hook (POST_TEST_TRAFFIC_SHIFT: returns `{ hookStatus }` to ECS).
 */
export const handler = async (
  event: unknown,
  context?: Context,
): Promise<EcsHookResponse | { status: 'Succeeded' | 'Failed'; reason: string }> => {
  if (context) {
    logger.addContext(context);
  }
  const outcome = await runGreenCheckHook(dependencies, event, config);
  const passed =
    outcome.source === 'codedeploy'
      ? outcome.status === 'Succeeded'
      : outcome.response.hookStatus === 'SUCCEEDED';
  const details =
    outcome.source === 'codedeploy'
      ? { source: outcome.source, deploymentId: outcome.deploymentId, detail: outcome.detail }
      : { source: outcome.source, lifecycleStage: outcome.lifecycleStage, detail: outcome.detail };
  if (passed) {
    logger.info('green check passed', details);
  } else {
    logger.warn('green check failed', details);
  }
  // Amazon ECS reads exactly `hookStatus` from the answer; CodeDeploy ignores it (it was told already).
  return outcome.source === 'ecs' ? outcome.response : { status: outcome.status, reason: outcome.detail };
};
