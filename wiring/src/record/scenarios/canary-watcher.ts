/**
 * The environment's canary watcher (`delivery:canary-watcher`), one sweep: it reads the judged groups
 * under its SSM path — here one of each kind, with the same names, since the check expands
 * `${watch:…}` once per group parameter the assembly holds — lists each group's deployments in
 * progress, reads their targets (and, for EC2, the deployment), reads both sides' metrics, stops a
 * failing one with rollback and ends an EC2 wait on a pass, and keeps each look in the ledger.
 */
import type { Scenario } from '../scenario';
import { responder } from '../respond';

const SOURCE = 'wiring/src/record/scenarios/canary-watcher.ts';

const APPLICATION = 'wiring-watched-app';
const GROUP = 'wiring-watched-group';
const LB = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/wiring/0123456789abcdef';
const TG = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup';
const BLUE = `${TG}/wiring-blue/0123456789abcdef`;
const GREEN = `${TG}/wiring-green/fedcba9876543210`;
const analysis = { judge: {}, bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true };
const GROUPS = {
  lambda: { kind: 'lambda', application: APPLICATION, deploymentGroup: GROUP, analysis },
  ecs: {
    kind: 'ecs',
    application: APPLICATION,
    deploymentGroup: GROUP,
    loadBalancer: LB,
    targetGroups: [BLUE, GREEN],
    analysis,
  },
  ec2: {
    kind: 'ec2',
    application: APPLICATION,
    deploymentGroup: GROUP,
    loadBalancer: LB,
    targetGroup: BLUE,
    analysis,
  },
} as const;

const MINUTE = 60_000;
const since = () => new Date(Date.now() - 12 * MINUTE);

/** Each side's counts every minute of the asked range: the canary fails a third of its requests. */
function metrics(input: { StartTime?: Date; EndTime?: Date }) {
  const times: Date[] = [];
  for (let t = input.StartTime?.getTime() ?? 0; t < (input.EndTime?.getTime() ?? 0); t += MINUTE) {
    times.push(new Date(t));
  }
  const series = (id: string, value: number) => ({
    Id: id,
    StatusCode: 'Complete',
    Timestamps: times,
    Values: times.map(() => value),
  });
  return {
    MetricDataResults: [
      series('baseline_requests', 900),
      series('baseline_errors', 9),
      series('canary_requests', 300),
      series('canary_errors', 100),
    ],
  };
}

const TARGETS = {
  lambda: {
    lambdaTarget: {
      lambdaFunctionInfo: {
        functionName: 'wiring-watched-function',
        functionAlias: 'live',
        currentVersion: '1',
        targetVersion: '2',
      },
      lifecycleEvents: [{ lifecycleEventName: 'AllowTraffic', status: 'InProgress', startTime: since() }],
    },
  },
  ecs: {
    ecsTarget: {
      lifecycleEvents: [{ lifecycleEventName: 'AllowTraffic', status: 'InProgress', startTime: since() }],
      taskSetsInfo: [
        { taskSetLabel: 'Blue', trafficWeight: 90, targetGroup: { name: 'wiring-blue' } },
        { taskSetLabel: 'Green', trafficWeight: 10, targetGroup: { name: 'wiring-green' } },
      ],
    },
  },
  ec2: {
    instanceTarget: {
      instanceLabel: 'Green',
      lifecycleEvents: [{ lifecycleEventName: 'AllowTraffic', status: 'Succeeded', endTime: since() }],
    },
  },
} as const;

function watcher(kind: keyof typeof GROUPS): Scenario {
  return {
    workload: 'delivery:canary-watcher',
    id: `canary-watcher:${kind}`,
    source: SOURCE,
    env: { CANARY_WATCH_PATH: '/wiring/dev/canary-watch', RELEASES_TABLE: 'wiring-releases' },
    tokens: { [APPLICATION]: '${watch:application}', [GROUP]: '${watch:deploymentGroup}' },
    respond: responder({
      'SSM GetParametersByPath': {
        Parameters: [{ Name: `/wiring/dev/canary-watch/${GROUP}`, Value: JSON.stringify(GROUPS[kind]) }],
      },
      'CodeDeploy ListDeployments': { deployments: ['d-WIRING21'] },
      'CodeDeploy ListDeploymentTargets': { targetIds: ['wiring-target'] },
      'CodeDeploy BatchGetDeploymentTargets': { deploymentTargets: [TARGETS[kind]] },
      'CodeDeploy GetDeployment': {
        deploymentInfo: {
          createTime: new Date(Date.now() - 30 * MINUTE),
          deploymentStyle: { deploymentType: 'BLUE_GREEN' },
          instanceTerminationWaitTimeStarted: true,
        },
      },
      'CloudWatch GetMetricData': metrics,
      'CodeDeploy StopDeployment': { status: 'Pending' },
      'DynamoDB PutItem': {},
    }),
    async run() {
      const { handler } = await import('@ias/delivery/handlers/canary-watcher');
      const result = await handler({});
      if (result.stopped.length !== 1 || result.errors !== 0) {
        throw new Error(`the watcher did not stop the failing deployment: ${JSON.stringify(result)}`);
      }
    },
  };
}

/** One sweep of each kind of group (the EC2 one also reads the deployment itself). */
export const canaryWatcherScenarios: readonly Scenario[] = [
  watcher('lambda'),
  watcher('ecs'),
  watcher('ec2'),
];
