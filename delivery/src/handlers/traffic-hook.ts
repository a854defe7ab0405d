import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { describeIssues } from '../schemas.js';
import type { TrafficHookResult } from '../kinds/function/traffic-hook.js';
import { readTrafficHookConfig, runTrafficHook } from '../kinds/function/traffic-hook.js';
import { trafficHookEventSchema } from '../lifecycle-hook.js';

// Read once at load: a misconfigured hook fails on its first invocation with a clear message.
const config = readTrafficHookConfig(process.env);
const logger = new Logger({ serviceName: `delivery-${config.phase}-hook` });
const clients = {
  codedeploy: new CodeDeployClient({}),
  lambda: new LambdaClient({}),
  cloudwatch: new CloudWatchClient({}),
  ssm: new SSMClient({}),
};

/**
 * A CodeDeploy lifecycle hook of a Lambda deployment (BeforeAllowTraffic or AfterAllowTraffic, from
 * `HOOK_PHASE`): smoke-tests the function and reports Succeeded or Failed to CodeDeploy.
 */
export const handler = async (event: unknown, context?: Context): Promise<TrafficHookResult> => {
  if (context) {
    logger.addContext(context);
  }
  const parsed = trafficHookEventSchema.safeParse(event);
  if (!parsed.success) {
    // Without the ids there is no hook to report to: CodeDeploy fails it at its time-out.
    throw new Error(`not a CodeDeploy lifecycle hook event: ${describeIssues(parsed.error)}`);
  }
  const result = await runTrafficHook(clients, parsed.data, config);
  const details = { deploymentId: parsed.data.DeploymentId, reason: result.reason };
  if (result.status === 'Succeeded') {
    logger.info(`${config.phase} hook succeeded`, details);
  } else {
    logger.warn(`${config.phase} hook failed`, details);
  }
  return result;
};
