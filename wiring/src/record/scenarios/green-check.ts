/**
 * A service's green check, on a CodeDeploy ECS hook event (`delivery:green-check:codedeploy`) and on
 * an Amazon ECS lifecycle hook event (`delivery:green-check:ecs`): it GETs the green side over HTTP
 * (a local server here), and reports to CodeDeploy only in the first case. Which one a deployed
 * check receives depends on its environment's strategy, so each is a recording of its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scenario } from '../scenario';
import { responder } from '../respond';

const SOURCE = 'wiring/src/record/scenarios/green-check.ts';

/** A local green side answering 200, its URL in GREEN_CHECK_URL before the handler loads. */
async function greenSide(): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.GREEN_CHECK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`;
  return server;
}

const CODEDEPLOY_EVENT = { DeploymentId: 'd-WIRING02', LifecycleEventHookExecutionId: 'wiring-hook' };
const ECS_EVENT = {
  executionId: 'wiring-execution',
  lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
  resourceArn: 'arn:aws:ecs:eu-west-3:123456789012:service-deployment/wiring-cluster/wiring-service/abc',
  executionDetails: {
    serviceArn: 'arn:aws:ecs:eu-west-3:123456789012:service/wiring-cluster/wiring-service',
    targetServiceRevisionArn:
      'arn:aws:ecs:eu-west-3:123456789012:service-revision/wiring-cluster/wiring-service/1',
  },
};

function greenCheck(source: 'codedeploy' | 'ecs'): Scenario {
  return {
    workload: `delivery:green-check:${source}`,
    id: `green-check:${source}`,
    source: SOURCE,
    env: { GREEN_CHECK_ATTEMPTS: '1', GREEN_CHECK_INTERVAL_MS: '0' },
    mayMakeNoCalls: source === 'ecs',
    respond: responder({
      'CodeDeploy PutLifecycleEventHookExecutionStatus': { lifecycleEventHookExecutionId: 'wiring-hook' },
    }),
    async run() {
      const server = await greenSide();
      try {
        const { handler } = await import('@ias/delivery/handlers/green-check');
        const result = await handler(source === 'ecs' ? ECS_EVENT : CODEDEPLOY_EVENT);
        const passed =
          'hookStatus' in result ? result.hookStatus === 'SUCCEEDED' : result.status === 'Succeeded';
        if (!passed) throw new Error(`the green check failed: ${JSON.stringify(result)}`);
      } finally {
        server.close();
      }
    },
  };
}

/** The CodeDeploy hook path (reports its status) and the Amazon ECS hook path (answers ECS only). */
export const greenCheckScenarios: readonly Scenario[] = [greenCheck('codedeploy'), greenCheck('ecs')];
